using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;

namespace HarborBridge.Hosting;

/// <summary>Start-up handling of secrets and insecure switches: where settings files are read from, secrets read from
/// files (<c>…File</c> settings, e.g. Kubernetes secret mounts), and one warning for each switch that weakens
/// transport security. See docs/security.md.</summary>
internal static class SecuritySettings
{
    /// <summary>Secret settings that can also come from a file named by the same key with <c>File</c> appended.</summary>
    public static readonly string[] SecretKeys =
    [
        "HarborBridge:Admin:Token",
        "HarborBridge:Harbor:Password",
        "HarborBridge:Signing:KeyPassword",
        "HarborBridge:Webhook:AuthHeader",
        "HarborBridge:Webhook:ProjectSecrets:Master",
        "HarborBridge:Webhook:ProjectSecrets:PreviousMaster",
        "HarborBridge:RabbitMq:Password",
        "HarborBridge:Database:ConnectionString",
    ];

    /// <summary>Secret settings of each notification channel (<c>HarborBridge:Notifications:Channels:NAME:…</c>).</summary>
    public static readonly string[] ChannelSecretKeys = ["Url", "Secret", "RoutingKey", "Password"];

    /// <summary>appsettings.json and appsettings.{Environment}.json are read from the application's folder when the
    /// working directory has none, so running the binary from elsewhere keeps its logging settings.</summary>
    public static void UseBaseDirectorySettings(WebApplicationBuilder builder)
    {
        var baseDirectory = AppContext.BaseDirectory;
        if (File.Exists(Path.Combine(builder.Environment.ContentRootPath, "appsettings.json"))
            || !File.Exists(Path.Combine(baseDirectory, "appsettings.json")))
        {
            return;
        }

        var sources = builder.Configuration.Sources;
        for (var i = 0; i < sources.Count; i++)
        {
            if (sources[i] is JsonConfigurationSource { Path: { } path } json && !Path.IsPathRooted(path)
                && path.StartsWith("appsettings", StringComparison.OrdinalIgnoreCase))
            {
                sources[i] = new JsonConfigurationSource
                {
                    Path = path, Optional = json.Optional, ReloadOnChange = false, FileProvider = new PhysicalFileProvider(baseDirectory),
                };
            }
        }
    }

    /// <summary>Reads every <c>…File</c> secret setting and adds its content (one trailing newline removed) under the
    /// secret's own key. Setting both the value and the file, or naming a file that cannot be read, stops the start.</summary>
    public static void AddSecretFiles(IConfigurationManager configuration)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var failures = new List<string>();
        foreach (var key in AllSecretKeys(configuration))
        {
            var file = configuration[key + "File"];
            if (string.IsNullOrEmpty(file))
            {
                continue;
            }

            if (!string.IsNullOrEmpty(configuration[key]))
            {
                failures.Add($"{key} and {key}File are both set; set only one.");
                continue;
            }

            try
            {
                var text = File.ReadAllText(file);
                values[key] = text.EndsWith("\r\n", StringComparison.Ordinal) ? text[..^2] : text.TrimEnd('\n');
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                failures.Add($"{key}File: cannot read the file ({e.GetType().Name}).");
            }
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException("secret files", typeof(string), failures);
        }

        if (values.Count > 0)
        {
            configuration.AddInMemoryCollection(values);
        }
    }

    private static IEnumerable<string> AllSecretKeys(IConfiguration configuration)
    {
        foreach (var key in SecretKeys)
        {
            yield return key;
        }

        foreach (var channel in configuration.GetSection(Notifications.NotificationOptions.SectionName + ":Channels").GetChildren())
        {
            foreach (var key in ChannelSecretKeys)
            {
                yield return $"{channel.Path}:{key}";
            }
        }
    }

    /// <summary>One line per switch that weakens security, for the start-up log.</summary>
    public static List<string> Warnings(IConfiguration configuration, IServiceProvider services)
    {
        var warnings = new List<string>();
        var harbor = services.GetRequiredService<IOptions<Harbor.HarborOptions>>().Value;
        if (harbor.InsecureSkipTlsVerify)
        {
            warnings.Add("HarborBridge:Harbor:InsecureSkipTlsVerify=true: Harbor's and the registry's certificates are not checked; anyone on the path can read the robot's credentials and forge Harbor's answers");
        }

        if (Uri.TryCreate(harbor.Url, UriKind.Absolute, out var url) && url.Scheme == Uri.UriSchemeHttp)
        {
            warnings.Add("HarborBridge:Harbor:Url is plain http: the robot's credentials and all of Harbor's answers travel unencrypted");
        }

        var trivy = services.GetRequiredService<IOptions<Scanning.TrivyOptions>>().Value;
        if (trivy is { Enabled: true, Insecure: true })
        {
            warnings.Add("HarborBridge:Trivy:Insecure=true: Trivy does not check the registry's certificate (and may use plain http)");
        }

        var notifications = services.GetRequiredService<IOptions<Notifications.NotificationOptions>>().Value;
        foreach (var (name, channel) in notifications.Channels.Where(c => c.Value.Type == Notifications.ChannelType.Email))
        {
            var prefix = $"{Notifications.NotificationOptions.SectionName}:Channels:{name}";
            if (channel.AllowInvalidCertificate)
            {
                warnings.Add($"{prefix}:AllowInvalidCertificate=true: the SMTP server's certificate is not checked");
            }

            if (channel.Security is Notifications.SmtpSecurity.None or Notifications.SmtpSecurity.Auto)
            {
                warnings.Add($"{prefix}:Security={channel.Security}: mail may travel unencrypted" +
                    (string.IsNullOrEmpty(channel.Username) ? "" : (channel.Security == Notifications.SmtpSecurity.None
                        ? ", and the SMTP login is sent in clear text"
                        : "; the SMTP login is refused unless the connection is encrypted")));
            }
        }

        if (configuration is IConfigurationRoot root)
        {
            foreach (var provider in root.Providers.OfType<CommandLineConfigurationProvider>())
            {
                foreach (var key in AllSecretKeys(configuration).Where(k => provider.TryGet(k, out var v) && !string.IsNullOrEmpty(v)))
                {
                    warnings.Add($"{key} was given on the command line, where any user of this machine can read it (ps); use the environment or {key}File");
                }
            }
        }

        return warnings;
    }
}

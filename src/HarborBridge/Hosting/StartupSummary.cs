using System.Data.Common;
using HarborBridge.Harbor;
using HarborBridge.Policy;
using HarborBridge.Scanning;
using HarborBridge.Signing.Registry;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace HarborBridge.Hosting;

/// <summary>A few lines at start that say what this process is: roles, transport, database, Harbor, policy, signing and
/// where it listens. Names places and modes only; passwords, tokens and connection-string secrets never appear.</summary>
internal static class StartupSummary
{
    /// <summary>The settings the summary is made of (the validated options of the running process).</summary>
    public sealed record Settings(
        ServerRoles Roles,
        HarborBridgeOptions Top,
        RabbitMqOptions RabbitMq,
        DatabaseOptions Database,
        HarborOptions Harbor,
        TrivyOptions Trivy,
        PolicyOptions Policy,
        SigningOptions Signing);

    public static IReadOnlyList<string> Lines(Settings s, IEnumerable<string> urls) =>
    [
        $"roles:     {Roles(s.Roles)}",
        $"transport: {Transport(s.Top, s.RabbitMq)}",
        $"database:  {Database(s.Database)}",
        $"harbor:    {Harbor(s.Harbor, s.Trivy)}",
        $"policy:    {Policy(s.Policy)}",
        $"signing:   {Signing(s.Signing)}",
        $"listening: {(urls.Any() ? string.Join(", ", urls) : "(no HTTP endpoint)")}",
    ];

    /// <summary>Logs the summary once the server listens (the URLs are known only then).</summary>
    public static void LogWhenStarted(WebApplication app, ServerRoles roles)
    {
        var services = app.Services;
        services.GetRequiredService<IHostApplicationLifetime>().ApplicationStarted.Register(() => Log(services, roles));
    }

    private static void Log(IServiceProvider services, ServerRoles roles)
    {
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("HarborBridge");
        try
        {
            var settings = new Settings(
                roles,
                services.GetRequiredService<IOptions<HarborBridgeOptions>>().Value,
                services.GetRequiredService<IOptions<RabbitMqOptions>>().Value,
                services.GetRequiredService<IOptions<DatabaseOptions>>().Value,
                services.GetRequiredService<IOptions<HarborOptions>>().Value,
                services.GetRequiredService<IOptions<TrivyOptions>>().Value,
                services.GetRequiredService<IOptions<PolicyOptions>>().Value,
                services.GetRequiredService<IOptions<SigningOptions>>().Value);
            var urls = services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            logger.LogInformation("HarborBridge started");
            foreach (var line in Lines(settings, urls))
            {
                logger.LogInformation("  {StartupLine}", line);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or OptionsValidationException)
        {
            // The summary is a courtesy: a process that started must not stop over it.
            logger.LogWarning("No start-up summary: {Reason}", e.Message);
        }
    }

    private static string Roles(ServerRoles roles) => string.Join(", ",
        new[] { ServerRoles.Webhook, ServerRoles.Worker, ServerRoles.Scheduler }
            .Where(r => roles.HasFlag(r)).Select(r => r.ToString().ToLowerInvariant()));

    private static string Transport(HarborBridgeOptions top, RabbitMqOptions rabbit) => top.Transport switch
    {
        TransportKind.RabbitMq => $"RabbitMQ amqp{(rabbit.UseTls ? "s" : "")}://{rabbit.Host}:{rabbit.Port}{VirtualHost(rabbit.VirtualHost)} " +
            $"as {rabbit.Username}",
        _ => "in-memory (one process; events not yet processed are lost on stop)",
    };

    private static string VirtualHost(string vhost) => vhost.StartsWith('/') ? vhost : "/" + vhost;

    /// <summary>Provider and where the data is: only the keys that name a place are kept from the connection string.</summary>
    private static string Database(DatabaseOptions database)
    {
        string[] place = ["Data Source", "DataSource", "Filename", "Host", "Server", "Port", "Database"];
        var builder = new DbConnectionStringBuilder();
        try
        {
            builder.ConnectionString = database.ConnectionString;
        }
        catch (ArgumentException)
        {
            return database.Provider.ToString();
        }

        var parts = place.Where(k => builder.TryGetValue(k, out var v) && v is not null && v.ToString() != "")
            .Select(k => $"{k}={builder[k]}");
        return $"{database.Provider} ({string.Join("; ", parts)})";
    }

    private static string Harbor(HarborOptions harbor, TrivyOptions trivy)
    {
        if (!harbor.IsConfigured)
        {
            return "not configured: record-only (webhooks are recorded; nothing is scanned, signed or quarantined)";
        }

        var url = Uri.TryCreate(harbor.Url, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0
            ? new UriBuilder(uri) { UserName = "", Password = "" }.Uri.ToString().TrimEnd('/')
            : harbor.Url!.TrimEnd('/');
        var who = string.IsNullOrEmpty(harbor.Username) ? "anonymous" : harbor.Username;
        return $"{url} as {who}{(trivy.Enabled ? ", scans with trivy (direct Trivy mode)" : "")}";
    }

    private static string Policy(PolicyOptions policy) => (policy.File ?? PolicyOptions.DefaultFile) is var file && File.Exists(file)
        ? Path.GetFullPath(file)
        : $"{file} not found: built-in defaults (block CRITICAL, warn HIGH)";

    private static string Signing(SigningOptions signing) => signing switch
    {
        { IsKeyless: true } => $"keyless (Fulcio {signing.FulcioUrl}, Rekor {signing.RekorUrl})",
        { IsEnabled: true } => $"key {signing.KeyFile}, format {signing.Format.ToString().ToLowerInvariant()}" +
            $"{(signing.Attest ? ", with attestations" : "")}",
        _ => "off (no HarborBridge:Signing:KeyFile)",
    };
}

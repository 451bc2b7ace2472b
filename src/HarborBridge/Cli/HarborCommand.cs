using System.CommandLine;
using HarborBridge.Core.Harbor;
using HarborBridge.Core.Policy;
using HarborBridge.Harbor;
using HarborBridge.Hosting;
using HarborBridge.Policy;
using HarborBridge.Scheduling;
using HarborBridge.Webhooks;
using Microsoft.Extensions.Options;

namespace HarborBridge.Cli;

/// <summary><c>harborbridge harbor connect</c> (set up a Harbor for HarborBridge, as an admin, once) and
/// <c>harborbridge harbor check</c> (verify that set-up later, as the robot). Both read the normal configuration
/// (appsettings.json, environment, <c>--HarborBridge:Section:Key=value</c>).</summary>
internal static class HarborCommand
{
    public const int ExitOk = 0;
    public const int ExitProblems = 1;
    public const int ExitBadInput = 2;

    public static Command Create() => Create(Console.In, null);

    internal static Command Create(TextReader input, Func<IConfiguration, IConfiguration>? configure)
    {
        var url = new Option<string>("--url") { Description = "Harbor's base URL, e.g. https://harbor.example.com." };
        var username = new Option<string>("--username") { Description = "An admin (or project admin) of the projects.", DefaultValueFactory = _ => "admin" };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read that account's password from standard input (required: it never goes on the command line)." };
        var projects = new Option<string[]>("--project") { Description = "A project to enrol (repeat for more).", AllowMultipleArgumentsPerToken = false };
        var robotName = new Option<string>("--robot-name") { Description = "Name of HarborBridge's system robot (signs in as robot$NAME).", DefaultValueFactory = _ => "harborbridge" };
        var webhookUrl = new Option<string>("--webhook-url")
        {
            Description = "Where Harbor sends events: HarborBridge's http(s)://host:port/webhooks/harbor as Harbor reaches it " +
                "(default: HarborBridge:Schedules:Reconciliation:WebhookAddress).",
        };
        var connect = new Command("connect",
            "Check Harbor is reachable, create or fix HarborBridge's robot (exactly the permissions it needs on each project), each " +
            "project's webhook policy and scan-on-push, and print the settings for HarborBridge. Safe to run again: it changes only " +
            "what differs. The per-project webhook header comes from HarborBridge:Webhook (AuthMode PerProject + ProjectSecrets:Master, " +
            "or AuthHeader). Exit 0 all done, 1 something could not be done, 2 bad input.")
        {
            url, username, passwordStdin, projects, robotName, webhookUrl,
        };
        connect.TreatUnmatchedTokensAsErrors = false;
        connect.SetAction(async (parseResult, cancellationToken) =>
        {
            var configuration = Load([.. parseResult.UnmatchedTokens], configure);
            var password = parseResult.GetValue(passwordStdin) ? (await input.ReadLineAsync(cancellationToken))?.TrimEnd('\r', '\n') : null;
            var request = new HarborConnect.Request(parseResult.GetValue(url), parseResult.GetValue(username)!, password,
                parseResult.GetValue(projects) ?? [], parseResult.GetValue(robotName)!, parseResult.GetValue(webhookUrl));
            return await HarborConnect.RunAsync(request, configuration, parseResult.InvocationConfiguration.Output, parseResult.InvocationConfiguration.Error, cancellationToken);
        });

        var check = new Command("check",
            "Verify, as the configured robot (HarborBridge:Harbor:Url/Username/Password), that Harbor answers, the credentials work, " +
            "the robot has each permission the policy's quarantine strategies need on each project " +
            "(HarborBridge:Schedules:Reconciliation:Projects, or every project it sees), and each project's webhook policy " +
            "(HarborBridge:Schedules:Reconciliation:WebhookAddress) and scan-on-push are right. One line per problem with its fix. " +
            "Exit 0 all right, 1 problems found, 2 bad configuration.");
        check.TreatUnmatchedTokensAsErrors = false;
        check.SetAction((parseResult, cancellationToken) => CheckAsync(Load([.. parseResult.UnmatchedTokens], configure),
            parseResult.InvocationConfiguration.Output, parseResult.InvocationConfiguration.Error, cancellationToken));
        return new Command("harbor", "Connect a Harbor to HarborBridge and check that connection.") { connect, check };
    }

    /// <summary>The same sources as <c>serve</c>: appsettings(.Environment).json, the environment, the command line, and
    /// the <c>…File</c> variants of secret settings.</summary>
    private static IConfiguration Load(string[] args, Func<IConfiguration, IConfiguration>? configure)
    {
        var environment = Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") ?? Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") ?? "Production";
        var configuration = new ConfigurationManager();
        configuration.AddJsonFile(Path.GetFullPath("appsettings.json"), optional: true)
            .AddJsonFile(Path.GetFullPath($"appsettings.{environment}.json"), optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args);
        SecuritySettings.AddSecretFiles(configuration);
        return configure?.Invoke(configuration) ?? configuration;
    }

    /// <summary>A service provider with the Harbor clients (configured by <paramref name="configuration"/>), the webhook
    /// header derivation, the policy and the set-up check; nothing is logged (the CLI prints what matters).</summary>
    internal static ServiceProvider Services(IConfiguration configuration, TimeProvider? time = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(time ?? TimeProvider.System);
        services.AddHarborClients(configuration);
        services.AddOptions<WebhookOptions>().Bind(configuration.GetSection(WebhookOptions.SectionName));
        services.AddSingleton<WebhookAuthenticator>();
        services.AddOptions<SchedulesOptions>().Bind(configuration.GetSection(SchedulesOptions.SectionName));
        services.AddOptions<PolicyOptions>().Bind(configuration.GetSection(PolicyOptions.SectionName));
        services.AddSingleton<PolicyProvider>();
        services.AddSingleton<HarborSetupStatus>();
        return services.BuildServiceProvider();
    }

    /// <summary>The webhook header per project, or the reason it cannot be derived from the configuration.</summary>
    internal static (Func<string, string>? HeaderFor, string? Error) WebhookHeaders(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<WebhookOptions>>().Value;
        if (new WebhookOptionsValidator().Validate(null, options) is { Failed: true } invalid)
        {
            return (null, invalid.FailureMessage);
        }

        if (options.AuthMode != WebhookAuthMode.PerProject && string.IsNullOrEmpty(options.AuthHeader))
        {
            return (null, "HarborBridge:Webhook has no secret to give Harbor: set HarborBridge:Webhook:AuthMode=PerProject with " +
                "HarborBridge:Webhook:ProjectSecrets:Master (e.g. `openssl rand -hex 32`), or HarborBridge:Webhook:AuthHeader, as the service has them.");
        }

        var authenticator = services.GetRequiredService<WebhookAuthenticator>();
        return (authenticator.HeaderFor, null);
    }

    internal static async Task<int> CheckAsync(IConfiguration configuration, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var harborOptions = configuration.GetSection(HarborOptions.SectionName).Get<HarborOptions>() ?? new HarborOptions();
        if (!Uri.TryCreate(harborOptions.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            await error.WriteLineAsync("error: HarborBridge:Harbor:Url is not set to an http(s) address; run `harborbridge harbor connect` first and put the settings it prints into the configuration.");
            return ExitBadInput;
        }

        if (string.IsNullOrEmpty(harborOptions.Username) || string.IsNullOrEmpty(harborOptions.Password))
        {
            await error.WriteLineAsync("error: HarborBridge:Harbor:Username and HarborBridge:Harbor:Password (the robot's name and secret) are required.");
            return ExitBadInput;
        }

        await using var services = Services(configuration);
        var schedules = services.GetRequiredService<IOptions<SchedulesOptions>>().Value;
        var (headers, headerError) = WebhookHeaders(services);
        IReadOnlyList<HarborAccess> permissions;
        try
        {
            permissions = HarborSetupCheck.PermissionsFor(services.GetRequiredService<PolicyProvider>().Current.Policy);
        }
        catch (Exception e) when (e is PolicyFileException or IOException)
        {
            await error.WriteLineAsync($"error: the policy cannot be read, so the permissions it needs are unknown: {e.Message}");
            return ExitBadInput;
        }

        var harbor = services.GetRequiredService<IHarborClient>();
        var access = services.GetRequiredService<IHarborAccessClient>();
        var problems = new List<SetupProblem>();
        try
        {
            var projects = schedules.Reconciliation.Projects.Count > 0 ? schedules.Reconciliation.Projects : await VisibleProjectsAsync(harbor, cancellationToken);
            var address = schedules.Reconciliation.WebhookAddress;
            if (address is null)
            {
                problems.Add(new("HarborBridge:Schedules:Reconciliation:WebhookAddress is not set, so the webhook policies were not checked",
                    "set it to the address Harbor sends events to (as given to harborbridge harbor connect --webhook-url)"));
            }
            else if (headers is null)
            {
                problems.Add(new("the webhook header cannot be derived, so the webhook policies were not checked", headerError!));
            }

            var expected = new SetupExpectation(projects, headers is null ? null : address, headers ?? (_ => ""), permissions);
            problems.InsertRange(0, await HarborSetupCheck.RunAsync(harbor, access, Redacted(url), expected, cancellationToken));
            if (problems.Count == 0)
            {
                await output.WriteLineAsync($"ok: Harbor {Redacted(url)} answers and accepts {harborOptions.Username}; on {string.Join(", ", projects)} the robot has the " +
                    $"{permissions.Count} permissions the policy needs, the webhook policy sends every event HarborBridge needs to {address}, and scan-on-push is on.");
                return ExitOk;
            }
        }
        catch (Exception e) when (e is HarborApiException or HttpRequestException)
        {
            problems.Add(new($"Harbor answered a check with an error: {ConnectionFailures.Cause(e)}", "see Harbor's logs with the request id, then run the check again"));
        }

        foreach (var problem in problems)
        {
            await output.WriteLineAsync(problem.ToString());
        }

        await error.WriteLineAsync($"{problems.Count} problem(s) found.");
        return ExitProblems;
    }

    private static async Task<IReadOnlyList<string>> VisibleProjectsAsync(IHarborClient harbor, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        for (var page = 1; page <= 10; page++)
        {
            var found = await harbor.ListProjectsAsync(page, 100, cancellationToken);
            names.AddRange(found.Items.Select(p => p.Name));
            if (!found.HasNextPage)
            {
                break;
            }
        }

        return names;
    }

    /// <summary>The URL without user information, so that no secret is printed.</summary>
    internal static string Redacted(Uri url) => new UriBuilder(url) { UserName = "", Password = "" }.Uri.ToString().TrimEnd('/');
}

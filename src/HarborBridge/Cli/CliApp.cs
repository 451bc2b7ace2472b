using System.CommandLine;

namespace HarborBridge.Cli;

/// <summary>
/// The <c>harborbridge</c> command line: <c>serve</c> (also the default) and the offline verbs.
/// Each verb lives in its own file and contributes one <see cref="Command"/>.
/// </summary>
internal static class CliApp
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = CreateRoot();
        // No verb (or only host options such as --urls) means serve, as a container entry point expects.
        if (args.Length == 0 || args[0].StartsWith('-') && args[0] is not ("-h" or "--help" or "-?" or "--version"))
        {
            args = ["serve", .. args];
        }

        var parseResult = root.Parse(args);
        // The demo stops what it started on Ctrl+C/SIGTERM itself; System.CommandLine's handler would end the process
        // 2 s after the signal, before that is done.
        var invocation = args[0] == Demo.DemoCommand.Name ? new InvocationConfiguration { ProcessTerminationTimeout = null } : null;
        return await parseResult.InvokeAsync(invocation);
    }

    /// <summary>The whole command tree (also used by the test that checks every verb's help is complete).</summary>
    internal static RootCommand CreateRoot()
    {
        var root = new RootCommand("HarborBridge: scan, judge, sign and quarantine what is pushed to Harbor. Without a verb it runs serve. " +
            "Settings: appsettings.json, environment variables HarborBridge__Section__Key, or --HarborBridge:Section:Key=value " +
            "(docs/configuration.md; `harborbridge config reference` lists every setting).");
        root.Subcommands.Add(ServeCommand.Create());
        foreach (var command in Verbs())
        {
            root.Subcommands.Add(command);
        }

        return root;
    }

    private static IEnumerable<Command> Verbs()
    {
        yield return PolicyCheckCommand.Create();
        yield return KeysCommand.Create();
        yield return SignCommand.Create();
        yield return VerifyCommand.Create();
        yield return VerifyBundleCommand.Create();
        yield return ReleaseCommand.Create();
        yield return ExceptionsCommand.Create();
        yield return ConfigCommand.Create();
        yield return HarborCommand.Create();
        yield return Demo.DemoCommand.Create();
    }
}

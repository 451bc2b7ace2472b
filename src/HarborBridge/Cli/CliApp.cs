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
        var root = new RootCommand("HarborBridge: scan, judge, sign and quarantine what is pushed to Harbor.");
        var serve = ServeCommand.Create();
        root.Subcommands.Add(serve);
        foreach (var command in Verbs())
        {
            root.Subcommands.Add(command);
        }

        // No verb (or only host options such as --urls) means serve, as a container entry point expects.
        if (args.Length == 0 || args[0].StartsWith('-') && args[0] is not ("-h" or "--help" or "-?" or "--version"))
        {
            args = ["serve", .. args];
        }

        var parseResult = root.Parse(args);
        return await parseResult.InvokeAsync();
    }

    private static IEnumerable<Command> Verbs()
    {
        yield return PolicyCheckCommand.Create();
        yield return KeysCommand.Create();
        yield return SignCommand.Create();
        yield return VerifyCommand.Create();
        yield return ReleaseCommand.Create();
    }
}

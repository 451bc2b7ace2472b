using System.CommandLine;
using HarborBridge.Cli;

namespace HarborBridge.UnitTests.Cli;

/// <summary><c>harborbridge --help</c> and every verb's help are complete: each command and option says what it is for.</summary>
public sealed class CliHelpTests
{
    [Fact]
    public void EveryCommandAndOption_HasADescription()
    {
        var missing = new List<string>();
        Walk(CliApp.CreateRoot(), "harborbridge", missing);
        Assert.Empty(missing);
    }

    [Fact]
    public void Root_ListsEveryVerb()
    {
        var names = CliApp.CreateRoot().Subcommands.Select(c => c.Name).Order();
        Assert.Equal(["keys", "policy", "serve", "sign", "verify"], names.Where(n => n is "keys" or "policy" or "serve" or "sign" or "verify"));
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("serve --help")]
    [InlineData("policy check --help")]
    [InlineData("keys generate --help")]
    [InlineData("sign --help")]
    [InlineData("verify --help")]
    [InlineData("verify-bundle --help")]
    [InlineData("demo --help")]
    public async Task Help_PrintsUsageAndExits0(string args)
    {
        using var output = new StringWriter();
        var exit = await CliApp.CreateRoot().Parse(args.Split(' ')).InvokeAsync(new InvocationConfiguration { Output = output });
        Assert.Equal(0, exit);
        Assert.Contains("Usage:", output.ToString(), StringComparison.Ordinal);
        // The usage line names the verb path (the program name itself is the test host's here).
        var verbPath = args.Replace("--help", "", StringComparison.Ordinal).Trim();
        var usage = output.ToString()[output.ToString().IndexOf("Usage:", StringComparison.Ordinal)..].Split('\n')[1];
        Assert.Contains(" " + verbPath, usage, StringComparison.Ordinal);
    }

    private static void Walk(Command command, string path, List<string> missing)
    {
        if (string.IsNullOrWhiteSpace(command.Description))
        {
            missing.Add(path);
        }

        missing.AddRange(command.Options.Where(o => string.IsNullOrWhiteSpace(o.Description)).Select(o => $"{path} {o.Name}"));
        missing.AddRange(command.Arguments.Where(a => string.IsNullOrWhiteSpace(a.Description)).Select(a => $"{path} <{a.Name}>"));
        foreach (var sub in command.Subcommands)
        {
            Walk(sub, path + " " + sub.Name, missing);
        }
    }
}

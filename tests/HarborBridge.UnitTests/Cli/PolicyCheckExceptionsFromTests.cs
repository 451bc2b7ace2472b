using System.CommandLine;
using System.Globalization;
using HarborBridge.Cli;
using HarborBridge.UnitTests.Policy;

namespace HarborBridge.UnitTests.Cli;

/// <summary><c>policy check --exceptions-from FILE</c>: exceptions granted from requests (the answer of
/// <c>GET /api/v1/exceptions</c>) are judged with beside the policy file's, as the service does.</summary>
public sealed class PolicyCheckExceptionsFromTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hb-policy-check-exr-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string InDays(int days) => DateTime.UtcNow.AddDays(days).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        var root = new RootCommand { PolicyCheckCommand.Create() };
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var exit = await root.Parse(["policy", "check", .. args]).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, timeout.Token);
        return (exit, output.ToString(), error.ToString());
    }

    private string[] Args(string exceptionsFile, string project) =>
    [
        "--policy", Write("policy.yaml", "version: 1\n"), "--report", ReportFixtures.PathOf("trivy/spring4shell-jre11.json.golden"),
        "--project", project, "--repository", "api", "--exceptions-from", exceptionsFile,
    ];

    [Fact]
    public async Task Check_GrantedExceptionForTheOnlyCritical_PassesAndNamesTheRequest()
    {
        // The report's one CRITICAL finding is CVE-2022-22965 (spring-beans); a granted exception for it in team/api lifts the
        // block. The "policy" entry is the file's own and is taken from --policy, not from this list.
        var granted = Write("exceptions.json", $$"""
            [
              {"source":"policy","id":"CVE-2099-0001","scope":"global","project":null,"repository":null,"digest":null,"expires":null,"reason":"x","owner":null,"ticket":null},
              {"source":"request","id":"CVE-2022-22965","scope":"project=team repository=api","project":"team","repository":"api","digest":null,
               "expires":"{{InDays(10)}}","reason":"class loader not reachable","owner":"web","ticket":"exception request exr-1, requested by dave, approved by alice"}
            ]
            """);

        var inScope = await RunAsync(Args(granted, "team"));
        var outOfScope = await RunAsync(Args(granted, "other"));

        Assert.Equal(0, inScope.Exit);
        Assert.Contains("CVE-2022-22965 (approved exception request, scope project=team repository=api", inScope.Out, StringComparison.Ordinal);
        Assert.Contains("approved by alice", inScope.Out, StringComparison.Ordinal);
        Assert.Equal(1, outOfScope.Exit);
    }

    [Theory]
    [InlineData("{\"not\":\"a list\"}", "not the JSON list GET /api/v1/exceptions answers")]
    [InlineData("[{\"source\":\"request\",\"id\":\"CVE-2022-22965\",\"expires\":\"soon\"}]", "not the JSON list GET /api/v1/exceptions answers")]
    public async Task Check_BadExceptionsFile_Exits2WithTheReason(string json, string expected)
    {
        var run = await RunAsync(Args(Write("bad.json", json), "team"));

        Assert.Equal(2, run.Exit);
        Assert.Contains(expected, run.Err, StringComparison.Ordinal);
    }
}

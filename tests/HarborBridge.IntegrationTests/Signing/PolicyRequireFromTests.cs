using System.CommandLine;
using HarborBridge.Cli;
using HarborBridge.IntegrationTests.Harbor;

namespace HarborBridge.IntegrationTests.Signing;

/// <summary>
/// <c>harborbridge policy check --require-from IMAGE</c> against the real docker-registry: an image signed with
/// <c>harborbridge sign --key --format both</c> meets a require block naming that key (exit 0) and fails one naming another
/// key (exit 1, the explanation names the key expected and the rejected signature and bundle); an image with nothing
/// attached fails saying so.
/// </summary>
public sealed class PolicyRequireFromTests(RegistrySigningFixture fixture) : IClassFixture<RegistrySigningFixture>
{
    [Fact]
    public async Task PolicyCheckRequireFrom_SignedWithRequiredKeyPasses_OtherKeyOrUnsignedBlocks()
    {
        var name = RegistrySigningFixture.NewRepositoryName("requirefrom");
        var signed = await fixture.PushImageAsync(name, "v1");
        var unsigned = await fixture.PushImageAsync(name, "v2");
        var sign = await RunAsync(SignCommand.Create(n => n == KeysCommand.PasswordVariable ? RegistrySigningFixture.KeyPassword : null),
            "sign", $"{fixture.Registry}/{name}@{signed}", "--key", fixture.OurPrivateKey, "--format", "both", "--allow-insecure-registry");
        Assert.True(sign.Exit == 0, sign.Error);
        var report = Path.Combine(fixture.WorkDirectory, Guid.NewGuid().ToString("N") + ".json");
        await File.WriteAllTextAsync(report, """{"SchemaVersion":2,"ArtifactName":"x","Results":[]}""");

        var ours = await CheckAsync(fixture.OurPublicKey, report, $"{fixture.Registry}/{name}@{signed}");
        var other = await CheckAsync(fixture.OtherPublicKey, report, $"{fixture.Registry}/{name}@{signed}");
        var nothing = await CheckAsync(fixture.OurPublicKey, report, $"{fixture.Registry}/{name}:v2");

        Assert.True(ours.Exit == 0, ours.Output + ours.Error);
        Assert.Contains("require.signatures[0] met", ours.Output, StringComparison.Ordinal);
        Assert.Equal(1, other.Exit);
        Assert.Contains($"require.signatures[0] NOT MET (block): expected a signature by key {fixture.OtherPublicKey}", other.Output, StringComparison.Ordinal);
        Assert.Contains(".sig layer 0: ", other.Output, StringComparison.Ordinal);
        Assert.Contains("bundle referrer sha256:", other.Output, StringComparison.Ordinal);
        Assert.Equal(1, nothing.Exit);
        Assert.Contains($"{unsigned}", nothing.Output, StringComparison.Ordinal);
        Assert.Contains("found: no signatures or attestations attached", nothing.Output, StringComparison.Ordinal);
    }

    private async Task<(int Exit, string Output, string Error)> CheckAsync(string key, string report, string image)
    {
        var policy = Path.Combine(fixture.WorkDirectory, Guid.NewGuid().ToString("N") + ".yaml");
        await File.WriteAllTextAsync(policy, $"version: 1\ndefaults:\n  require:\n    signatures:\n      - key: {Path.GetFileName(key)}\n");
        return await RunAsync(PolicyCheckCommand.Create(), "policy", "check", "--policy", policy, "--report", report, "--require-from", image, "--allow-insecure-registry");
    }

    private static async Task<(int Exit, string Output, string Error)> RunAsync(Command command, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await new RootCommand { command }.Parse(args)
            .InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, TestServices.Timeout());
        return (exit, output.ToString(), error.ToString());
    }
}

using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HarborBridge.Cli;
using HarborBridge.IntegrationTests.Harbor;
using HarborBridge.Signing;
using HarborBridge.Signing.Registry;
using HarborBridge.Signing.SimpleSigning;

namespace HarborBridge.IntegrationTests.Signing;

/// <summary>
/// Signatures in a real docker-registry: our CosignSigner's .sig manifests checked by skopeo 1.18 (code no one here
/// wrote) through use-sigstore-attachments and a sigstoreSigned policy; skopeo's own registry signatures checked by
/// <c>harborbridge verify</c> run in-process; idempotence, concurrent signers and round trips.
/// </summary>
public sealed class RegistrySigningTests(RegistrySigningFixture fixture) : IClassFixture<RegistrySigningFixture>
{
    // --- we sign, skopeo verifies ------------------------------------------------------------------------------

    [Fact]
    public async Task SkopeoVerify_OurSignature_Accepted_AndWrongKeyRejected()
    {
        var name = RegistrySigningFixture.NewRepositoryName("ours");
        var digest = await fixture.PushImageAsync(name, "v1");
        await Signer().SignAsync(fixture.Repository(name), digest, fixture.OurKey, null, TestServices.Timeout());

        var accepted = await fixture.SkopeoVerifyAsync(name, digest, fixture.OurPublicKey);
        var wrongKey = await fixture.SkopeoVerifyAsync(name, digest, fixture.OtherPublicKey);

        Assert.True(accepted.ExitCode == 0, accepted.Output);
        Assert.NotEqual(0, wrongKey.ExitCode);
    }

    [Fact]
    public async Task SkopeoSignsAfterUs_AppendsToOurManifestWithTheEmptyConfig_BothSignaturesVerify()
    {
        var name = RegistrySigningFixture.NewRepositoryName("then-skopeo");
        var digest = await fixture.PushImageAsync(name, "v1");
        await Signer().SignAsync(fixture.Repository(name), digest, fixture.OurKey, null, TestServices.Timeout());

        // containers/image reads our .sig manifest and its config ({}), appends its own layer and writes it back.
        await fixture.SkopeoSignExistingAsync(name, digest, "v1");

        var manifest = await fixture.Client.GetManifestAsync(fixture.Repository(name), RegistrySigningFixture.Tag(digest, ".sig"), TestServices.Timeout());
        using var document = JsonDocument.Parse(manifest!.Content);
        Assert.Equal(2, document.RootElement.GetProperty("layers").GetArrayLength());
        var ours = await fixture.SkopeoVerifyAsync(name, digest, fixture.OurPublicKey);
        var theirs = await fixture.SkopeoVerifyAsync(name, digest, fixture.SkopeoPublicKey);
        Assert.True(ours.ExitCode == 0, ours.Output);
        Assert.True(theirs.ExitCode == 0, theirs.Output);
        // And we still find ours among the two, and add nothing when asked to sign again.
        Assert.False((await Signer().SignAsync(fixture.Repository(name), digest, fixture.OurKey, null, TestServices.Timeout())).Added);
    }

    [Fact]
    public async Task SkopeoVerify_OurSignatureMovedToAnotherImage_Rejected()
    {
        var name = RegistrySigningFixture.NewRepositoryName("moved");
        var signed = await fixture.PushImageAsync(name, "a");
        var other = await fixture.PushImageAsync(name, "b");
        await Signer().SignAsync(fixture.Repository(name), signed, fixture.OurKey, null, TestServices.Timeout());
        await fixture.MoveSignatureAsync(name, signed, other);

        var (exit, output) = await fixture.SkopeoVerifyAsync(name, other, fixture.OurPublicKey);

        Assert.True(exit != 0, "skopeo accepted a signature of another image: " + output);
    }

    [Fact]
    public async Task SkopeoVerify_OurKeyButOtherRepositoryIdentity_Rejected()
    {
        var name = RegistrySigningFixture.NewRepositoryName("identity");
        var digest = await fixture.PushImageAsync(name, "v1");
        var payload = SimpleSigningPayload.Create($"{fixture.Registry}/someone-else/app", digest);
        await fixture.PutSignatureAsync(name, digest, payload, Sign(fixture.OurKey, payload));

        var (exit, output) = await fixture.SkopeoVerifyAsync(name, digest, fixture.OurPublicKey);

        Assert.True(exit != 0, "skopeo accepted another repository's identity: " + output);
    }

    [Fact]
    public async Task SkopeoVerify_PayloadEditedAfterSigning_Rejected()
    {
        var name = RegistrySigningFixture.NewRepositoryName("edited");
        var digest = await fixture.PushImageAsync(name, "v1");
        var payload = SimpleSigningPayload.Create($"{fixture.Registry}/{name}", digest);
        var signature = Sign(fixture.OurKey, payload);
        var edited = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(payload).Replace("\"optional\":null", "\"optional\":{\"approved\":\"yes\"}", StringComparison.Ordinal));
        Assert.NotEqual(payload, edited);
        await fixture.PutSignatureAsync(name, digest, edited, signature);

        var (exit, output) = await fixture.SkopeoVerifyAsync(name, digest, fixture.OurPublicKey);

        Assert.True(exit != 0, "skopeo accepted an edited payload: " + output);
    }

    // --- skopeo signs, harborbridge verify checks ------------------------------------------------------------------

    [Fact]
    public async Task CliVerify_SkopeoSignature_ExitZeroAndPrintsPayload()
    {
        var name = RegistrySigningFixture.NewRepositoryName("skopeo");
        var digest = await fixture.PushSkopeoSignedAsync(name, "v1", $"{fixture.Registry}/{name}:v1");

        var (exit, output, error) = await VerifyCliAsync($"{fixture.Registry}/{name}@{digest}", fixture.SkopeoPublicKey);

        Assert.True(exit == 0, error);
        using var printed = JsonDocument.Parse(output);
        var critical = printed.RootElement.EnumerateArray().Single().GetProperty("critical");
        Assert.Equal(digest, critical.GetProperty("image").GetProperty("docker-manifest-digest").GetString());
        Assert.Equal($"{fixture.Registry}/{name}:v1", critical.GetProperty("identity").GetProperty("docker-reference").GetString());
    }

    [Fact]
    public async Task CliVerify_ByTag_ResolvesDigestAndVerifies()
    {
        var name = RegistrySigningFixture.NewRepositoryName("bytag");
        await fixture.PushSkopeoSignedAsync(name, "v1", $"{fixture.Registry}/{name}:v1");

        var (exit, _, error) = await VerifyCliAsync($"{fixture.Registry}/{name}:v1", fixture.SkopeoPublicKey);

        Assert.True(exit == 0, error);
    }

    [Fact]
    public async Task CliVerify_SkopeoSignatureWithWrongKey_ExitOneSayingWhy()
    {
        var name = RegistrySigningFixture.NewRepositoryName("skopeo-wrongkey");
        var digest = await fixture.PushSkopeoSignedAsync(name, "v1", $"{fixture.Registry}/{name}:v1");

        var (exit, output, error) = await VerifyCliAsync($"{fixture.Registry}/{name}@{digest}", fixture.OurPublicKey);

        Assert.Equal(1, exit);
        Assert.Equal("", output);
        Assert.Contains("does not verify with any trusted key", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CliVerify_SkopeoSignatureMovedToAnotherImage_ExitOne()
    {
        var name = RegistrySigningFixture.NewRepositoryName("skopeo-moved");
        var signed = await fixture.PushSkopeoSignedAsync(name, "a", $"{fixture.Registry}/{name}:a");
        var other = await fixture.PushImageAsync(name, "b");
        await fixture.MoveSignatureAsync(name, signed, other);

        var (exit, _, error) = await VerifyCliAsync($"{fixture.Registry}/{name}@{other}", fixture.SkopeoPublicKey);

        Assert.Equal(1, exit);
        Assert.Contains($"the signature is for {signed}", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CliVerify_SkopeoSignatureForOtherRepository_ExitOne()
    {
        var name = RegistrySigningFixture.NewRepositoryName("skopeo-identity");
        var digest = await fixture.PushSkopeoSignedAsync(name, "v1", $"{fixture.Registry}/someone-else/app:v1");

        var (exit, _, error) = await VerifyCliAsync($"{fixture.Registry}/{name}@{digest}", fixture.SkopeoPublicKey);

        Assert.Equal(1, exit);
        Assert.Contains("someone-else/app", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CliVerify_SkopeoPayloadEdited_ExitOne()
    {
        var name = RegistrySigningFixture.NewRepositoryName("skopeo-edited");
        var digest = await fixture.PushSkopeoSignedAsync(name, "v1", $"{fixture.Registry}/{name}:v1");
        var repository = fixture.Repository(name);
        var manifest = await fixture.Client.GetManifestAsync(repository, ImageDigest.SignatureTag(digest), TestServices.Timeout());
        using var document = JsonDocument.Parse(manifest!.Content);
        var layer = document.RootElement.GetProperty("layers")[0];
        var payload = await fixture.Client.GetBlobAsync(repository, layer.GetProperty("digest").GetString()!, TestServices.Timeout());
        var signature = layer.GetProperty("annotations").GetProperty("dev.cosignproject.cosign/signature").GetString()!;
        var edited = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(payload).Replace(":v1\"", ":v2\"", StringComparison.Ordinal));
        Assert.NotEqual(payload, edited);
        await fixture.PutSignatureAsync(name, digest, edited, signature);

        var (exit, _, error) = await VerifyCliAsync($"{fixture.Registry}/{name}@{digest}", fixture.SkopeoPublicKey);

        Assert.Equal(1, exit);
        Assert.Contains("does not verify with any trusted key", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CliVerify_UnsignedImage_ExitOneNoSignatures()
    {
        var name = RegistrySigningFixture.NewRepositoryName("unsigned");
        var digest = await fixture.PushImageAsync(name, "v1");

        var (exit, _, error) = await VerifyCliAsync($"{fixture.Registry}/{name}@{digest}", fixture.OurPublicKey);

        Assert.Equal(1, exit);
        Assert.Contains("no signatures found", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CliVerify_ReferenceWithoutTagOrDigest_ExitTwo()
    {
        var (exit, _, error) = await VerifyCliAsync($"{fixture.Registry}/team/app", fixture.OurPublicKey);

        Assert.Equal(2, exit);
        Assert.Contains("neither a tag nor a digest", error, StringComparison.Ordinal);
    }

    // --- harborbridge sign, then skopeo and harborbridge verify -----------------------------------------------------

    [Fact]
    public async Task CliSign_EncryptedKeyFromEnvironmentPassword_SkopeoAndCliVerify()
    {
        var name = RegistrySigningFixture.NewRepositoryName("clisign");
        var digest = await fixture.PushImageAsync(name, "v1");
        var output = new StringWriter();
        var error = new StringWriter();
        var root = new RootCommand { SignCommand.Create(Environment(RegistrySigningFixture.KeyPassword)) };

        var exit = await root.Parse(["sign", $"{fixture.Registry}/{name}@{digest}", "--key", fixture.OurPrivateKey, "--allow-insecure-registry"])
            .InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, TestServices.Timeout());

        Assert.True(exit == 0, error.ToString());
        var skopeo = await fixture.SkopeoVerifyAsync(name, digest, fixture.OurPublicKey);
        Assert.True(skopeo.ExitCode == 0, skopeo.Output);
        Assert.Equal(0, (await VerifyCliAsync($"{fixture.Registry}/{name}@{digest}", fixture.OurPublicKey)).Exit);
    }

    [Fact]
    public async Task CliSign_WrongPassword_ExitTwoWithoutWriting()
    {
        var name = RegistrySigningFixture.NewRepositoryName("wrongpw");
        var digest = await fixture.PushImageAsync(name, "v1");
        var error = new StringWriter();
        var root = new RootCommand { SignCommand.Create(Environment("not the password")) };

        var exit = await root.Parse(["sign", $"{fixture.Registry}/{name}@{digest}", "--key", fixture.OurPrivateKey, "--allow-insecure-registry"])
            .InvokeAsync(new InvocationConfiguration { Output = new StringWriter(), Error = error }, TestServices.Timeout());

        Assert.Equal(2, exit);
        Assert.Contains("password", error.ToString(), StringComparison.OrdinalIgnoreCase);
        Assert.Null(await fixture.Client.GetManifestAsync(fixture.Repository(name), ImageDigest.SignatureTag(digest), TestServices.Timeout()));
    }

    [Fact]
    public async Task CliSign_DigestTheRegistryDoesNotHave_ExitOneOneLineNothingWritten()
    {
        var name = RegistrySigningFixture.NewRepositoryName("absent");
        await fixture.PushImageAsync(name, "v1");
        var absent = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Guid.NewGuid().ToByteArray()));
        var error = new StringWriter();
        var root = new RootCommand { SignCommand.Create(Environment(RegistrySigningFixture.KeyPassword)) };

        var exit = await root.Parse(["sign", $"{fixture.Registry}/{name}@{absent}", "--key", fixture.OurPrivateKey, "--format", "both", "--allow-insecure-registry"])
            .InvokeAsync(new InvocationConfiguration { Output = new StringWriter(), Error = error }, TestServices.Timeout());

        Assert.Equal(1, exit);
        var line = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"{fixture.Registry}/{name}@{absent} is not in the registry", line, StringComparison.Ordinal);
        Assert.Equal(["v1"], await fixture.Client.ListTagsAsync(fixture.Repository(name), TestServices.Timeout()));
        Assert.Empty((await fixture.Client.ListReferrersAsync(fixture.Repository(name), absent, null, TestServices.Timeout())).Manifests);
    }

    [Theory]
    [InlineData("sign")]
    [InlineData("verify")]
    public async Task Cli_PlainHttpRegistryWithoutTheFlag_ExitOneSaysSoAndNamesTheFlag(string verb)
    {
        var name = RegistrySigningFixture.NewRepositoryName("plainhttp");
        var digest = await fixture.PushImageAsync(name, "v1");
        var error = new StringWriter();
        var root = new RootCommand { verb == "sign" ? SignCommand.Create(Environment(RegistrySigningFixture.KeyPassword)) : VerifyCommand.Create(Environment(null)) };
        var key = verb == "sign" ? fixture.OurPrivateKey : fixture.OurPublicKey;

        var exit = await root.Parse([verb, $"{fixture.Registry}/{name}@{digest}", "--key", key])
            .InvokeAsync(new InvocationConfiguration { Output = new StringWriter(), Error = error }, TestServices.Timeout(120));

        Assert.Equal(1, exit);
        var line = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("TLS", line, StringComparison.Ordinal);
        Assert.Contains("plain-HTTP registry: add --allow-insecure-registry", line, StringComparison.Ordinal);
        Assert.Equal(["v1"], await fixture.Client.ListTagsAsync(fixture.Repository(name), TestServices.Timeout()));
    }

    // --- storage behaviour -----------------------------------------------------------------------------------------

    [Fact]
    public async Task SignAsync_Twice_LeavesOneLayer()
    {
        var name = RegistrySigningFixture.NewRepositoryName("twice");
        var digest = await fixture.PushImageAsync(name, "v1");

        var first = await Signer().SignAsync(fixture.Repository(name), digest, fixture.OurKey, null, TestServices.Timeout());
        var second = await Signer().SignAsync(fixture.Repository(name), digest, fixture.OurKey, null, TestServices.Timeout());

        Assert.True(first.Added);
        Assert.False(second.Added);
        Assert.Equal(1, await LayerCountAsync(name, digest));
    }

    [Fact]
    public async Task SignAsync_TwoConcurrentSignersWithDifferentKeys_BothSignaturesEndUpInTheManifest()
    {
        var name = RegistrySigningFixture.NewRepositoryName("concurrent");
        var digest = await fixture.PushImageAsync(name, "v1");
        var repository = fixture.Repository(name);

        await Task.WhenAll(
            Task.Run(() => Signer().SignAsync(repository, digest, fixture.OurKey, null, TestServices.Timeout())),
            Task.Run(() => Signer().SignAsync(repository, digest, fixture.SecondKey, null, TestServices.Timeout())));

        Assert.Equal(2, await LayerCountAsync(name, digest));
        var first = await fixture.SkopeoVerifyAsync(name, digest, fixture.OurPublicKey);
        var second = await fixture.SkopeoVerifyAsync(name, digest, fixture.SecondPublicKey);
        Assert.True(first.ExitCode == 0, first.Output);
        Assert.True(second.ExitCode == 0, second.Output);
    }

    [Fact]
    public async Task SignAsync_AfterSkopeoSigned_KeepsSkopeoLayerAndBothVerify()
    {
        var name = RegistrySigningFixture.NewRepositoryName("foreign");
        var digest = await fixture.PushSkopeoSignedAsync(name, "v1", $"{fixture.Registry}/{name}:v1");

        await Signer().SignAsync(fixture.Repository(name), digest, fixture.OurKey, null, TestServices.Timeout());

        Assert.Equal(2, await LayerCountAsync(name, digest));
        Assert.Equal(0, (await fixture.SkopeoVerifyAsync(name, digest, fixture.SkopeoPublicKey)).ExitCode);
        Assert.Equal(0, (await fixture.SkopeoVerifyAsync(name, digest, fixture.OurPublicKey)).ExitCode);
    }

    [Fact]
    public async Task SignAsync_FirstSignatures_SevenRequestsForTheRepositoryThenFourPerImageAndSkopeoVerifies()
    {
        var name = RegistrySigningFixture.NewRepositoryName("roundtrips");
        var first = await fixture.PushImageAsync(name, "v1");
        var second = await fixture.PushImageAsync(name, "v2");
        var signer = Signer();

        // Other tests of this class run one after another (same collection), so the counter sees only these signatures.
        fixture.RoundTrips.Reset();
        await signer.SignAsync(fixture.Repository(name), first, fixture.OurKey, null, TestServices.Timeout());
        var repositoryFirst = fixture.RoundTrips.Count;
        fixture.RoundTrips.Reset();
        await signer.SignAsync(fixture.Repository(name), second, fixture.OurKey, null, TestServices.Timeout());
        var imageFirst = fixture.RoundTrips.Count;

        // The repository's first: GET .sig (404), HEAD config (404), POST+PUT config, POST+PUT payload, PUT manifest.
        Assert.InRange(repositoryFirst, 1, 7);
        // Then, per image: GET .sig (404), POST+PUT payload, PUT manifest; verified from the bytes PUT, no read-back.
        Assert.InRange(imageFirst, 1, 4);
        foreach (var digest in new[] { first, second })
        {
            var skopeo = await fixture.SkopeoVerifyAsync(name, digest, fixture.OurPublicKey);
            Assert.True(skopeo.ExitCode == 0, skopeo.Output);
        }
    }

    [Fact]
    public async Task AttestAsync_DecisionStatement_StoredAtAttTagAndReadBackVerifies()
    {
        var name = RegistrySigningFixture.NewRepositoryName("attest");
        var digest = await fixture.PushImageAsync(name, "v1");
        var statement = new HarborBridge.Signing.Dsse.InTotoStatement($"{fixture.Registry}/{name}", digest, "https://harborbridge.dev/decision/v1",
            new System.Text.Json.Nodes.JsonObject { ["policyVersion"] = "policy-7", ["verdict"] = "pass" });
        var attester = new CosignAttester(fixture.Client, TimeProvider.System);

        var first = await attester.AttestAsync(fixture.Repository(name), statement, fixture.OurKey, TestServices.Timeout());
        var second = await attester.AttestAsync(fixture.Repository(name), statement, fixture.OurKey, TestServices.Timeout());

        Assert.True(first.Added);
        Assert.False(second.Added);
        var manifest = await fixture.Client.GetManifestAsync(fixture.Repository(name), "sha256-" + digest["sha256:".Length..] + ".att", TestServices.Timeout());
        using var document = JsonDocument.Parse(manifest!.Content);
        var layer = Assert.Single(document.RootElement.GetProperty("layers").EnumerateArray());
        var envelope = await fixture.Client.GetBlobAsync(fixture.Repository(name), layer.GetProperty("digest").GetString()!, TestServices.Timeout());
        using var parsed = JsonDocument.Parse(envelope);
        var payload = Convert.FromBase64String(parsed.RootElement.GetProperty("payload").GetString()!);
        Assert.Equal(statement.ToJson(), payload);
    }

    private CosignSigner Signer() => new(fixture.Client, TimeProvider.System);

    private static string Sign(ECDsa key, byte[] payload) =>
        Convert.ToBase64String(key.SignData(payload, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));

    private static Func<string, string?> Environment(string? password) =>
        name => name == KeysCommand.PasswordVariable ? password : null;

    private async Task<int> LayerCountAsync(string name, string digest)
    {
        var manifest = await fixture.Client.GetManifestAsync(fixture.Repository(name), ImageDigest.SignatureTag(digest), TestServices.Timeout());
        using var document = JsonDocument.Parse(manifest!.Content);
        return document.RootElement.GetProperty("layers").GetArrayLength();
    }

    private static async Task<(int Exit, string Output, string Error)> VerifyCliAsync(string image, string publicKey)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var root = new RootCommand { VerifyCommand.Create(Environment(null)) };
        var exit = await root.Parse(["verify", image, "--key", publicKey, "--allow-insecure-registry"])
            .InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, TestServices.Timeout());
        return (exit, output.ToString(), error.ToString());
    }
}

using HarborBridge.Harbor.Oci;
using HarborBridge.IntegrationTests.Harbor;
using HarborBridge.Signing.Bundles;

namespace HarborBridge.IntegrationTests.Signing;

/// <summary>
/// Keyless Sigstore bundles as a CI job signing with cosign v3 makes them: tests/tools/sigstore-keyless-bundle.js (not our
/// code) gets a certificate for the token's identity from @sigstore/mock's Fulcio, signs an in-toto statement as DSSE and
/// logs it in the mock Rekor. <see cref="AttachAsync"/> stores such a bundle as an OCI 1.1 referrer of an image, straight
/// in the registry (on docker-registry, which has no referrers API, in the fallback index <c>sha256-&lt;hex&gt;</c>).
/// </summary>
internal static class KeylessBundleReferrers
{
    public const string BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json";

    /// <summary>An in-toto v1 statement about <paramref name="imageDigest"/> (named <paramref name="imageName"/>).</summary>
    public static string Statement(string imageName, string imageDigest, string predicateType, string predicateJson) => $$"""
        {"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"{{imageName}}",
         "digest":{"sha256":"{{imageDigest["sha256:".Length..]}}"} }],"predicateType":"{{predicateType}}","predicate":{{predicateJson}} }
        """;

    /// <summary>The bundle over <paramref name="statementJson"/>, signed for the identity <paramref name="subject"/> from <paramref name="issuer"/>.
    /// With <paramref name="layerFile"/>, the same signature is also written there as cosign's legacy keyless <c>.att</c> layer
    /// (<c>{"blob","annotations"}</c>, see the script).</summary>
    public static async Task<byte[]> MakeAsync(SigstoreMockServers mock, string workDirectory, string issuer, string subject, string statementJson,
        string? layerFile = null)
    {
        var statementFile = Path.Combine(workDirectory, Guid.NewGuid().ToString("N") + ".json");
        await File.WriteAllTextAsync(statementFile, statementJson);
        var bundleFile = statementFile + ".sigstore.json";
        var made = await ToolProcess.RunAsync("node",
            [Path.Combine(mock.Tools, "sigstore-keyless-bundle.js"), mock.BaseUrl, SigstoreMockServers.FakeToken(issuer, subject), statementFile, bundleFile, .. (layerFile is null ? Array.Empty<string>() : [layerFile])],
            workDirectory, new Dictionary<string, string> { ["NODE_PATH"] = mock.NodeModules });
        Assert.True(made.ExitCode == 0, made.Output);
        return await File.ReadAllBytesAsync(bundleFile);
    }

    /// <summary>Stores <paramref name="bundle"/> as a referrer of <paramref name="imageDigest"/> (which must be in <paramref name="target"/>).</summary>
    public static async Task AttachAsync(IOciRegistryClient registry, OciRepository target, byte[] bundle, string predicateType, string imageDigest)
    {
        var subject = await registry.HeadManifestAsync(target, imageDigest, TestServices.Timeout());
        Assert.NotNull(subject);
        var manifest = SigstoreBundle.ReferrerManifest(bundle, predicateType, subject.MediaType, imageDigest, subject.Size, DateTimeOffset.UnixEpoch);
        await registry.UploadBlobAsync(target, bundle, TestServices.Timeout());
        await registry.PushBlobAsync(target, SigstoreBundle.EmptyConfig, null, TestServices.Timeout());
        await registry.PushReferrerAsync(target, manifest, "application/vnd.oci.image.manifest.v1+json", imageDigest, BundleMediaType, TestServices.Timeout());
    }
}

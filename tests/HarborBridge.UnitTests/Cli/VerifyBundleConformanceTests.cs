using System.CommandLine;
using System.Security.Cryptography;
using HarborBridge.Cli;

namespace HarborBridge.UnitTests.Cli;

/// <summary>
/// sigstore-conformance's bundle verification suite (fixtures/signing/sigstore-conformance/bundle-verify, one folder per
/// case) run through <c>harborbridge verify-bundle</c> exactly as the suite's client.py builds the command line: the
/// bundle, then <c>--key key.pub</c> if the case has one, else the identity and issuer (files <c>identity</c>/<c>issuer</c>,
/// else the suite's defaults), <c>--trusted-root</c> if the case has one, then the artifact (<c>artifact</c>, else
/// <c>a.txt</c>) — once as a path and once as <c>sha256:&lt;hex&gt;</c>, as the suite does. Without a case trusted root the
/// suite uses the public-good production root; here it comes from <c>SIGSTORE_ROOT_FILE</c> (cosign's copy of that root).
/// A folder ending in <c>_fail</c> must be rejected (exit 1, or 2 for unusable input), with the reason its
/// README gives (<see cref="ExpectedRejections"/>); every other folder must verify with exit 0. The case list is read from the
/// folder, so a new case without an expected reason fails <see cref="ExpectedRejections_CoverExactlyTheFailingCaseFolders"/>.
/// </summary>
public sealed class VerifyBundleConformanceTests
{
    private const string DefaultIdentity =
        "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";

    private const string DefaultIssuer = "https://token.actions.githubusercontent.com";

    private static readonly string CasesRoot = Path.Combine(AppContext.BaseDirectory, "fixtures", "signing", "sigstore-conformance", "bundle-verify");

    private static readonly string ProductionRoot = Path.Combine(AppContext.BaseDirectory, "fixtures", "signing", "cosign", "trusted_root_pgi.json");

    /// <summary>
    /// Each rejected case: the exit code (2 where the case's input itself is unusable: a trusted root without a required
    /// field, a public key that is not a valid P-256 point) and a phrase of our reason that says what its README says is wrong.
    /// </summary>
    private static readonly Dictionary<string, (int Exit, string Reason)> ExpectedRejections = new(StringComparer.Ordinal)
    {
        ["bundle-empty-certificate-chain_fail"] = (1, "the bundle's certificate chain is empty"),
        ["bundle-from-wrong-instance_fail"] = (1, "no trusted Rekor key has the log ID"),
        ["bundle-invalid-base64-signature_fail"] = (1, "'INVALID!!!BASE64!!!ENCODING====' is not base64"),
        ["bundle-malformed-json_fail"] = (1, "the bundle is not valid JSON"),
        ["bundle-negative-log-index_fail"] = (1, "logIndex is negative (-1)"),
        ["bundle-unknown-version_fail"] = (1, "unsupported bundle media type or version 'application/vnd.dev.sigstore.bundle+json;version=99.9'"),
        ["bundle-with-root-cert_fail"] = (1, "the bundle's certificate chain contains a root certificate"),
        ["checkpoint-bad-keyhint_fail"] = (1, "the checkpoint is not signed by a trusted Rekor key"),
        ["checkpoint-wrong-roothash_fail"] = (1, "the checkpoint names another tree size or root hash than the inclusion proof"),
        ["dsse-invalid-sig_fail"] = (1, "the DSSE envelope's signature does not verify with the certificate's key"),
        ["dsse-mismatch-envelope_fail"] = (1, "the logged entry is for another DSSE payload"),
        ["dsse-mismatch-sig_fail"] = (1, "the logged entry holds another DSSE signature"),
        ["inclusion-proof-corrupted-hash_fail"] = (1, "the inclusion proof does not lead from the entry to the root hash"),
        ["incorrect-public-key_fail"] = (1, "the logged entry names another certificate or key"),
        ["integrated-time-in-future_fail"] = (1, "the certificate was not valid at the signing time 2026-05-07 15:34:11Z (valid 2026-05-07 15:18:10Z to 2026-05-07 15:28:10Z) (time from the Rekor integrated time)"),
        ["intoto-expired-certificate_fail"] = (1, "the certificate was not valid at the signing time 2023-02-01 00:00:00Z (valid 2030-01-01 00:00:00Z"),
        ["intoto-log-entry-mismatch_fail"] = (1, "the logged entry holds another DSSE signature"),
        ["intoto-missing-inclusion-proof_fail"] = (1, "a v0.2 bundle needs an inclusion proof"),
        ["intoto-set-outside-signing-cert-validity_fail"] = (1, "the certificate was not valid at the signing time 2023-02-02 00:00:00Z (valid 2023-02-01 00:00:00Z to 2023-02-01 00:10:00Z) (time from the Rekor integrated time)"),
        ["intoto-tsa-timestamp-outside-cert-validity_fail"] = (1, "the certificate was not valid at the signing time 2023-02-02 00:00:00Z (valid 2023-02-01 00:00:00Z to 2023-02-01 00:10:00Z) (time from the RFC 3161 timestamp)"),
        ["invalid-checkpoint-signature_fail"] = (1, "the checkpoint is not signed by a trusted Rekor key"),
        ["invalid-ct-key_fail"] = (1, "no SCT of the certificate is signed by a trusted CT log"),
        ["invalid-inclusion-proof_fail"] = (1, "the inclusion proof does not lead from the entry to the root hash"),
        ["managed-key-no-key_fail"] = (1, "the bundle is signed with a public key, not a certificate"),
        ["managed-key-wrong-key_fail"] = (2, "cannot use the public key"),
        ["message-digest-mismatch_fail"] = (1, "the bundle's message digest is not the SHA-256 of the artifact"),
        ["rekor2-checkpoint-missing-log-signature_fail"] = (1, "the checkpoint is not signed by a trusted Rekor key"),
        ["rekor2-checkpoint-missing-origin_fail"] = (1, "the checkpoint is malformed"),
        ["rekor2-checkpoint-missing-root-hash_fail"] = (1, "the checkpoint is malformed"),
        ["rekor2-checkpoint-missing-size_fail"] = (1, "the checkpoint is malformed"),
        ["rekor2-checkpoint-no-matching-signature_fail"] = (1, "the checkpoint is not signed by a trusted Rekor key"),
        ["rekor2-dsse-invalid-sig_fail"] = (1, "the DSSE envelope's signature does not verify with the certificate's key"),
        ["rekor2-dsse-mismatch-envelope_fail"] = (1, "the logged entry is for another DSSE envelope"),
        ["rekor2-dsse-mismatch-sig_fail"] = (1, "the logged entry holds another signature"),
        ["rekor2-no-inclusion-proof_fail"] = (1, "a v0.3 bundle needs an inclusion proof"),
        ["rekor2-no-timestamp_fail"] = (1, "no verified time for the signature"),
        ["rekor2-timestamp-outside-trust-root-tsa-validity_fail"] = (1, "was not trusted at 2025-06-12 12:02:20Z (trusted root validFor)"),
        ["rekor2-timestamp-outside-tsa-cert-validity_fail"] = (1, "the timestamp's time 2025-08-07 15:38:32Z is outside the validity of the certificate that signed it"),
        ["rekor2-timestamp-payload-mismatch_fail"] = (1, "the timestamp is over other data than this signature"),
        ["rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail"] = (1, "is not from a trusted timestamp authority"),
        ["rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail"] = (1, "is not from a trusted timestamp authority"),
        ["rekor2-timestamp-with-incorrect-time_fail"] = (1, "the certificate was not valid at the signing time 2025-07-15 10:33:31Z (valid 2025-06-12 12:02:16Z to 2025-06-12 12:12:16Z) (time from the RFC 3161 timestamp)"),
        ["set-invalid-signature_fail"] = (1, "the signed entry timestamp does not verify with the trusted Rekor key"),
        ["signature-mismatch_fail"] = (1, "the signature does not verify over the artifact with the certificate's key"),
        ["trust-root-tlog-missing-validity-start_fail"] = (2, "the tlogs key of https://log2025-alpha1.rekor.sigstage.dev has no validFor.start"),
        ["wrong-hashedrekord-artifact_fail"] = (1, "the logged entry is for another artifact"),
        ["wrong-hashedrekord-cert-and-sig_fail"] = (1, "the logged entry holds another signature"),
        ["wrong-hashedrekord-entry_fail"] = (1, "the logged entry is for another artifact"),
        ["wrong-material_fail"] = (1, "the bundle's message digest is not the SHA-256 of the artifact"),
    };

    public static TheoryData<string, bool> Cases()
    {
        var data = new TheoryData<string, bool>();
        foreach (var folder in CaseFolders())
        {
            data.Add(folder, false);
            data.Add(folder, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task VerifyBundle_ConformanceCase_ExpectedResult(string name, bool byDigest)
    {
        var (exit, output, error) = await RunCaseAsync(name, byDigest);

        if (!name.EndsWith("_fail", StringComparison.Ordinal))
        {
            Assert.True(exit == 0, $"{name} must verify; exit {exit}: {error}");
            Assert.StartsWith("Verified OK: sha256:", output, StringComparison.Ordinal);
            return;
        }

        var (expectedExit, reason) = ExpectedRejections[name];
        Assert.True(exit == expectedExit, $"{name} must be rejected with exit {expectedExit}; exit {exit}: {output}{error}");
        Assert.Contains(reason, error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ExpectedRejections_CoverExactlyTheFailingCaseFolders()
    {
        var folders = CaseFolders().ToList();
        var failing = folders.Where(f => f.EndsWith("_fail", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(70, folders.Count);
        Assert.Equal(49, failing.Count);
        Assert.Equal(failing, ExpectedRejections.Keys.Order(StringComparer.Ordinal));
    }

    private static IEnumerable<string> CaseFolders() =>
        Directory.GetDirectories(CasesRoot).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal);

    private static async Task<(int Exit, string Output, string Error)> RunCaseAsync(string name, bool byDigest)
    {
        var folder = Path.Combine(CasesRoot, name);
        var args = new List<string> { "verify-bundle", "--bundle", Path.Combine(folder, "bundle.sigstore.json") };
        if (File.Exists(Path.Combine(folder, "key.pub")))
        {
            args.AddRange(["--key", Path.Combine(folder, "key.pub")]);
        }
        else
        {
            args.AddRange(["--certificate-identity", ReadOr(folder, "identity", DefaultIdentity), "--certificate-oidc-issuer", ReadOr(folder, "issuer", DefaultIssuer)]);
        }

        if (File.Exists(Path.Combine(folder, "trusted_root.json")))
        {
            args.AddRange(["--trusted-root", Path.Combine(folder, "trusted_root.json")]);
        }

        var artifact = File.Exists(Path.Combine(folder, "artifact")) ? Path.Combine(folder, "artifact") : Path.Combine(CasesRoot, "a.txt");
        args.Add(byDigest ? "sha256:" + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(artifact))) : artifact);

        using var output = new StringWriter();
        using var error = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var command = VerifyBundleCommand.Create(v => v == VerifyCommand.TrustedRootVariable ? ProductionRoot : null, TimeProvider.System);
        var exit = await new RootCommand { command }.Parse([.. args])
            .InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, timeout.Token);
        return (exit, output.ToString(), error.ToString());
    }

    private static string ReadOr(string folder, string file, string fallback) =>
        File.Exists(Path.Combine(folder, file)) ? File.ReadAllText(Path.Combine(folder, file)).Trim() : fallback;
}

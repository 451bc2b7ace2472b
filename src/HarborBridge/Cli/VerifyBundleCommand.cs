using System.CommandLine;
using System.Security.Cryptography;
using HarborBridge.Signing;
using HarborBridge.Signing.Keys;
using HarborBridge.Signing.Transparency;
using HarborBridge.Signing.Verification;

namespace HarborBridge.Cli;

/// <summary>
/// <c>harborbridge verify-bundle --bundle FILE (--certificate-identity ID --certificate-oidc-issuer URL | --key PEM)
/// [--trusted-root FILE] FILE_OR_DIGEST</c>: verifies a Sigstore bundle (v0.1–v0.3) offline, in the command-line shape
/// of sigstore-conformance's CLI protocol (docs/cli_protocol.md there). The input is a file, or <c>sha256:&lt;hex&gt;</c>
/// when that is not also a path on disk. Trusted root: <c>--trusted-root</c>, else <c>SIGSTORE_ROOT_FILE</c>. Exit 0
/// verified, 1 not verified (with the reason), 2 bad input.
/// </summary>
internal static class VerifyBundleCommand
{
    public const int ExitVerified = 0;
    public const int ExitNotVerified = 1;
    public const int ExitBadInput = 2;

    public static Command Create() => Create(Environment.GetEnvironmentVariable, TimeProvider.System);

    internal static Command Create(Func<string, string?> environment, TimeProvider time)
    {
        var staging = new Option<bool>("--staging") { Description = "Sigstore's staging instance: needs --trusted-root with its trusted root (nothing is fetched)." };
        var bundle = new Option<string>("--bundle") { Description = "The Sigstore bundle (JSON) to verify.", Required = true };
        var identity = new Option<string>("--certificate-identity") { Description = "Keyless: the signer's identity (certificate SAN, e-mail or URI), exact match." };
        var issuer = new Option<string>("--certificate-oidc-issuer") { Description = "Keyless: the OIDC issuer in the certificate, exact match." };
        var key = new Option<string>("--key") { Description = "A public key (PEM) the bundle must be signed with, instead of an identity." };
        var trustedRoot = new Option<string>("--trusted-root")
        {
            Description = $"Sigstore trusted root JSON (Fulcio CAs, Rekor and CT log keys, timestamp authorities). Default: ${VerifyCommand.TrustedRootVariable}.",
        };
        var input = new Argument<string>("FILE_OR_DIGEST") { Description = "The signed file, or its digest sha256:<64 hex> (for DSSE bundles: a subject of the statement)." };
        var command = new Command("verify-bundle", "Verify a Sigstore bundle offline against a file or a digest. Exit 0 verified, 1 not, 2 bad input.")
        {
            staging, bundle, identity, issuer, key, trustedRoot, input,
        };
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            new Request(parseResult.GetValue(bundle), parseResult.GetValue(identity), parseResult.GetValue(issuer), parseResult.GetValue(key),
                parseResult.GetValue(trustedRoot), parseResult.GetValue(staging), parseResult.GetValue(input)),
            environment, time, parseResult.InvocationConfiguration.Output, parseResult.InvocationConfiguration.Error, cancellationToken));
        return command;
    }

    internal sealed record Request(string? Bundle, string? Identity, string? Issuer, string? KeyFile, string? TrustedRoot, bool Staging, string? Input);

    internal static async Task<int> RunAsync(
        Request request, Func<string, string?> environment, TimeProvider time, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var rootFile = request.TrustedRoot ?? environment(VerifyCommand.TrustedRootVariable);
        var keyless = request.Identity is not null || request.Issuer is not null;
        var problem = (request.KeyFile is not null && keyless ? "--key cannot be combined with --certificate-identity/--certificate-oidc-issuer" : null)
            ?? (request.KeyFile is null && (string.IsNullOrEmpty(request.Identity) || string.IsNullOrEmpty(request.Issuer))
                ? "give --certificate-identity and --certificate-oidc-issuer, or --key" : null)
            ?? (request.Staging && request.TrustedRoot is null ? "--staging needs --trusted-root with the staging instance's trusted root (nothing is fetched)" : null)
            ?? (request.KeyFile is null && string.IsNullOrEmpty(rootFile)
                ? $"give --trusted-root FILE or set {VerifyCommand.TrustedRootVariable} (a Sigstore trusted root JSON)" : null)
            ?? (string.IsNullOrEmpty(request.Input) ? "give the file to verify or its digest (sha256:<64 hex>)" : null);
        if (problem is not null)
        {
            await error.WriteLineAsync($"error: {problem}.");
            return ExitBadInput;
        }

        var loaded = await LoadAsync(request, rootFile, cancellationToken);
        if (loaded.Problem is not null)
        {
            await error.WriteLineAsync($"error: {loaded.Problem}");
            return ExitBadInput;
        }

        using var publicKey = loaded.Key;
        var policy = publicKey is not null ? BundlePolicy.ForKey(publicKey) : BundlePolicy.ForIdentity(request.Identity!, request.Issuer!);
        var check = SigstoreBundleVerifier.Verify(loaded.Bundle!, loaded.Artifact!, policy, loaded.Trust!, time.GetUtcNow());
        if (!check.IsVerified)
        {
            await error.WriteLineAsync($"error: the bundle does not verify for {loaded.Artifact!.Digest}: {check.FailureReason}.");
            return ExitNotVerified;
        }

        var signer = check.Signer is { } s ? $"{s.Subject} (issuer {s.Issuer})" : "the given key";
        var times = check.VerifiedTimes.Count == 0 ? "no verified time" : "signed at " + string.Join(", ", check.VerifiedTimes.Distinct().Select(t => t.ToString("u", System.Globalization.CultureInfo.InvariantCulture)));
        await output.WriteLineAsync($"Verified OK: {loaded.Artifact!.Digest} signed by {signer}; {times}.");
        return ExitVerified;
    }

    private sealed record Loaded(string? Problem, byte[]? Bundle = null, BundleArtifact? Artifact = null, ECDsa? Key = null, KeylessTrust? Trust = null);

    // Reads every file the request names; any unreadable one is bad input (exit 2).
    private static async Task<Loaded> LoadAsync(Request request, string? rootFile, CancellationToken cancellationToken)
    {
        ECDsa? key = null;
        try
        {
            var bundle = await File.ReadAllBytesAsync(request.Bundle!, cancellationToken);
            var artifact = IsDigest(request.Input!) && !File.Exists(request.Input)
                ? BundleArtifact.FromDigest(request.Input!.ToLowerInvariant())
                : BundleArtifact.FromContent(await File.ReadAllBytesAsync(request.Input!, cancellationToken));
            var trust = string.IsNullOrEmpty(rootFile)
                ? new KeylessTrust([], [])
                : KeylessTrust.FromTrustedRoot(await File.ReadAllBytesAsync(rootFile, cancellationToken));
            key = request.KeyFile is null ? null : SigningKeyFiles.LoadPublicKey(await File.ReadAllTextAsync(request.KeyFile, cancellationToken));
            return new Loaded(null, bundle, artifact, key, trust);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            key?.Dispose();
            return new Loaded($"cannot read an input file: {e.Message}");
        }
        catch (TrustedRootException e)
        {
            return new Loaded($"cannot use the trusted root {rootFile}: {e.Message}.");
        }
        catch (KeyFileException e)
        {
            return new Loaded($"cannot use the public key {request.KeyFile}: {e.Message}");
        }
    }

    // The protocol's rule: sha256: and the right length for a hex SHA-256; anything else is a path.
    private static bool IsDigest(string input) => ImageDigest.IsValid(input.ToLowerInvariant());
}

using HarborBridge.Harbor.Oci;
using HarborBridge.Signing.Registry;
using HarborBridge.Signing.Transparency;
using HarborBridge.Signing.Verification;

namespace HarborBridge.Cli;

/// <summary>
/// <c>harborbridge verify IMAGE --certificate-identity X --certificate-oidc-issuer Y [--trusted-root FILE]</c>: verifies
/// keyless signatures (legacy <c>.sig</c> layers with certificate annotations, and Sigstore bundle referrers) against the
/// trusted root (<c>--trusted-root</c>, else <c>SIGSTORE_ROOT_FILE</c>; HarborBridge never fetches one over TUF).
/// </summary>
internal static class KeylessVerification
{
    public static async Task<int> RunAsync(
        VerifyCommand.Request request, VerifyCommand.KeylessRequest keyless, Func<string, string?> environment,
        TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var image = ImageReference.TryParse(request.Image, out var problem);
        var rootFile = keyless.TrustedRootFile ?? environment(VerifyCommand.TrustedRootVariable);
        var inputProblem = (image is null ? problem : null)
            ?? (request.Output is not ("json" or "text") ? $"--output must be json or text, not '{request.Output}'" : null)
            ?? (string.IsNullOrEmpty(keyless.Identity) ? "--certificate-identity is required for keyless verification" : null)
            ?? (string.IsNullOrEmpty(keyless.Issuer) ? "--certificate-oidc-issuer is required for keyless verification" : null)
            ?? (string.IsNullOrEmpty(rootFile) ? $"give --trusted-root FILE or set {VerifyCommand.TrustedRootVariable} (a Sigstore trusted root JSON)" : null)
            ?? RegistryAccess.CheckCredentials(environment);
        if (inputProblem is not null || image is null)
        {
            await error.WriteLineAsync($"error: {inputProblem}.");
            return VerifyCommand.ExitBadInput;
        }

        KeylessTrust trust;
        try
        {
            trust = KeylessTrust.FromTrustedRoot(await File.ReadAllBytesAsync(rootFile!, cancellationToken));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or TrustedRootException)
        {
            await error.WriteLineAsync($"error: cannot use the trusted root {rootFile}: {e.Message}");
            return VerifyCommand.ExitBadInput;
        }

        if (trust.Authorities.Count == 0 || trust.RekorKeys.Count == 0)
        {
            await error.WriteLineAsync($"error: the trusted root {rootFile} needs at least one Fulcio CA and one ECDSA P-256 Rekor key.");
            return VerifyCommand.ExitBadInput;
        }

        var expected = request.SignedRepository ?? image.Repository;
        var (verification, exitCode) = await VerifyCommand.ReadFromRegistryAsync(image, request, environment, error,
            (verifier, repository) => verifier.VerifyKeylessAsync(repository, image.Reference, expected,
                new KeylessPolicy(keyless.Identity!, keyless.Issuer!, trust), cancellationToken), cancellationToken);
        if (verification is null)
        {
            return exitCode;
        }

        if (!verification.IsVerified)
        {
            await error.WriteLineAsync($"error: no valid keyless signature for {image.Repository}@{verification.ImageDigest}: {verification.Explain()}");
            return VerifyCommand.ExitNotVerified;
        }

        await error.WriteLineAsync($"""

            Verification for {image.Repository}@{verification.ImageDigest} --
            The following checks were performed on each of these signatures:
              - The cosign claims were validated
              - Existence of the claims in the transparency log was verified offline
              - The code-signing certificate was verified using trusted certificate authority certificates
              - The certificate identity is {keyless.Identity} and its OIDC issuer is {keyless.Issuer}

            """);
        var payloads = verification.Signatures.Verified.Select(v => v.PayloadBytes)
            .Concat(verification.Bundles.Where(b => b.Result.IsVerified).Select(b => b.Result.Payload!));
        await VerifyCommand.WritePayloadsAsync(output, request.Output, payloads);
        return VerifyCommand.ExitVerified;
    }
}

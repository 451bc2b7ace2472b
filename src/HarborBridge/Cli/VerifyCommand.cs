using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using HarborBridge.Harbor.Oci;
using HarborBridge.Signing.Keys;
using HarborBridge.Signing.Registry;

namespace HarborBridge.Cli;

/// <summary>
/// <c>harborbridge verify IMAGE[@sha256:…|:tag] --key cosign.pub [--output json|text] [--allow-insecure-registry]</c>:
/// verifies the image's cosign signatures with a public key — legacy <c>.sig</c> layers and Sigstore bundle referrers
/// (cosign v3) — and prints the verified payloads as <c>cosign verify</c> does. Exit 0 verified, 1 not verified (with
/// the reasons), 2 bad input.
/// </summary>
internal static class VerifyCommand
{
    public const int ExitVerified = 0;
    public const int ExitNotVerified = 1;
    public const int ExitBadInput = 2;

    public static Command Create() => Create(Environment.GetEnvironmentVariable);

    internal static Command Create(Func<string, string?> environment)
    {
        var image = new Argument<string>("IMAGE") { Description = "host[:port]/name@sha256:… or host[:port]/name:tag" };
        var key = new Option<string>("--key") { Description = "Public key file (PEM) the signature must verify with. Not with the keyless options." };
        var certificateIdentity = new Option<string>("--certificate-identity") { Description = "Keyless: the signer's identity (certificate SAN, e-mail or URI), exact match." };
        var certificateIssuer = new Option<string>("--certificate-oidc-issuer") { Description = "Keyless: the OIDC issuer in the certificate, exact match." };
        var trustedRoot = new Option<string>("--trusted-root") { Description = $"Keyless: Sigstore trusted root JSON (Fulcio CAs, Rekor keys). Default: ${TrustedRootVariable}." };
        var outputFormat = new Option<string>("--output", "-o") { Description = "json (default): a JSON array of the verified payloads; text: one payload per line.", DefaultValueFactory = _ => "json" };
        var identity = new Option<string>("--signed-repository")
        {
            Description = "Repository the signatures must name (host/name, tag ignored). Default: the image's own repository.",
        };
        var insecure = new Option<bool>("--allow-insecure-registry") { Description = "Talk plain HTTP to the registry (test registries only)." };
        var command = new Command("verify", "Verify an image's cosign signatures (.sig and Sigstore bundle referrers) with a public key or keyless. Exit 0 verified, 1 not, 2 bad input.")
        {
            image, key, outputFormat, identity, insecure, certificateIdentity, certificateIssuer, trustedRoot,
        };
        command.SetAction((parseResult, cancellationToken) =>
        {
            var request = new Request(parseResult.GetValue(image), parseResult.GetValue(key), parseResult.GetValue(outputFormat) ?? "json",
                parseResult.GetValue(identity), parseResult.GetValue(insecure));
            var keyless = new KeylessRequest(parseResult.GetValue(certificateIdentity), parseResult.GetValue(certificateIssuer), parseResult.GetValue(trustedRoot));
            var error = parseResult.InvocationConfiguration.Error;
            if (SignCommand.KeylessRequest.Conflict(request.KeyFile, keyless.Given) is { } conflict)
            {
                error.WriteLine($"error: {conflict}");
                return Task.FromResult(ExitBadInput);
            }

            return request.KeyFile is not null
                ? RunAsync(request, environment, parseResult.InvocationConfiguration.Output, error, cancellationToken)
                : KeylessVerification.RunAsync(request, keyless, environment, parseResult.InvocationConfiguration.Output, error, cancellationToken);
        });
        return command;
    }

    /// <summary>cosign's variable for a trusted root file, used when <c>--trusted-root</c> is not given.</summary>
    public const string TrustedRootVariable = "SIGSTORE_ROOT_FILE";

    internal sealed record Request(string? Image, string? KeyFile, string Output, string? SignedRepository, bool PlainHttp);

    /// <summary>The keyless flags of <c>verify</c>.</summary>
    internal sealed record KeylessRequest(string? Identity, string? Issuer, string? TrustedRootFile)
    {
        public bool Given => Identity is not null || Issuer is not null || TrustedRootFile is not null;
    }

    internal static async Task<int> RunAsync(Request request, Func<string, string?> environment, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var image = ImageReference.TryParse(request.Image, out var problem);
        if (image is null)
        {
            await error.WriteLineAsync($"error: {problem}.");
            return ExitBadInput;
        }

        if (request.Output is not ("json" or "text"))
        {
            await error.WriteLineAsync($"error: --output must be json or text, not '{request.Output}'.");
            return ExitBadInput;
        }

        if (RegistryAccess.CheckCredentials(environment) is { } credentialProblem)
        {
            await error.WriteLineAsync($"error: {credentialProblem}.");
            return ExitBadInput;
        }

        ECDsa publicKey;
        try
        {
            publicKey = SigningKeyFiles.LoadPublicKey(await File.ReadAllTextAsync(request.KeyFile!, cancellationToken));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or KeyFileException)
        {
            await error.WriteLineAsync($"error: cannot use the public key {request.KeyFile}: {e.Message}");
            return ExitBadInput;
        }

        using (publicKey)
        {
            var expected = request.SignedRepository ?? image.Repository;
            var (verification, exitCode) = await ReadFromRegistryAsync(image, request, environment, error,
                (verifier, repository) => verifier.VerifyAsync(repository, image.Reference, expected, [publicKey], cancellationToken), cancellationToken);
            if (verification is null)
            {
                return exitCode;
            }

            if (!verification.IsVerified)
            {
                await error.WriteLineAsync($"error: no valid signature for {image.Repository}@{verification.ImageDigest}: {verification.Explain()}");
                return ExitNotVerified;
            }

            await error.WriteLineAsync($"""

                Verification for {image.Repository}@{verification.ImageDigest} --
                The following checks were performed on each of these signatures:
                  - The cosign claims were validated
                  - The signatures were verified against the specified public key
                  - The signed identity is in the repository {expected} (.sig); the statement's subject is the image digest (bundles)

                """);
            await WritePayloadsAsync(output, request.Output, verification.Result.Verified.Select(v => v.PayloadBytes)
                .Concat(verification.Bundles.Where(b => b.Result.IsVerified).Select(b => b.Result.Statement!)));
            return ExitVerified;
        }
    }

    /// <summary>
    /// Reads the image's signatures from its registry with <paramref name="read"/> (key or keyless). On failure it says why
    /// on <paramref name="error"/> and returns no verification with the exit code: 2 for a reference the registry client
    /// refuses, 1 when the registry cannot be read or does not have the image.
    /// </summary>
    internal static async Task<(T? Verification, int ExitCode)> ReadFromRegistryAsync<T>(
        ImageReference image, Request request, Func<string, string?> environment, TextWriter error,
        Func<RegistrySignatureVerifier, OciRepository, Task<T?>> read, CancellationToken cancellationToken)
        where T : class
    {
        var repository = OciRepository.Parse(image.Repository, request.PlainHttp);
        await using var services = RegistryAccess.CreateServices(repository, environment);
        T? verification;
        try
        {
            verification = await read(new RegistrySignatureVerifier(services.GetRequiredService<IOciRegistryClient>()), repository);
        }
        catch (ArgumentException e)
        {
            await error.WriteLineAsync($"error: {e.Message}");
            return (null, ExitBadInput);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync($"error: cannot read {image} from the registry: {RegistryAccess.Describe(e, repository)}");
            return (null, ExitNotVerified);
        }

        if (verification is null)
        {
            await error.WriteLineAsync($"error: {image} was not found in the registry.");
            return (null, ExitNotVerified);
        }

        return (verification, ExitVerified);
    }

    /// <summary>The verified payloads on stdout: a JSON array (json) or one per line (text), as cosign prints them.</summary>
    internal static Task WritePayloadsAsync(TextWriter output, string format, IEnumerable<byte[]> payloads)
    {
        var texts = payloads.Select(p => Encoding.UTF8.GetString(p)).ToList();
        return output.WriteLineAsync(format == "json" ? "[" + string.Join(",", texts) + "]" : string.Join('\n', texts));
    }
}

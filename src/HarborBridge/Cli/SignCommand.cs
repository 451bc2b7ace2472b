using System.CommandLine;
using HarborBridge.Harbor.Oci;
using HarborBridge.Signing.Keyless;
using HarborBridge.Signing.Keys;
using HarborBridge.Signing.Registry;

namespace HarborBridge.Cli;

/// <summary>
/// <c>harborbridge sign IMAGE@sha256:… --key cosign.key [--format legacy|bundle|both] [-a key=value]… [--allow-insecure-registry]</c>:
/// signs an image digest in the registry as <c>cosign sign --key</c> does — cosign v2's legacy <c>.sig</c> layer and/or
/// cosign v3's Sigstore bundle v0.3 referrer (fallback tag without a referrers API) — and verifies what was written. Key password from COSIGN_PASSWORD. Keyless instead of <c>--key</c>:
/// <c>--identity-token FILE --fulcio-url URL --rekor-url URL [--bundle FILE]</c> (cosign v2's keyless <c>.sig</c> layer
/// with certificate, chain and Rekor annotations). Exit 0 signed and verified, 1 failed, 2 bad input.
/// </summary>
internal static class SignCommand
{
    /// <summary>The service's setting for the format (HarborBridge:Signing:Format), also the CLI's default.</summary>
    public const string FormatVariable = "HarborBridge__Signing__Format";

    public const int ExitSigned = 0;
    public const int ExitFailed = 1;
    public const int ExitBadInput = 2;

    public static Command Create() => Create(Environment.GetEnvironmentVariable);

    internal static Command Create(Func<string, string?> environment)
    {
        var image = new Argument<string>("IMAGE") { Description = "The image to sign, by digest: host[:port]/name@sha256:…" };
        var key = new Option<string>("--key") { Description = "cosign private key file (encrypted; password in COSIGN_PASSWORD). Not with the keyless options." };
        var annotations = new Option<string[]>("--annotations", "-a") { Description = "key=value added to the signed payload's 'optional' (repeatable; --key only)." };
        var insecure = new Option<bool>("--allow-insecure-registry") { Description = "Talk plain HTTP to the registry (test registries only)." };
        var token = new Option<string>("--identity-token") { Description = "Keyless: file holding the OIDC identity token (e.g. a projected service-account token)." };
        var fulcio = new Option<string>("--fulcio-url") { Description = "Keyless: Fulcio base URL, e.g. https://fulcio.sigstore.dev." };
        var rekor = new Option<string>("--rekor-url") { Description = "Keyless: Rekor base URL, e.g. https://rekor.sigstore.dev." };
        var bundle = new Option<string>("--bundle") { Description = "Keyless: also write the Sigstore bundle v0.3 (message signature over the .sig payload) to this file." };
        var format = new Option<string>("--format")
        {
            Description = $"With --key: legacy (.sig tag, cosign v2), bundle (Sigstore bundle v0.3 referrer, cosign v3) or both. Default: ${FormatVariable}, else legacy (the service's default).",
        };
        var command = new Command("sign", "Sign an image digest in its registry (cosign-compatible .sig and/or bundle referrer; with a key or keyless) and verify what was written.")
        {
            image, key, annotations, insecure, token, fulcio, rekor, bundle, format,
        };
        command.SetAction((parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            var keyless = new KeylessRequest(parseResult.GetValue(token), parseResult.GetValue(fulcio), parseResult.GetValue(rekor), parseResult.GetValue(bundle));
            var keyFile = parseResult.GetValue(key);
            var formatText = parseResult.GetValue(format) ?? environment(FormatVariable) ?? nameof(SignatureFormat.Legacy);
            var formatKnown = TryParseFormat(formatText, out var chosen);
            var problem = KeylessRequest.Conflict(keyFile, keyless.Given)
                ?? (formatKnown ? null : $"--format must be legacy, bundle or both, not '{formatText}'.")
                ?? (keyFile is null && chosen != SignatureFormat.Legacy ? "keyless signing writes the legacy .sig format only; use --format legacy." : null)
                ?? (chosen != SignatureFormat.Legacy && (parseResult.GetValue(annotations)?.Length ?? 0) > 0
                    ? "-a/--annotations is only supported with --format legacy." : null);
            if (problem is not null)
            {
                error.WriteLine($"error: {problem}");
                return Task.FromResult(ExitBadInput);
            }

            return keyFile is not null
                ? RunAsync(parseResult.GetValue(image), keyFile, chosen, parseResult.GetValue(annotations) ?? [], parseResult.GetValue(insecure),
                    environment, output, error, cancellationToken)
                : RunKeylessAsync(parseResult.GetValue(image), keyless, parseResult.GetValue(annotations) ?? [], parseResult.GetValue(insecure),
                    environment, output, error, cancellationToken);
        });
        return command;
    }

    /// <summary>The keyless flags of <c>sign</c>.</summary>
    internal sealed record KeylessRequest(string? TokenFile, string? FulcioUrl, string? RekorUrl, string? BundleFile)
    {
        public bool Given => TokenFile is not null || FulcioUrl is not null || RekorUrl is not null || BundleFile is not null;

        /// <summary>Null when exactly one way of signing (or verifying) was chosen.</summary>
        public static string? Conflict(string? keyFile, bool keylessGiven) => (keyFile, keylessGiven) switch
        {
            (not null, true) => "--key and the keyless options cannot be combined; use --key, or keyless signing/verification without it.",
            (null, false) => "give --key, or the keyless options (sign: --identity-token, --fulcio-url, --rekor-url; verify: --certificate-identity, --certificate-oidc-issuer).",
            _ => null,
        };
    }

    internal static async Task<int> RunKeylessAsync(
        string? imageText, KeylessRequest request, string[] annotationArgs, bool plainHttp, Func<string, string?> environment,
        TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var image = ParseDigestReference(imageText, out var imageProblem);
        var problem = imageProblem
            ?? (annotationArgs.Length > 0 ? "-a/--annotations is only supported with --key" : null)
            ?? (request.TokenFile is null ? "--identity-token FILE is required for keyless signing" : null)
            ?? (request.TokenFile is not null && !File.Exists(request.TokenFile) ? $"the identity token file {request.TokenFile} does not exist" : null)
            ?? CheckUrl("--fulcio-url", request.FulcioUrl)
            ?? CheckUrl("--rekor-url", request.RekorUrl)
            ?? (request.BundleFile is not null && !Directory.Exists(Path.GetDirectoryName(Path.GetFullPath(request.BundleFile)))
                ? $"the folder of --bundle {request.BundleFile} does not exist" : null)
            ?? RegistryAccess.CheckCredentials(environment);
        if (problem is not null || image is null)
        {
            await error.WriteLineAsync($"error: {problem}.");
            return ExitBadInput;
        }

        var repository = OciRepository.Parse(image.Repository, plainHttp);
        await using var services = RegistryAccess.CreateServices(repository, environment);
        await using var keylessServices = new ServiceCollection().AddKeylessSigning().BuildServiceProvider();
        try
        {
            if (await MissingImageAsync(services.GetRequiredService<IOciRegistryClient>(), repository, image, cancellationToken) is { } missing)
            {
                await error.WriteLineAsync(missing);
                return ExitFailed;
            }

            var signature = await keylessServices.GetRequiredService<KeylessSigner>().SignImageAsync(
                new KeylessSettings(request.TokenFile!, request.FulcioUrl!, request.RekorUrl!), repository.ToString(), image.Reference, cancellationToken);
            var signer = new CosignSigner(services.GetRequiredService<IOciRegistryClient>(), TimeProvider.System);
            var outcome = await signer.StoreKeylessAsync(repository, image.Reference, signature, cancellationToken);
            if (request.BundleFile is not null)
            {
                await File.WriteAllBytesAsync(request.BundleFile, signature.Bundle, cancellationToken);
            }

            await output.WriteLineAsync(
                $"Pushed keyless signature to {repository}:{outcome.SignatureTag} and verified it (manifest {outcome.SignatureManifestDigest}); " +
                $"Rekor log index {signature.RekorEntry.LogIndex}.");
            return ExitSigned;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync($"error: keyless signing of {image} failed: {(e is KeylessException or IOException ? e.Message : RegistryAccess.Describe(e, repository))}");
            return ExitFailed;
        }
    }

    internal static async Task<int> RunAsync(
        string? imageText, string keyFile, SignatureFormat format, string[] annotationArgs, bool plainHttp, Func<string, string?> environment,
        TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var image = ParseDigestReference(imageText, out var imageProblem);
        if (image is null)
        {
            await error.WriteLineAsync($"error: {imageProblem}.");
            return ExitBadInput;
        }

        var annotations = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in annotationArgs)
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                await error.WriteLineAsync($"error: annotation '{pair}' is not key=value.");
                return ExitBadInput;
            }

            annotations[pair[..eq]] = pair[(eq + 1)..];
        }

        if (RegistryAccess.CheckCredentials(environment) is { } credentialProblem)
        {
            await error.WriteLineAsync($"error: {credentialProblem}.");
            return ExitBadInput;
        }

        var password = environment(KeysCommand.PasswordVariable);
        if (password is null)
        {
            await error.WriteLineAsync($"error: set {KeysCommand.PasswordVariable} to the private key's password ({KeysCommand.PasswordVariable}= for an empty one).");
            return ExitBadInput;
        }

        System.Security.Cryptography.ECDsa signingKey;
        try
        {
            signingKey = SigningKeyFiles.LoadPrivateKey(await File.ReadAllTextAsync(keyFile, cancellationToken), password);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or KeyFileException)
        {
            await error.WriteLineAsync($"error: cannot use the key {keyFile}: {e.Message}");
            return ExitBadInput;
        }

        using (signingKey)
        {
            var repository = OciRepository.Parse(image.Repository, plainHttp);
            await using var services = RegistryAccess.CreateServices(repository, environment);
            var registry = services.GetRequiredService<IOciRegistryClient>();
            try
            {
                if (await MissingImageAsync(registry, repository, image, cancellationToken) is { } missing)
                {
                    await error.WriteLineAsync(missing);
                    return ExitFailed;
                }

                if (format is SignatureFormat.Legacy or SignatureFormat.Both)
                {
                    var outcome = await new CosignSigner(registry, TimeProvider.System)
                        .SignAsync(repository, image.Reference, signingKey, annotations.Count > 0 ? annotations : null, cancellationToken);
                    await output.WriteLineAsync(outcome.Added
                        ? $"Pushed signature to {repository}:{outcome.SignatureTag} and verified it (manifest {outcome.SignatureManifestDigest})."
                        : $"Already signed by this key: {repository}:{outcome.SignatureTag} (verified).");
                }

                if (format is SignatureFormat.Bundle or SignatureFormat.Both)
                {
                    var outcome = await new BundleReferrerSigner(registry, TimeProvider.System).SignAsync(repository, image.Reference, signingKey, cancellationToken);
                    await output.WriteLineAsync(outcome.Added
                        ? $"Pushed Sigstore bundle referrer {repository}@{outcome.ManifestDigest} and verified it."
                        : $"Already signed by this key: bundle referrer {repository}@{outcome.ManifestDigest} (verified).");
                }

                return ExitSigned;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                await error.WriteLineAsync($"error: signing {image} failed: {RegistryAccess.Describe(e, repository)}");
                return ExitFailed;
            }
        }
    }

    /// <summary>cosign refuses to sign a digest its registry does not hold (MANIFEST_UNKNOWN); so do we, before
    /// anything is written or, keyless, logged in Rekor.</summary>
    private static async Task<string?> MissingImageAsync(IOciRegistryClient registry, OciRepository repository, ImageReference image, CancellationToken cancellationToken) =>
        await registry.HeadManifestAsync(repository, image.Reference, cancellationToken) is null
            ? $"error: {image} is not in the registry (MANIFEST_UNKNOWN: manifest unknown); nothing was signed."
            : null;

    private static bool TryParseFormat(string text, out SignatureFormat format) =>
        Enum.TryParse(text, ignoreCase: true, out format) && Enum.IsDefined(format) && !text.Any(char.IsDigit);

    private static ImageReference? ParseDigestReference(string? imageText, out string? problem)
    {
        var image = ImageReference.TryParse(imageText, out var parseProblem);
        problem = image is null ? parseProblem : image.IsDigest ? null : $"sign a digest, not a tag: use {image.Repository}@sha256:…";
        return problem is null ? image : null;
    }

    private static string? CheckUrl(string option, string? url) =>
        url is null ? $"{option} URL is required for keyless signing"
        : Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? null
        : $"{option} '{url}' is not an http(s) URL";
}

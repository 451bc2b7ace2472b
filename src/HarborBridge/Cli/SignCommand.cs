using System.CommandLine;
using HarborBridge.Harbor.Oci;
using HarborBridge.Signing.Keys;
using HarborBridge.Signing.Registry;

namespace HarborBridge.Cli;

/// <summary>
/// <c>harborbridge sign IMAGE@sha256:… --key cosign.key [-a key=value]… [--allow-insecure-registry]</c>: signs an image
/// digest in the registry as <c>cosign sign --key</c> (legacy <c>.sig</c> format) does, then reads the signature back
/// and verifies it. Key password from COSIGN_PASSWORD. Exit 0 signed and verified, 1 failed, 2 bad input.
/// </summary>
internal static class SignCommand
{
    public const int ExitSigned = 0;
    public const int ExitFailed = 1;
    public const int ExitBadInput = 2;

    public static Command Create() => Create(Environment.GetEnvironmentVariable);

    internal static Command Create(Func<string, string?> environment)
    {
        var image = new Argument<string>("IMAGE") { Description = "The image to sign, by digest: host[:port]/name@sha256:…" };
        var key = new Option<string>("--key") { Description = "cosign private key file (encrypted; password in COSIGN_PASSWORD).", Required = true };
        var annotations = new Option<string[]>("--annotations", "-a") { Description = "key=value added to the signed payload's 'optional' (repeatable)." };
        var insecure = new Option<bool>("--allow-insecure-registry") { Description = "Talk plain HTTP to the registry (test registries only)." };
        var command = new Command("sign", "Sign an image digest in its registry (cosign-compatible .sig) and verify what was written.")
        {
            image, key, annotations, insecure,
        };
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            parseResult.GetValue(image), parseResult.GetValue(key)!, parseResult.GetValue(annotations) ?? [], parseResult.GetValue(insecure),
            environment, parseResult.InvocationConfiguration.Output, parseResult.InvocationConfiguration.Error, cancellationToken));
        return command;
    }

    internal static async Task<int> RunAsync(
        string? imageText, string keyFile, string[] annotationArgs, bool plainHttp, Func<string, string?> environment,
        TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var image = ImageReference.TryParse(imageText, out var problem);
        if (image is null || !image.IsDigest)
        {
            await error.WriteLineAsync(image is null ? $"error: {problem}." : $"error: sign a digest, not a tag: use {image.Repository}@sha256:….");
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
            var signer = new CosignSigner(services.GetRequiredService<IOciRegistryClient>(), TimeProvider.System);
            try
            {
                var outcome = await signer.SignAsync(repository, image.Reference, signingKey, annotations.Count > 0 ? annotations : null, cancellationToken);
                await output.WriteLineAsync(outcome.Added
                    ? $"Pushed signature to {repository}:{outcome.SignatureTag} and verified it (manifest {outcome.SignatureManifestDigest})."
                    : $"Already signed by this key: {repository}:{outcome.SignatureTag} (verified).");
                return ExitSigned;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                await error.WriteLineAsync($"error: signing {image} failed: {RegistryAccess.Describe(e)}");
                return ExitFailed;
            }
        }
    }
}

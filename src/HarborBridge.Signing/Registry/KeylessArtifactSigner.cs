using System.Security.Cryptography.X509Certificates;
using HarborBridge.Contracts;
using HarborBridge.Core.Signing;
using HarborBridge.Harbor;
using HarborBridge.Harbor.Oci;
using HarborBridge.Signing.Keyless;
using HarborBridge.Signing.Keys;
using HarborBridge.Signing.Transparency;
using HarborBridge.Signing.Verification;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HarborBridge.Signing.Registry;

/// <summary>
/// <see cref="IArtifactSigner"/> for <c>HarborBridge:Signing:Mode = keyless</c>: each signature gets a fresh key, a Fulcio
/// certificate for the workload's OIDC identity and a Rekor entry, and is stored as cosign v2's keyless <c>.sig</c> layer
/// (<see cref="CosignSigner.StoreKeylessAsync"/>). Before signing, the image's signatures are verified with the trusted
/// root and our identity: when one already passes (a redelivered message), nothing is written. No attestations are
/// written in this mode.
/// </summary>
public sealed class KeylessArtifactSigner(
    IOciRegistryClient registry,
    IOptions<HarborOptions> harbor,
    IOptions<SigningOptions> signing,
    KeylessSigner signer,
    TimeProvider time)
    : IArtifactSigner
{
    private readonly SigningOptions _signing = signing.Value;

    public bool IsEnabled => true;

    public async Task<ArtifactSignature> SignAsync(ArtifactRef artifact, SigningDecision decision, CancellationToken cancellationToken)
    {
        var repository = RepositoryOf(artifact);
        var (policy, token) = await PolicyAsync(cancellationToken);
        var existing = await new RegistrySignatureVerifier(registry).VerifyKeylessAsync(repository, artifact.Digest, repository.ToString(), policy, cancellationToken);
        var tag = ImageDigest.SignatureTag(artifact.Digest);
        if (existing is { Signatures.IsVerified: true })
        {
            var head = await registry.HeadManifestAsync(repository, tag, cancellationToken);
            return new ArtifactSignature($"{repository}:{tag}@{head?.Digest}", KeyIdOf(existing.Signatures.Verified[0]), Added: false,
                head is null ? null : [new WrittenSignature(WrittenSignature.Legacy, head.Digest)]);
        }

        var signature = await signer.SignImageAsync(
            new KeylessSettings(_signing.IdentityTokenFile!, _signing.FulcioUrl!, _signing.RekorUrl!), repository.ToString(), artifact.Digest, cancellationToken);
        var outcome = await new CosignSigner(registry, time).StoreKeylessAsync(repository, artifact.Digest, signature, cancellationToken);

        // "Signed" means verifiably signed by the configured identity, not just by some Fulcio certificate.
        var written = KeylessSignatureVerifier.Verify(artifact.Digest, repository.ToString(), policy, [ToLayer(signature)]);
        if (!written.IsVerified)
        {
            throw new CosignSigningException(
                $"The keyless signature of {repository}@{artifact.Digest} (token {token}) does not verify with the trusted root and identity: {written.Explain()}.");
        }

        using var leaf = X509Certificate2.CreateFromPem(signature.Certificate.LeafPem);
        using var leafKey = leaf.GetECDsaPublicKey()!;
        return new ArtifactSignature($"{repository}:{outcome.SignatureTag}@{outcome.SignatureManifestDigest}", SigningKeyFiles.PublicKeyHint(leafKey), outcome.Added,
            [new WrittenSignature(WrittenSignature.Legacy, outcome.SignatureManifestDigest)]);
    }

    public async Task<ArtifactSignatureCheck> VerifyAsync(ArtifactRef artifact, CancellationToken cancellationToken)
    {
        var repository = RepositoryOf(artifact);
        var (policy, _) = await PolicyAsync(cancellationToken);
        var verification = await new RegistrySignatureVerifier(registry).VerifyKeylessAsync(repository, artifact.Digest, repository.ToString(), policy, cancellationToken);
        return verification is null
            ? new ArtifactSignatureCheck(false, $"{repository}@{artifact.Digest} does not exist")
            : new ArtifactSignatureCheck(verification.IsVerified, verification.IsVerified ? "verified" : verification.Explain());
    }

    /// <summary>Picks the signer for the configured <see cref="SigningOptions.Mode"/>.</summary>
    public static IArtifactSigner ForMode(IServiceProvider services) =>
        services.GetRequiredService<IOptions<SigningOptions>>().Value.IsKeyless
            ? ActivatorUtilities.CreateInstance<KeylessArtifactSigner>(services)
            : ActivatorUtilities.CreateInstance<RegistryArtifactSigner>(services);

    private async Task<(KeylessPolicy Policy, OidcIdentityToken Token)> PolicyAsync(CancellationToken cancellationToken)
    {
        var token = await OidcIdentityToken.ReadFileAsync(_signing.IdentityTokenFile!, cancellationToken);
        var trust = KeylessTrust.FromTrustedRoot(await File.ReadAllBytesAsync(_signing.TrustedRootFile!, cancellationToken));
        return (new KeylessPolicy(_signing.CertificateIdentity ?? token.ProofSubject, _signing.CertificateOidcIssuer ?? token.Issuer, trust), token);
    }

    private static Oci.SignatureLayer ToLayer(KeylessSignature signature) => new(
        Oci.CosignMediaTypes.SimpleSigning,
        signature.Payload,
        new Dictionary<string, string>(CosignSigner.KeylessAnnotations(signature), StringComparer.Ordinal)
        {
            [Oci.CosignMediaTypes.SignatureAnnotation] = Convert.ToBase64String(signature.Signature),
        });

    private static string KeyIdOf(VerifiedSignature verified) => SigningKeyFiles.PublicKeyHint(verified.Key);

    private OciRepository RepositoryOf(ArtifactRef artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        if (!harbor.Value.IsConfigured)
        {
            throw new InvalidOperationException($"{HarborOptions.SectionName}:Url is not set; there is no registry to sign in.");
        }

        return OciRepository.InHarbor(new Uri(harbor.Value.Url!), artifact.Project, artifact.Repository);
    }
}

/// <summary>Start-time checks of the keyless settings; messages name the setting.</summary>
internal static class KeylessSigningSettings
{
    public static ValidateOptionsResult Validate(SigningOptions options, HarborOptions harbor)
    {
        var section = SigningOptions.SectionName;
        var problems = new List<string>();
        if (!harbor.IsConfigured)
        {
            problems.Add($"{section}:Mode is keyless but {HarborOptions.SectionName}:Url is not set: signatures are written to Harbor's registry.");
        }

        if (options.IsEnabled)
        {
            problems.Add($"{section}:Mode is keyless and {section}:KeyFile is set; choose one.");
        }

        if (options.Format != SignatureFormat.Legacy)
        {
            problems.Add($"{section}:Format must be legacy in keyless mode (keyless signatures are written as .sig layers).");
        }

        if (string.IsNullOrWhiteSpace(options.IdentityTokenFile) || !File.Exists(options.IdentityTokenFile))
        {
            problems.Add($"{section}:IdentityTokenFile ({options.IdentityTokenFile}) is not set or does not exist.");
        }

        foreach (var (name, url) in new[] { ("FulcioUrl", options.FulcioUrl), ("RekorUrl", options.RekorUrl) })
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                problems.Add($"{section}:{name} ({url}) is not an http(s) URL.");
            }
        }

        try
        {
            var trust = KeylessTrust.FromTrustedRoot(File.ReadAllBytes(options.TrustedRootFile ?? ""));
            if (trust.Authorities.Count == 0 || trust.RekorKeys.Count == 0)
            {
                problems.Add($"{section}:TrustedRootFile ({options.TrustedRootFile}) has no Fulcio CA or no ECDSA P-256 Rekor key.");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or TrustedRootException)
        {
            problems.Add($"{section}:TrustedRootFile ({options.TrustedRootFile}) cannot be used: {e.Message}");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

using System.Security.Cryptography;
using HarborBridge.Contracts;
using HarborBridge.Core.Signing;
using HarborBridge.Harbor;
using HarborBridge.Harbor.Oci;
using HarborBridge.Signing.Keys;
using Microsoft.Extensions.Options;

namespace HarborBridge.Signing.Registry;

/// <summary>
/// <see cref="IArtifactSigner"/> over Harbor's registry: the repository is <c>&lt;Harbor host&gt;/&lt;project&gt;/&lt;repository&gt;</c>
/// (from <c>HarborBridge:Harbor:Url</c>, with the Harbor robot's credentials), the key is <c>HarborBridge:Signing:KeyFile</c>,
/// read once. Signing goes through <see cref="CosignSigner"/>; verification through <see cref="RegistrySignatureVerifier"/>
/// with our public key and the repository as identity.
/// </summary>
public sealed class RegistryArtifactSigner(IOciRegistryClient registry, IOptions<HarborOptions> harbor, SigningKeyProvider keys, TimeProvider time)
    : IArtifactSigner
{
    private readonly HarborOptions _harbor = harbor.Value;

    public bool IsEnabled => keys.IsEnabled;

    public async Task<ArtifactSignature> SignAsync(ArtifactRef artifact, CancellationToken cancellationToken)
    {
        using var key = keys.CreateKey();
        var repository = RepositoryOf(artifact);
        var outcome = await new CosignSigner(registry, time).SignAsync(repository, artifact.Digest, key, null, cancellationToken);
        return new ArtifactSignature($"{repository}:{outcome.SignatureTag}@{outcome.SignatureManifestDigest}", SigningKeyFiles.PublicKeyHint(key), outcome.Added);
    }

    public async Task<ArtifactSignatureCheck> VerifyAsync(ArtifactRef artifact, CancellationToken cancellationToken)
    {
        var repository = RepositoryOf(artifact);
        using var key = keys.CreateKey();
        using var publicKey = ECDsa.Create(key.ExportParameters(includePrivateParameters: false));
        var verification = await new RegistrySignatureVerifier(registry)
            .VerifyAsync(repository, artifact.Digest, repository.ToString(), [publicKey], cancellationToken);
        return verification is null
            ? new ArtifactSignatureCheck(false, $"{repository}@{artifact.Digest} does not exist")
            : new ArtifactSignatureCheck(verification.Result.IsVerified,
                verification.Result.IsVerified ? "verified" : verification.Result.Explain());
    }

    private OciRepository RepositoryOf(ArtifactRef artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        if (!_harbor.IsConfigured)
        {
            throw new InvalidOperationException($"{HarborOptions.SectionName}:Url is not set; there is no registry to sign in.");
        }

        return OciRepository.InHarbor(new Uri(_harbor.Url!), artifact.Project, artifact.Repository);
    }
}

/// <summary>The signing key, decrypted once per process (scrypt is deliberately slow). Each caller gets its own
/// <see cref="ECDsa"/> instance (instances are not documented as safe for concurrent use) and disposes it.</summary>
public sealed class SigningKeyProvider
{
    private readonly Lazy<ECParameters>? _parameters;

    public SigningKeyProvider(IOptions<SigningOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var value = options.Value;
        _parameters = value.IsEnabled
            ? new Lazy<ECParameters>(() =>
            {
                using var key = SigningKeyLoader.Load(value);
                return key.ExportParameters(includePrivateParameters: true);
            })
            : null;
    }

    public bool IsEnabled => _parameters is not null;

    public ECDsa CreateKey() => ECDsa.Create(_parameters?.Value
        ?? throw new InvalidOperationException($"Signing is disabled: {SigningOptions.SectionName}:KeyFile is not set."));
}

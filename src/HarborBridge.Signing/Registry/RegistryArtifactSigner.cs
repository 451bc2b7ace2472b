using System.Security.Cryptography;
using HarborBridge.Contracts;
using HarborBridge.Core.Signing;
using HarborBridge.Harbor;
using HarborBridge.Harbor.Oci;
using HarborBridge.Signing.Dsse;
using HarborBridge.Signing.Keys;
using Microsoft.Extensions.Options;

namespace HarborBridge.Signing.Registry;

/// <summary>
/// <see cref="IArtifactSigner"/> over Harbor's registry: the repository is <c>&lt;Harbor host&gt;/&lt;project&gt;/&lt;repository&gt;</c>
/// (from <c>HarborBridge:Harbor:Url</c>, with the Harbor robot's credentials), the key is <c>HarborBridge:Signing:KeyFile</c>,
/// read once. Signing goes through <see cref="CosignSigner"/> / <see cref="BundleReferrerSigner"/> (and
/// <see cref="CosignAttester"/> for the vulnerability and decision attestations); verification through <see cref="RegistrySignatureVerifier"/>
/// with our public key and the repository as identity.
/// </summary>
public sealed class RegistryArtifactSigner(
    IOciRegistryClient registry,
    IOptions<HarborOptions> harbor,
    IOptions<SigningOptions> signing,
    SigningKeyProvider keys,
    TimeProvider time)
    : IArtifactSigner
{
    private readonly HarborOptions _harbor = harbor.Value;
    private readonly SigningOptions _signing = signing.Value;

    public bool IsEnabled => keys.IsEnabled;

    /// <summary>Writes the signature in <see cref="SigningOptions.Format"/> (<c>.sig</c> and/or bundle referrer), then,
    /// when <see cref="SigningOptions.Attest"/> is on, the decision attestation in the same format(s). Each writer
    /// verifies what it wrote and skips what our key already wrote, so a redelivered message adds nothing.
    /// <see cref="ArtifactSignature.SignatureReference"/> names the <c>.sig</c> manifest, or the bundle referrer when
    /// only bundles are written.</summary>
    public async Task<ArtifactSignature> SignAsync(ArtifactRef artifact, SigningDecision decision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var repository = RepositoryOf(artifact);
        using var key = keys.CreateKey();
        var legacy = _signing.Format is SignatureFormat.Legacy or SignatureFormat.Both;
        var bundles = _signing.Format is SignatureFormat.Bundle or SignatureFormat.Both;
        string? reference = null;
        var added = false;
        var written = new List<WrittenSignature>(2);
        if (legacy)
        {
            var outcome = await new CosignSigner(registry, time).SignAsync(repository, artifact.Digest, key, null, cancellationToken);
            reference = $"{repository}:{outcome.SignatureTag}@{outcome.SignatureManifestDigest}";
            added = outcome.Added;
            written.Add(new WrittenSignature(WrittenSignature.Legacy, outcome.SignatureManifestDigest));
        }

        if (bundles)
        {
            var outcome = await new BundleReferrerSigner(registry, time).SignAsync(repository, artifact.Digest, key, cancellationToken);
            reference ??= $"{repository}@{outcome.ManifestDigest}";
            added |= outcome.Added;
            written.Add(new WrittenSignature(WrittenSignature.Bundle, outcome.ManifestDigest));
        }

        // A signature without a stored decision behind it (e.g. a release of an artifact quarantined by hand) has nothing to attest.
        if (_signing.Attest && decision.ReportDigest.Length > 0)
        {
            var statements = Statements(repository.ToString(), artifact.Digest, decision);
            if (legacy)
            {
                await new CosignAttester(registry, time).AttestAsync(repository, statements, key, cancellationToken);
            }

            if (bundles)
            {
                foreach (var statement in statements)
                {
                    await new BundleReferrerSigner(registry, time).AttachAsync(repository, statement, key, cancellationToken);
                }
            }
        }

        return new ArtifactSignature(reference!, SigningKeyFiles.PublicKeyHint(key), added, written);
    }

    /// <summary>The vulnerability statement (when the decision's scan report is known) and the decision statement.</summary>
    internal static IReadOnlyList<InTotoStatement> Statements(string subject, string digest, SigningDecision decision)
    {
        var statements = new List<InTotoStatement>();
        if (decision.Scan is { } scan)
        {
            statements.Add(new InTotoStatement(subject, digest, Predicates.CosignVulnV1, Predicates.Vuln(scan, decision.DecisionId)));
        }

        var exceptions = (decision.ExceptionsUsed ?? []).Select(e => new DecisionException(e.Id, e.Vulnerability, e.ExpiresAt)).ToList();
        statements.Add(new InTotoStatement(subject, digest, Predicates.HarborBridgeDecisionV1,
            Predicates.Decision(new DecisionPredicate(decision.PolicyVersion, decision.ReportDigest, decision.Verdict, decision.DecidedAt, exceptions,
                decision.VexStatementsUsed, decision.UpstreamVerified))));
        return statements;
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
            : new ArtifactSignatureCheck(verification.IsVerified, verification.IsVerified ? "verified" : verification.Explain());
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

/// <summary>The signing key, decrypted once per process (scrypt is deliberately slow) and then kept; a failed
/// read (key file briefly unavailable) is not remembered, so the next attempt tries again. Each caller gets its own
/// <see cref="ECDsa"/> instance (instances are not documented as safe for concurrent use) and disposes it.</summary>
public sealed class SigningKeyProvider
{
    private readonly SigningOptions _options;
    private readonly Lock _gate = new();
    private ECParameters? _parameters;

    public SigningKeyProvider(IOptions<SigningOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
    }

    public bool IsEnabled => _options.IsEnabled;

    public ECDsa CreateKey()
    {
        if (!IsEnabled)
        {
            throw new InvalidOperationException($"Signing is disabled: {SigningOptions.SectionName}:KeyFile is not set.");
        }

        lock (_gate)
        {
            if (_parameters is null)
            {
                using var key = SigningKeyLoader.Load(_options);
                _parameters = key.ExportParameters(includePrivateParameters: true);
            }
        }

        return ECDsa.Create(_parameters.Value);
    }
}

using HarborBridge.Contracts;
using HarborBridge.Core.Policy;
using HarborBridge.Harbor;
using HarborBridge.Harbor.Oci;
using HarborBridge.Signing.Registry;
using Microsoft.Extensions.Options;

namespace HarborBridge.Decisions;

/// <summary>The signatures and attestations attached to an artifact in Harbor's registry, verified with the signers the
/// policy's <c>require</c> block names (<see cref="UpstreamSignatureVerifier"/>).</summary>
internal sealed class RegistryUpstreamEvidence(IServiceProvider services, IOptions<HarborOptions> harbor, TimeProvider time) : IUpstreamEvidence
{
    public Task<UpstreamEvidence> CollectAsync(ArtifactRef artifact, RequireRules rules, CancellationToken cancellationToken)
    {
        if (harbor.Value.Url is not { Length: > 0 } url)
        {
            return Task.FromResult(UpstreamEvidence.Unavailable("no registry to read signatures from (HarborBridge:Harbor:Url is not set)"));
        }

        // Resolved here: the registry client refuses to exist without Harbor's URL.
        var registry = services.GetRequiredService<IOciRegistryClient>();
        return new UpstreamSignatureVerifier(registry, time).CollectAsync(OciRepository.InHarbor(new Uri(url), artifact.Project, artifact.Repository),
            artifact.Digest, rules, cancellationToken);
    }
}

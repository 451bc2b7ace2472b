using HarborBridge.Contracts;
using HarborBridge.Core.Policy;
using HarborBridge.Harbor.Oci;
using HarborBridge.Signing.Registry;

namespace HarborBridge.Cli;

/// <summary><c>policy check --require-from IMAGE</c>: the signatures and attestations attached to an image in its registry,
/// verified with the signers of the policy's <c>require</c> block in force for the image's project and repository.</summary>
internal static class PolicyRequireFrom
{
    public static async Task<(ArtifactRef Artifact, UpstreamEvidence Evidence)> CollectAsync(PolicyCheckCommand.Request request, PolicyDocument policy,
        Func<string, string?> environment, TimeProvider time, CancellationToken cancellationToken)
    {
        var image = ImageReference.TryParse(request.RequireFrom, out var problem) ?? throw new PolicyCheckCommand.BadInputException($"--require-from: {problem}");
        if (RegistryAccess.CheckCredentials(environment) is { } credentials)
        {
            throw new PolicyCheckCommand.BadInputException(credentials);
        }

        var repository = OciRepository.Parse(image.Repository, request.PlainHttp);
        var path = repository.Name.Split('/', 2);
        var artifact = new ArtifactRef(request.Project ?? path[0], request.Repository ?? (path.Length > 1 ? path[1] : path[0]), image.Reference);
        await using var services = RegistryAccess.CreateServices(repository, environment);
        var registry = services.GetRequiredService<IOciRegistryClient>();
        try
        {
            if (!image.IsDigest)
            {
                var head = await registry.HeadManifestAsync(repository, image.Reference, cancellationToken)
                           ?? throw new PolicyCheckCommand.BadInputException($"--require-from: {image} was not found in the registry.");
                artifact = artifact with { Digest = head.Digest };
            }

            var rules = policy.Resolve(artifact.Project, artifact.Repository).Rules.Require;
            var evidence = rules.IsEmpty ? new UpstreamEvidence([], []) : await new UpstreamSignatureVerifier(registry, time).CollectAsync(repository, artifact.Digest, rules, cancellationToken);
            return (artifact, evidence);
        }
        catch (Exception e) when (e is OciRegistryException or HttpRequestException)
        {
            throw new PolicyCheckCommand.BadInputException($"--require-from: cannot read {image} from the registry: {RegistryAccess.Describe(e)}");
        }
    }
}

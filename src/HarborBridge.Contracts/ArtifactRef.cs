namespace HarborBridge.Contracts;

/// <summary>
/// Identifies one artifact in Harbor by project name, repository name (without the project) and
/// manifest digest. The digest, never a tag, is the reference.
/// </summary>
/// <param name="Project">Harbor project name (the webhook's <c>repository.namespace</c>).</param>
/// <param name="Repository">Repository name inside the project, e.g. <c>team/api</c>.</param>
/// <param name="Digest">Manifest digest, <c>sha256:&lt;hex&gt;</c>.</param>
public sealed record ArtifactRef(string Project, string Repository, string Digest)
{
    /// <summary>The repository as Harbor's registry addresses it: <c>project/repository</c>.</summary>
    public string FullRepository => $"{Project}/{Repository}";

    /// <inheritdoc />
    public override string ToString() => $"{Project}/{Repository}@{Digest}";
}

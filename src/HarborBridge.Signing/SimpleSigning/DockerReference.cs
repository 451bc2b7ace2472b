namespace HarborBridge.Signing.SimpleSigning;

/// <summary>
/// A docker reference split into its normalised repository name, tag and digest, as
/// containers/image normalises it (<c>ubuntu</c> is <c>docker.io/library/ubuntu</c>).
/// </summary>
public sealed record DockerReference(string Repository, string? Tag, string? Digest)
{
    private const string DockerHub = "docker.io";

    public static bool TryParse(string? text, out DockerReference reference)
    {
        reference = null!;
        if (string.IsNullOrWhiteSpace(text) || text.Any(char.IsWhiteSpace))
        {
            return false;
        }

        string? digest = null;
        var at = text.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            digest = text[(at + 1)..];
            text = text[..at];
            if (!ImageDigest.IsValid(digest))
            {
                return false;
            }
        }

        string? tag = null;
        var colon = text.LastIndexOf(':');
        if (colon > text.LastIndexOf('/'))
        {
            tag = text[(colon + 1)..];
            text = text[..colon];
            if (tag.Length == 0)
            {
                return false;
            }
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var first = slash < 0 ? string.Empty : text[..slash];
        string domain;
        string path;
        if (slash >= 0 && (first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost"))
        {
            domain = first == "index.docker.io" ? DockerHub : first;
            path = text[(slash + 1)..];
        }
        else
        {
            domain = DockerHub;
            path = text;
        }

        if (domain == DockerHub && !path.Contains('/', StringComparison.Ordinal))
        {
            path = "library/" + path;
        }

        if (path.Length == 0 || path.Split('/').Any(c => c.Length == 0) || path.Any(char.IsUpper))
        {
            return false;
        }

        reference = new DockerReference(domain + "/" + path, tag, digest);
        return true;
    }
}

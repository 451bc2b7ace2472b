using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HarborBridge.Contracts;
using HarborBridge.Core.Findings;

namespace HarborBridge.Core.Policy;

/// <summary>One statement of an OpenVEX document, as far as the policy uses it.</summary>
/// <param name="Vulnerability">The vulnerability's <c>name</c> (or its <c>@id</c> when the name is missing, as Trivy accepts).</param>
/// <param name="Aliases">Other ids of the same vulnerability (<c>aliases</c>).</param>
/// <param name="Products">The product ids (<c>@id</c> or <c>identifiers.purl</c>) with their subcomponents' ids.</param>
/// <param name="Status"><c>not_affected</c>, <c>affected</c>, <c>fixed</c> or <c>under_investigation</c>.</param>
/// <param name="Index">Position in the document's <c>statements</c> array.</param>
public sealed record VexStatement(
    int Index,
    string Vulnerability,
    IReadOnlyList<string> Aliases,
    IReadOnlyList<VexProduct> Products,
    string Status,
    string? Justification,
    string? ImpactStatement,
    DateTimeOffset? Timestamp)
{
    /// <summary>True for the statuses that take a finding out of the verdict.</summary>
    public bool Suppresses => Status is "not_affected" or "fixed";

    public bool Names(string vulnerabilityId) =>
        string.Equals(Vulnerability, vulnerabilityId, StringComparison.OrdinalIgnoreCase) ||
        Aliases.Any(a => string.Equals(a, vulnerabilityId, StringComparison.OrdinalIgnoreCase));
}

/// <summary>A product of a statement: a container image (<c>pkg:oci/…</c> or an image reference) or a package URL, and
/// the package URLs of its subcomponents.</summary>
public sealed record VexProduct(string Id, IReadOnlyList<string> Subcomponents);

/// <summary>
/// An OpenVEX document (v0.2.0, https://openvex.dev/ns). Matching follows the OpenVEX specification and Trivy's reading
/// of it: a statement applies to a finding when it names the finding's vulnerability (name or alias) and one of its
/// products is the artifact (an image by digest and/or repository; then the finding's package must be one of the
/// product's subcomponents, or any package when it lists none) or is the finding's package itself. When several
/// statements apply, the one with the latest timestamp wins (a statement without one inherits the document's); on a
/// tie the later statement in the document wins.
/// </summary>
public sealed class VexDocument
{
    private VexDocument(string source, string id, string? author, DateTimeOffset? timestamp, int? version, IReadOnlyList<VexStatement> statements, string digest)
    {
        Source = source;
        Id = id;
        Author = author;
        Timestamp = timestamp;
        Version = version;
        Statements = statements;
        Digest = digest;
    }

    /// <summary>Where the document was read from (a file path), shown with every statement used.</summary>
    public string Source { get; }

    public string Id { get; }

    public string? Author { get; }

    public DateTimeOffset? Timestamp { get; }

    public int? Version { get; }

    public IReadOnlyList<VexStatement> Statements { get; }

    /// <summary><c>sha256:</c> of the document bytes as read.</summary>
    public string Digest { get; }

    /// <summary>The statement in force for this finding of this artifact, or null when none applies.</summary>
    public VexStatement? Find(ArtifactRef artifact, Finding finding)
    {
        if (finding.Class != FindingClass.Vulnerability)
        {
            return null;
        }

        VexStatement? best = null;
        foreach (var statement in Statements)
        {
            if (statement.Names(finding.Id) && statement.Products.Any(p => Applies(p, artifact, finding.Purl)) &&
                (best is null || (statement.Timestamp ?? DateTimeOffset.MinValue) >= (best.Timestamp ?? DateTimeOffset.MinValue)))
            {
                best = statement;
            }
        }

        return best;
    }

    /// <summary>True when some statement names this artifact as its product (an image product), whatever the status:
    /// the artifacts a change of this document can affect.</summary>
    public bool NamesImage(ArtifactRef artifact) =>
        Statements.Any(s => s.Products.Any(p => ImageProduct.TryParse(p.Id) is { } image && image.Matches(artifact)));

    private static bool Applies(VexProduct product, ArtifactRef artifact, string? purl)
    {
        if (ImageProduct.TryParse(product.Id) is { } image)
        {
            return image.Matches(artifact) &&
                   (product.Subcomponents.Count == 0 || (purl is not null && product.Subcomponents.Any(s => IsPurl(s) && Purl.Matches(s, purl))));
        }

        // A package product: the finding's package itself. Its subcomponents would need the report's dependency graph,
        // which HarborBridge does not read, so they are not used to widen the match.
        return purl is not null && IsPurl(product.Id) && Purl.Matches(product.Id, purl);
    }

    private static bool IsPurl(string id) => id.StartsWith("pkg:", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses an OpenVEX JSON document. Every problem is a <see cref="PolicyFileException"/> naming
    /// <paramref name="source"/> and where in the document it is.</summary>
    public static VexDocument Parse(string json, string source)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = false });
        }
        catch (JsonException e)
        {
            throw new PolicyFileException($"{source}: not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}).");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new PolicyFileException($"{source}: not an OpenVEX document (expected a JSON object).");
            }

            var context = Text(root, "@context");
            if (context is null || !context.StartsWith("https://openvex.dev/ns", StringComparison.Ordinal))
            {
                throw new PolicyFileException($"{source}: not an OpenVEX document (\"@context\" is {(context is null ? "missing" : $"'{context}'")}; expected https://openvex.dev/ns/v0.2.0).");
            }

            var id = Text(root, "@id") ?? throw new PolicyFileException($"{source}: \"@id\" is missing (the document's IRI).");
            var timestamp = Time(root, "timestamp", source, "timestamp");
            int? version = root.TryGetProperty("version", out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) ? n : null;
            if (!root.TryGetProperty("statements", out var items) || items.ValueKind != JsonValueKind.Array)
            {
                throw new PolicyFileException($"{source}: \"statements\" is missing or not an array.");
            }

            var statements = new List<VexStatement>();
            var index = 0;
            foreach (var item in items.EnumerateArray())
            {
                statements.Add(Statement(item, index, timestamp, source));
                index++;
            }

            var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)));
            return new VexDocument(source, id, Text(root, "author"), timestamp, version, statements, digest);
        }
    }

    private static VexStatement Statement(JsonElement item, int index, DateTimeOffset? documentTime, string source)
    {
        var path = $"statements[{index}]";
        if (item.ValueKind != JsonValueKind.Object)
        {
            throw new PolicyFileException($"{source}: {path} is not an object.");
        }

        if (!item.TryGetProperty("vulnerability", out var vuln) || vuln.ValueKind != JsonValueKind.Object ||
            (Text(vuln, "name") ?? Text(vuln, "@id")) is not { Length: > 0 } name)
        {
            throw new PolicyFileException($"{source}: {path}.vulnerability has no \"name\".");
        }

        var aliases = vuln.TryGetProperty("aliases", out var a) && a.ValueKind == JsonValueKind.Array
            ? a.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToList()
            : [];
        var status = Text(item, "status");
        if (status is not ("not_affected" or "affected" or "fixed" or "under_investigation"))
        {
            throw new PolicyFileException($"{source}: {path}.status is {(status is null ? "missing" : $"'{status}'")} (use not_affected, affected, fixed or under_investigation).");
        }

        var justification = Text(item, "justification");
        var impact = Text(item, "impact_statement");
        if (status == "not_affected" && justification is null && impact is null)
        {
            throw new PolicyFileException($"{source}: {path} is not_affected but gives neither \"justification\" nor \"impact_statement\" (the OpenVEX specification requires one).");
        }

        var products = new List<VexProduct>();
        if (item.TryGetProperty("products", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            var p = 0;
            foreach (var product in list.EnumerateArray())
            {
                var productId = ComponentId(product) ?? throw new PolicyFileException($"{source}: {path}.products[{p}] has no \"@id\" or identifiers.purl.");
                var subcomponents = product.TryGetProperty("subcomponents", out var subs) && subs.ValueKind == JsonValueKind.Array
                    ? subs.EnumerateArray().Select(ComponentId).OfType<string>().ToList()
                    : [];
                products.Add(new VexProduct(productId, subcomponents));
                p++;
            }
        }

        if (products.Count == 0)
        {
            throw new PolicyFileException($"{source}: {path} names no product (\"products\" is missing or empty).");
        }

        return new VexStatement(index, name, aliases, products, status, justification, impact,
            Time(item, "timestamp", source, path + ".timestamp") ?? documentTime);
    }

    private static string? ComponentId(JsonElement component) =>
        component.ValueKind != JsonValueKind.Object
            ? null
            : Text(component, "@id") ??
              (component.TryGetProperty("identifiers", out var ids) && ids.ValueKind == JsonValueKind.Object ? Text(ids, "purl") : null);

    private static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text.Trim()
            : null;

    private static DateTimeOffset? Time(JsonElement element, string property, string source, string path)
    {
        if (Text(element, property) is not { } text)
        {
            return null;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time
            : throw new PolicyFileException($"{source}: {path} '{text}' is not an RFC 3339 time.");
    }

    /// <summary>A container image named by a product: <c>pkg:oci/&lt;name&gt;@sha256:…?repository_url=&lt;registry&gt;/&lt;repo&gt;</c>
    /// (the purl type for OCI images) or an image reference <c>&lt;registry&gt;/&lt;repo&gt;@sha256:…</c>. A product with
    /// neither a digest nor a repository is not used: a bare name would match every repository of that name.</summary>
    private sealed record ImageProduct(string? Digest, string? RepositoryPath, string? Name)
    {
        public bool Matches(ArtifactRef artifact)
        {
            if (Digest is not null && !string.Equals(Digest, artifact.Digest, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }

            var full = $"{artifact.Project}/{artifact.Repository}";
            if (RepositoryPath is not null &&
                !(string.Equals(RepositoryPath, full, StringComparison.OrdinalIgnoreCase) ||
                  RepositoryPath.EndsWith("/" + full, StringComparison.OrdinalIgnoreCase)))
            {
                return false;
            }

            return Name is null || string.Equals(Name, full.Split('/')[^1], StringComparison.OrdinalIgnoreCase);
        }

        public static ImageProduct? TryParse(string id)
        {
            if (id.StartsWith("pkg:oci/", StringComparison.OrdinalIgnoreCase))
            {
                var text = id["pkg:oci/".Length..];
                var hash = text.IndexOf('#', StringComparison.Ordinal);
                text = hash >= 0 ? text[..hash] : text;
                string? repositoryUrl = null;
                var question = text.IndexOf('?', StringComparison.Ordinal);
                if (question >= 0)
                {
                    foreach (var pair in text[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
                    {
                        if (pair.StartsWith("repository_url=", StringComparison.OrdinalIgnoreCase))
                        {
                            repositoryUrl = Uri.UnescapeDataString(pair["repository_url=".Length..]);
                        }
                    }

                    text = text[..question];
                }

                var at = text.IndexOf('@', StringComparison.Ordinal);
                var name = Uri.UnescapeDataString(at >= 0 ? text[..at] : text);
                var digest = at >= 0 ? Uri.UnescapeDataString(text[(at + 1)..]) : null;
                var path = repositoryUrl is null ? null : RepositoryPathOf(repositoryUrl);
                return digest is null && path is null ? null : new ImageProduct(digest, path, name);
            }

            // An image reference: registry/path@sha256:hex (the tag form is not used: a tag moves).
            var digestAt = id.IndexOf("@sha256:", StringComparison.OrdinalIgnoreCase);
            if (id.Contains("://", StringComparison.Ordinal) || digestAt <= 0)
            {
                return null;
            }

            return new ImageProduct(id[(digestAt + 1)..], RepositoryPathOf(id[..digestAt]), null);
        }

        /// <summary>The repository path without the registry host (<c>harbor.example.com/team/app</c> → <c>team/app</c>).</summary>
        private static string RepositoryPathOf(string reference)
        {
            var slash = reference.IndexOf('/', StringComparison.Ordinal);
            var first = slash < 0 ? reference : reference[..slash];
            var isHost = first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost";
            return (isHost && slash >= 0 ? reference[(slash + 1)..] : reference).TrimEnd('/');
        }
    }
}

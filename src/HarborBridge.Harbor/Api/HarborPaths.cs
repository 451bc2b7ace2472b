using System.Text.RegularExpressions;

namespace HarborBridge.Harbor.Api;

/// <summary>Path segments as Harbor wants them. A repository name is escaped twice (<c>team/api</c> →
/// <c>team%252Fapi</c>) because Harbor unescapes that parameter once more after routing.</summary>
internal static partial class HarborPaths
{
    public static string Project(string project)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(project);
        return Uri.EscapeDataString(project);
    }

    public static string Repository(string repository)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(repository);
        if (repository.StartsWith('/') || repository.EndsWith('/'))
        {
            throw new ArgumentException($"Repository name '{repository}' must not start or end with '/'.", nameof(repository));
        }

        return Uri.EscapeDataString(Uri.EscapeDataString(repository));
    }

    /// <summary>A digest (<c>sha256:…</c>) or a tag; both are kept readable, anything else is escaped.</summary>
    public static string Reference(string reference)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reference);
        return SafeReference().IsMatch(reference) ? reference : Uri.EscapeDataString(reference);
    }

    public static string Artifact(string project, string repository, string reference) =>
        $"projects/{Project(project)}/repositories/{Repository(repository)}/artifacts/{Reference(reference)}";

    public static string Artifacts(string project, string repository) =>
        $"projects/{Project(project)}/repositories/{Repository(repository)}/artifacts";

    [GeneratedRegex("^(?:[a-z0-9]+:[a-f0-9]{32,}|[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})\\z")]
    private static partial Regex SafeReference();
}

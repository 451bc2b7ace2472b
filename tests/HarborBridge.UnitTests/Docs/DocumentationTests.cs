using System.Text.RegularExpressions;

namespace HarborBridge.UnitTests.Docs;

/// <summary>The README stays a front page (at most 12 KB, its test command the one CI runs), and no link in it or in
/// docs/ points at a page or section that does not exist, so content moved between pages is still found.</summary>
public sealed partial class DocumentationTests
{
    private static string Root() => RepositoryFiles.Root;

    private static IEnumerable<string> Pages() =>
        Directory.GetFiles(Path.Combine(Root(), "docs"), "*.md").Append(Path.Combine(Root(), "README.md"));

    [Fact]
    public void Readme_IsAtMost12KB()
    {
        var bytes = new FileInfo(Path.Combine(Root(), "README.md")).Length;

        Assert.True(bytes <= 12 * 1024, $"README.md is {bytes} bytes; move detail into docs/ (docs/index.md lists the pages)");
    }

    [Fact]
    public void Readme_TestCommand_IsWhatCiRuns()
    {
        var readme = File.ReadAllText(Path.Combine(Root(), "README.md"));
        var ci = File.ReadAllText(Path.Combine(Root(), ".ci", "run"));

        Assert.Contains("\ntests/run.sh\n", readme, StringComparison.Ordinal);
        Assert.Contains("\nexec tests/run.sh\n", ci, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryRelativeLink_PointsAtAnExistingFileAndHeading()
    {
        var broken = new List<string>();
        foreach (var page in Pages())
        {
            foreach (Match link in Link().Matches(File.ReadAllText(page)))
            {
                var target = link.Groups["target"].Value;
                if (target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal))
                {
                    continue;
                }

                var (file, anchor) = target.Split('#', 2) is [var f, var a] ? (f, a) : (target, "");
                var path = file.Length == 0 ? page : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(page)!, file));
                if (!File.Exists(path) && !Directory.Exists(path))
                {
                    broken.Add($"{Path.GetFileName(page)}: {target} (no such file)");
                }
                else if (anchor.Length > 0 && path.EndsWith(".md", StringComparison.Ordinal) && !Anchors(path).Contains(anchor))
                {
                    broken.Add($"{Path.GetFileName(page)}: {target} (no such heading)");
                }
            }
        }

        Assert.Empty(broken);
    }

    /// <summary>GitHub's heading anchors: lower case, punctuation other than '-' and '_' removed, spaces to '-'.</summary>
    private static HashSet<string> Anchors(string page) =>
    [
        .. File.ReadAllLines(page).Where(l => l.StartsWith('#') && l.TrimStart('#').StartsWith(' '))
            .Select(l => Punctuation().Replace(l.TrimStart('#').Trim().ToLowerInvariant(), "").Replace(' ', '-')),
    ];

    [GeneratedRegex(@"(?<!!)\[[^\]]*\]\((?<target>[^)\s]+)\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"[^\p{L}\p{N}\- _]")]
    private static partial Regex Punctuation();
}

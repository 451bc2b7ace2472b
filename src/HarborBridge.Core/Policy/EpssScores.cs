using System.Globalization;

namespace HarborBridge.Core.Policy;

/// <summary>One EPSS score: the probability of exploitation activity in the next 30 days, and its percentile.</summary>
public readonly record struct EpssScore(double Probability, double Percentile);

/// <summary>
/// FIRST's EPSS score file (<c>epss_scores-YYYY-MM-DD.csv</c>, also published as <c>epss_scores-current.csv.gz</c>,
/// which must be unpacked first): a comment line <c>#model_version:v2025.03.14,score_date:2026-12-04T12:55:00Z</c>,
/// a header <c>cve,epss,percentile</c>, then one row per CVE.
/// </summary>
public sealed class EpssScores
{
    private readonly Dictionary<string, EpssScore> _scores;

    private EpssScores(string? modelVersion, DateTimeOffset? scoreDate, Dictionary<string, EpssScore> scores)
    {
        ModelVersion = modelVersion;
        ScoreDate = scoreDate;
        _scores = scores;
    }

    public string? ModelVersion { get; }

    /// <summary>When FIRST computed the scores (the comment line's <c>score_date</c>).</summary>
    public DateTimeOffset? ScoreDate { get; }

    public int Count => _scores.Count;

    /// <summary>The score date as shown in explanations (<c>2026-12-04</c>), or <c>undated</c>.</summary>
    public string DateText => ScoreDate?.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "undated";

    public EpssScore? Find(string cve) => _scores.TryGetValue(cve, out var score) ? score : null;

    /// <summary>Parses the CSV text. Every problem is a <see cref="PolicyFileException"/> naming <paramref name="source"/>
    /// and the line.</summary>
    public static EpssScores Parse(string text, string source)
    {
        string? modelVersion = null;
        DateTimeOffset? scoreDate = null;
        var scores = new Dictionary<string, EpssScore>(StringComparer.OrdinalIgnoreCase);
        var headerSeen = false;
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            var lineNumber = i + 1;
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith('#'))
            {
                foreach (var part in line[1..].Split(',', StringSplitOptions.TrimEntries))
                {
                    var colon = part.IndexOf(':', StringComparison.Ordinal);
                    if (colon < 0)
                    {
                        continue;
                    }

                    var (key, value) = (part[..colon], part[(colon + 1)..]);
                    if (key == "model_version")
                    {
                        modelVersion = value;
                    }
                    else if (key == "score_date")
                    {
                        scoreDate = DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date)
                            ? date
                            : throw new PolicyFileException($"{source}: line {lineNumber}: score_date '{value}' is not a date.");
                    }
                }

                continue;
            }

            var fields = line.Split(',');
            if (!headerSeen)
            {
                if (fields.Length < 3 || fields[0].Trim() != "cve" || fields[1].Trim() != "epss" || fields[2].Trim() != "percentile")
                {
                    throw new PolicyFileException($"{source}: line {lineNumber}: expected the header 'cve,epss,percentile' (FIRST's EPSS CSV), found '{Shorten(line)}'.");
                }

                headerSeen = true;
                continue;
            }

            if (fields.Length != 3)
            {
                throw new PolicyFileException($"{source}: line {lineNumber}: expected 3 fields (cve,epss,percentile), found {fields.Length}: '{Shorten(line)}'.");
            }

            var cve = fields[0].Trim();
            if (!cve.StartsWith("CVE-", StringComparison.OrdinalIgnoreCase))
            {
                throw new PolicyFileException($"{source}: line {lineNumber}: '{Shorten(cve)}' is not a CVE id.");
            }

            scores[cve] = new EpssScore(Probability(fields[1], source, lineNumber, "epss"), Probability(fields[2], source, lineNumber, "percentile"));
        }

        if (!headerSeen)
        {
            throw new PolicyFileException($"{source}: no 'cve,epss,percentile' header; this is not FIRST's EPSS CSV (unpack epss_scores-current.csv.gz first).");
        }

        return new EpssScores(modelVersion, scoreDate, scores);
    }

    private static double Probability(string text, string source, int line, string column) =>
        double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value is >= 0 and <= 1
            ? value
            : throw new PolicyFileException($"{source}: line {line}: {column} '{Shorten(text.Trim())}' is not a number between 0 and 1.");

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..60] + "…";
}

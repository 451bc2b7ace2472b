using System.Globalization;
using System.Text.RegularExpressions;
using HarborBridge.Contracts;

namespace HarborBridge.Core.Policy;

/// <summary>An exception request as asked for: a finding (vulnerability id, package name or PURL), the scope it would
/// apply in, why, until when, and who asks.</summary>
public sealed record ExceptionRequestDraft(
    string FindingId,
    string Project,
    string? Repository,
    string? Digest,
    string Reason,
    DateOnly Expires,
    string Requester)
{
    /// <summary>The scope as the policy file would write it (for messages and the audit trail).</summary>
    public string Scope => string.Join(" ", new[]
    {
        $"project={Project}",
        Repository is null ? null : $"repository={Repository}",
        Digest is null ? null : $"digest={Digest}",
    }.Where(x => x is not null));

    /// <summary>The exception this request becomes once approved, in the policy model the evaluator reads.</summary>
    public PolicyExceptionRule ToRule(string owner, string ticket)
    {
        Glob.TryParse(Project, out var project, out _);
        Glob? repository = null;
        if (Repository is not null && Glob.TryParse(Repository, out var r, out _))
        {
            repository = r;
        }

        return new PolicyExceptionRule(FindingId, project, repository, Digest, Expires, Reason, owner, ticket);
    }

    /// <summary>True when <paramref name="artifact"/> lies in the requested scope.</summary>
    public bool Covers(ArtifactRef artifact) => ToRule("", "").Covers(artifact);
}

/// <summary>
/// The checks an exception request must pass before anyone is asked to approve it. Ids follow the forms the policy file's
/// <c>exceptions[].id</c> matches findings by: a CVE id (<c>CVE-2024-3094</c>), a GitHub advisory id
/// (<c>GHSA-xxxx-xxxx-xxxx</c>), a package URL (<c>pkg:deb/debian/zlib1g</c>) or a package name (<c>zlib1g</c>). The
/// requested expiry lies between today (UTC) and today plus the policy's <c>exceptionRequests.maxDays</c>.
/// </summary>
public static partial class ExceptionRequestRules
{
    /// <summary>Days an exception from a request may last when the policy does not say.</summary>
    public const int DefaultMaxDays = 90;

    /// <summary>The largest <c>exceptionRequests.maxDays</c> the loader accepts (a request is for a while, not for ever).</summary>
    public const int MaxDaysLimit = 366;

    public const int MaxReasonLength = 2000;
    public const int MaxIdentityLength = 200;

    /// <summary>Why <paramref name="id"/> is not a finding id the policy can match, or null when it is one.</summary>
    public static string? IdProblem(string? id)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            return "\"findingId\" is required: a CVE id (CVE-2024-3094), a GitHub advisory (GHSA-xxxx-xxxx-xxxx), a package URL (pkg:…) or a package name.";
        }

        if (id.StartsWith("CVE-", StringComparison.OrdinalIgnoreCase))
        {
            return CvePattern().IsMatch(id) ? null : $"'{id}' is not a CVE id: write CVE-<year>-<4 or more digits>, e.g. CVE-2024-3094.";
        }

        if (id.StartsWith("GHSA-", StringComparison.OrdinalIgnoreCase))
        {
            return GhsaPattern().IsMatch(id) ? null : $"'{id}' is not a GitHub advisory id: write GHSA-xxxx-xxxx-xxxx (lower-case letters and digits).";
        }

        if (id.StartsWith("pkg:", StringComparison.OrdinalIgnoreCase))
        {
            return PurlPattern().IsMatch(id) ? null : $"'{id}' is not a package URL: write pkg:<type>/<namespace>/<name>[@version], e.g. pkg:deb/debian/zlib1g.";
        }

        return PackagePattern().IsMatch(id)
            ? null
            : $"'{id}' is neither a CVE id (CVE-2024-3094), a GitHub advisory (GHSA-…), a package URL (pkg:…) nor a package name.";
    }

    /// <summary>Why <paramref name="expires"/> may not be requested on <paramref name="now"/>, or null when it may.</summary>
    public static string? ExpiryProblem(DateOnly expires, DateTimeOffset now, int maxDays)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var latest = today.AddDays(maxDays);
        if (expires < today)
        {
            return $"\"expires\" {Text(expires)} is in the past (today is {Text(today)} UTC).";
        }

        return expires > latest
            ? $"\"expires\" {Text(expires)} is more than {maxDays} days away; the policy allows at most {Text(latest)} (exceptionRequests.maxDays: {maxDays})."
            : null;
    }

    /// <summary>Checks every field and gives the request in normal form, or the first problem found.</summary>
    public static (ExceptionRequestDraft? Draft, string? Problem) Check(string? findingId, string? project, string? repository, string? digest,
        string? reason, string? expires, string? requester, DateTimeOffset now, int maxDays)
    {
        if (IdProblem(findingId?.Trim()) is { } idProblem)
        {
            return (null, idProblem);
        }

        if (string.IsNullOrWhiteSpace(project))
        {
            return (null, "\"project\" is required: the Harbor project (or a pattern such as team-*) the exception is for.");
        }

        foreach (var (name, pattern) in new[] { ("project", project), ("repository", repository) })
        {
            if (pattern is not null && !Glob.TryParse(pattern.Trim(), out _, out var error))
            {
                return (null, $"\"{name}\" '{pattern}' is not a valid pattern: {error}");
            }
        }

        if (digest is not null && !DigestPattern().IsMatch(digest.Trim()))
        {
            return (null, $"\"digest\" '{digest}' is not a digest (sha256:<64 lower-case hex digits>).");
        }

        if (string.IsNullOrWhiteSpace(reason))
        {
            return (null, "\"reason\" is required: say why the finding is acceptable here.");
        }

        if (reason.Length > MaxReasonLength)
        {
            return (null, $"\"reason\" is longer than {MaxReasonLength} characters.");
        }

        if (IdentityProblem("requester", requester) is { } who)
        {
            return (null, who);
        }

        if (!DateOnly.TryParseExact(expires?.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return (null, $"\"expires\" '{expires}' is not a date in the form YYYY-MM-DD.");
        }

        if (ExpiryProblem(day, now, maxDays) is { } expiry)
        {
            return (null, expiry);
        }

        return (new ExceptionRequestDraft(findingId!.Trim(), project.Trim(), string.IsNullOrWhiteSpace(repository) ? null : repository.Trim(),
            string.IsNullOrWhiteSpace(digest) ? null : digest.Trim(), reason.Trim(), day, requester!.Trim()), null);
    }

    /// <summary>Why <paramref name="value"/> is not a usable identity (requester, approver), or null.</summary>
    public static string? IdentityProblem(string field, string? value) =>
        string.IsNullOrWhiteSpace(value)
            ? $"\"{field}\" is required: who is asking (a user name or e-mail address)."
            : value.Trim().Length > MaxIdentityLength || value.Any(char.IsControl)
                ? $"\"{field}\" must be at most {MaxIdentityLength} printable characters."
                : null;

    private static string Text(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^CVE-\d{4}-\d{4,}\z")]
    private static partial Regex CvePattern();

    // GitHub's advisory ids use this alphabet (no vowels or look-alike characters), three groups of four.
    [GeneratedRegex(@"^GHSA(-[23456789cfghjmpqrvwx]{4}){3}\z")]
    private static partial Regex GhsaPattern();

    [GeneratedRegex(@"^pkg:[a-z][a-z0-9.+-]*/[^\s/][^\s]*\z")]
    private static partial Regex PurlPattern();

    // Package names as scanners report them (deb, rpm, npm with @scope/, Go module paths, Maven group:artifact).
    [GeneratedRegex(@"^[A-Za-z0-9@_][A-Za-z0-9._+\-/@:~]{0,213}\z")]
    private static partial Regex PackagePattern();

    [GeneratedRegex("^sha256:[a-f0-9]{64}\\z")]
    private static partial Regex DigestPattern();
}

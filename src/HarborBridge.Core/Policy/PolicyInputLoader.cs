namespace HarborBridge.Core.Policy;

/// <summary>Reads the files a policy names besides itself (KEV catalog, EPSS scores, OpenVEX documents), so that the
/// service and <c>policy check</c> judge with the same inputs. Relative paths are relative to the policy file.</summary>
public static class PolicyInputLoader
{
    /// <summary>Reads a file's text; the second argument says what it is (<c>KEV</c>, <c>EPSS</c>, <c>VEX</c>) for errors.</summary>
    public delegate Task<string> ReadText(string path, string what, CancellationToken cancellationToken);

    public static string Resolve(string policyPath, string file) =>
        Path.IsPathRooted(file) ? file : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(policyPath)) ?? "", file);

    /// <summary>Every input file of the policy, resolved.</summary>
    public static IReadOnlyList<string> Files(PolicyDocument policy, string policyPath) =>
        new[] { policy.KevFile, policy.EpssFile }.OfType<string>().Concat(policy.VexFiles).Select(f => Resolve(policyPath, f)).ToList();

    public static async Task<PolicyInputs> LoadAsync(PolicyDocument policy, string policyPath, ReadText read, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(read);
        KevCatalog? kev = null;
        if (policy.KevFile is { } kevFile)
        {
            var path = Resolve(policyPath, kevFile);
            kev = KevCatalog.Parse(await read(path, "KEV", cancellationToken), path);
        }

        EpssScores? epss = null;
        if (policy.EpssFile is { } epssFile)
        {
            var path = Resolve(policyPath, epssFile);
            epss = EpssScores.Parse(await read(path, "EPSS", cancellationToken), path);
        }

        var vex = new Dictionary<string, VexDocument>(StringComparer.Ordinal);
        foreach (var file in policy.VexFiles)
        {
            var path = Resolve(policyPath, file);
            vex[file] = VexDocument.Parse(await read(path, "VEX", cancellationToken), path);
        }

        return new PolicyInputs(kev, epss, vex);
    }
}

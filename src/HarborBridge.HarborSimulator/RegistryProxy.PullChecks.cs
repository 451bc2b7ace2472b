namespace HarborBridge.HarborSimulator;

/// <summary>Harbor's pull checks on manifest GET/HEAD, in the order of Harbor's middlewares: content trust (cosign,
/// notation), then vulnerability prevention. Each rule comes from <see cref="HarborPullCheck"/>, which cites Harbor's
/// source line by line.</summary>
internal sealed partial class RegistryProxy
{
    /// <summary>Null to let the pull through, or Harbor's 412 PROJECTPOLICYVIOLATION.</summary>
    private async Task<IResult?> PullBlockAsync(HttpContext http, string project, string repository, string reference, string? user, CancellationToken cancellationToken)
    {
        SimProject owner;
        lock (state.Sync)
        {
            owner = state.Projects[project];
        }

        var cosign = HarborPullCheck.IsTrue(owner.Metadata.GetValueOrDefault("enable_content_trust_cosign"));
        var notation = HarborPullCheck.IsTrue(owner.Metadata.GetValueOrDefault("enable_content_trust"));
        var preventVul = HarborPullCheck.IsTrue(owner.Metadata.GetValueOrDefault("prevent_vul"));
        if (!cosign && !notation && !preventVul)
        {
            return null;
        }

        var digest = reference.StartsWith("sha256:", StringComparison.Ordinal) ? reference : await ResolveTagAsync(http, $"{project}/{repository}", reference, cancellationToken);
        var artifact = digest is null ? null : state.FindArtifact(project, repository, digest);
        if (artifact is null)
        {
            return null; // GetByReference fails: the registry's own 404 answers
        }

        var skip = SkipPolicyChecking(http, project, user, artifact);
        lock (state.Sync)
        {
            // contentrust.go:47-61 with signatureChecking (contentrust.go:67-102): at least one signature accessory of the type.
            if (cosign && !skip && !state.Accessories.Any(x => x.SubjectDigest == artifact.Digest && x.Type == "signature.cosign"))
            {
                return SimHttp.Error(412, "PROJECTPOLICYVIOLATION", HarborPullCheck.NotSignedByCosign);
            }

            if (notation && !skip && !state.Accessories.Any(x => x.SubjectDigest == artifact.Digest && x.Type == "signature.notation"))
            {
                return SimHttp.Error(412, "PROJECTPOLICYVIOLATION", HarborPullCheck.NotSignedByNotation);
            }
        }

        // vulnerable.go:59 and 72-79.
        return !preventVul || skip ? null : VulnerabilityCheck(owner, artifact);
    }

    /// <summary>vulnerable.go:80-133, with the project's effective allowlist (vulnerable.go:53).</summary>
    private IResult? VulnerabilityCheck(SimProject owner, SimArtifact artifact)
    {
        lock (state.Sync)
        {
            var allowlist = HarborPullCheck.EffectiveAllowlist(owner.Metadata,
                (owner.AllowlistCves, owner.AllowlistExpiresAt), (state.SystemAllowlistCves, state.SystemAllowlistExpiresAt));
            var projectSeverity = HarborPullCheck.ParseSeverityVersion3(owner.Metadata.GetValueOrDefault("severity"));

            // GetReport (base_controller.go:595-633): an index has its children's reports, and none while any child
            // has none; not found -> a scannable artifact is refused (vulnerable.go:85-101), anything else passes.
            var scans = artifact.IsIndex
                ? state.Artifacts.Where(a => a.Project == artifact.Project && a.Repository == artifact.Repository && artifact.Children.Contains(a.Digest))
                    .Select(a => a.Scan).ToList()
                : [artifact.Scan];
            if (scans.Count == 0 || scans.Any(s => s is null))
            {
                var scannable = artifact.IsIndex ? artifact.Children.Count > 0 : artifact.Scannable;
                return scannable ? SimHttp.Error(412, "PROJECTPOLICYVIOLATION", HarborPullCheck.WithoutScanMessage(projectSeverity)) : null;
            }

            // vulnerable.go:107-115: an index of images is not judged once it has reports.
            if (artifact.IsIndex)
            {
                return null;
            }

            var scan = scans[0]!;
            if (scan.Status != "Success")
            {
                return SimHttp.Error(412, "PROJECTPOLICYVIOLATION", HarborPullCheck.ScanStatusMessage(scan.Status, projectSeverity));
            }

            var expired = HarborPullCheck.IsExpired(allowlist.ExpiresAt, time.GetUtcNow());
            var (count, severity) = HarborPullCheck.Vulnerable(scan.Report, allowlist.CveIds, expired);
            return severity is not null && HarborPullCheck.Code(severity) >= HarborPullCheck.Code(projectSeverity)
                ? SimHttp.Error(412, "PROJECTPOLICYVIOLATION", HarborPullCheck.VulnerableMessage(count, projectSeverity))
                : null;
        }
    }

    /// <summary>util.go:62-86 for this request: a bearer token from <c>/service/token</c> is Harbor's <c>v2token</c>
    /// security context, and what it may do comes from the scopes it was issued for.</summary>
    private bool SkipPolicyChecking(HttpContext http, string project, string? user, SimArtifact artifact)
    {
        var header = http.Request.Headers.Authorization.ToString();
        var bearer = user is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase);
        var actions = bearer ? state.TokenActions(header[7..].Trim(), project) : new HashSet<string>();
        string? accessoryType;
        lock (state.Sync)
        {
            accessoryType = state.Accessories.FirstOrDefault(x => x.Digest == artifact.Digest)?.Type;
        }

        return HarborPullCheck.SkipPolicyChecking(bearer, actions, http.Request.Headers.UserAgent.ToString(), accessoryType);
    }
}

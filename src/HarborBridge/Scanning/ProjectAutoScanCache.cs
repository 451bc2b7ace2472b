using HarborBridge.Core.Harbor;
using Microsoft.Extensions.Caching.Memory;

namespace HarborBridge.Scanning;

/// <summary>Whether a project scans on push (Harbor's <c>auto_scan</c>), remembered for <see cref="Lifetime"/>: every
/// push asked Harbor again, one API call in four per artifact for a setting that hardly ever changes.</summary>
internal sealed class ProjectAutoScanCache(IServiceProvider services, IMemoryCache cache)
{
    /// <summary>A changed auto_scan setting takes effect within this time. Either way nothing is lost: a scan asked for
    /// twice is one scan in Harbor, and a scan never started is found by the scan-timeout sweep.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);

    public async Task<bool> ScansOnPushAsync(string project, CancellationToken cancellationToken)
    {
        var key = "auto-scan:" + project;
        if (cache.TryGetValue(key, out bool known))
        {
            return known;
        }

        var metadata = await services.GetRequiredService<IHarborClient>().GetProjectMetadataAsync(project, cancellationToken);
        var autoScan = metadata.TryGetValue(HarborProjectMetadata.AutoScan, out var value) && value == "true";
        cache.Set(key, autoScan, Lifetime);
        return autoScan;
    }
}

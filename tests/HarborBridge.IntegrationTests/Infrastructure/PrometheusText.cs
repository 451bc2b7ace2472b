using System.Globalization;

namespace HarborBridge.IntegrationTests.Infrastructure;

/// <summary>HarborBridge's samples in the Prometheus text format that <c>/metrics</c> serves: series (name and labels) → value.</summary>
internal static class PrometheusText
{
    public static Dictionary<string, double> Parse(string text) => text.Split('\n')
        .Where(l => l.StartsWith("harborbridge_", StringComparison.Ordinal))
        .Select(l => (Series: l[..l.LastIndexOf(' ')], Value: double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture)))
        .ToDictionary(x => x.Series, x => x.Value);

    public static async Task<Dictionary<string, double>> ScrapeAsync(HttpClient client) => Parse(await client.GetStringAsync("/metrics"));
}

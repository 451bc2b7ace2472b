using System.Text.Json;

namespace HarborBridge.IntegrationTests.Infrastructure;

internal static class Readiness
{
    /// <summary>Waits until /readyz reports the named check with the given status.</summary>
    public static async Task<bool> WaitForCheckAsync(HttpClient client, string check, string status, TimeSpan timeout) =>
        await TestEnvironment.EventuallyAsync(async () => await CheckStatusAsync(client, check) == status, timeout);

    public static async Task<string?> CheckStatusAsync(HttpClient client, string check)
    {
        using var response = await client.GetAsync("/readyz");
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("checks").TryGetProperty(check, out var entry) ? entry.GetProperty("status").GetString() : null;
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using HarborBridge.HarborSimulator;

namespace HarborBridge.Demo;

/// <summary>What <c>harborbridge demo</c> prints: the guide (dashboard URL, token, commands to try) and each image's outcome.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal static class DemoGuide
{
    private static readonly TimeSpan DecisionPatience = TimeSpan.FromMinutes(3);

    public static async Task PrintGuideAsync(TextWriter output, string folder, Uri serviceUrl, HarborSimulatorHandle harbor, string publicKey,
        DemoSecrets secrets, IReadOnlyList<(DemoImage Image, string Reference, string Digest)> pushed)
    {
        var self = SelfCommand();
        var quarantined = pushed.First(p => p.Image.Expected == "quarantined");
        var signed = pushed.First(p => p.Image.Expected == "signed");
        var guide = new StringBuilder()
            .AppendLine()
            .AppendLine("Dashboard (opens signed in with the admin token):")
            .AppendLine($"  {serviceUrl}#token={secrets.AdminToken}")
            .AppendLine($"Admin token: {secrets.AdminToken}")
            .AppendLine()
            .AppendLine("Pushed through Harbor (each fires Harbor's PUSH_ARTIFACT webhook):");
        foreach (var (image, reference, digest) in pushed)
        {
            guide.AppendLine(CultureInfo.InvariantCulture, $"  {reference}@{digest}   expected: {image.Expected}");
        }

        guide.AppendLine()
            .AppendLine("Try (in another terminal, while the demo runs):")
            .AppendLine($"  export HARBORBRIDGE_REGISTRY_USERNAME=admin HARBORBRIDGE_REGISTRY_PASSWORD={secrets.HarborPassword} HARBORBRIDGE_ADMIN_TOKEN={secrets.AdminToken}")
            .AppendLine($"  {self} verify {harbor.RegistryHost}/{DemoSession.Project}/{signed.Image.Repository}@{signed.Digest} --key {publicKey} --allow-insecure-registry")
            .AppendLine($"  {self} release {quarantined.Digest} --reason \"demo: accepted risk\" --url {serviceUrl.ToString().TrimEnd('/')}")
            .AppendLine();
        await output.WriteAsync(guide.ToString());
        await output.FlushAsync();
    }

    /// <summary>How to run this same executable again: the apphost, or <c>dotnet harborbridge.dll</c>.</summary>
    private static string SelfCommand()
    {
        var process = Environment.ProcessPath ?? "harborbridge";
        return Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? $"dotnet {Path.Combine(AppContext.BaseDirectory, "harborbridge.dll")}"
            : process;
    }

    /// <summary>Polls the admin API (as the dashboard does) until each image is decided, and prints each outcome as it lands.</summary>
    public static async Task ReportOutcomesAsync(TextWriter output, HttpClient http, Uri serviceUrl, string token,
        IReadOnlyList<(DemoImage Image, string Reference, string Digest)> pushed, CancellationToken stop)
    {
        var waiting = pushed.ToList();
        var clock = Stopwatch.StartNew();
        await output.WriteLineAsync("Waiting for the decisions (scan → policy → sign / quarantine)...");
        while (waiting.Count > 0 && clock.Elapsed < DecisionPatience)
        {
            foreach (var item in waiting.ToList())
            {
                if (await OutcomeAsync(http, new Uri(serviceUrl, $"api/v1/artifacts/{item.Digest}"), token, stop) is { } outcome)
                {
                    waiting.Remove(item);
                    await output.WriteLineAsync($"  {item.Image.Repository,-9} {outcome}   ({clock.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)} s)");
                }
            }

            if (waiting.Count > 0)
            {
                await Task.Delay(500, stop);
            }
        }

        await output.WriteLineAsync(waiting.Count == 0
            ? "All three decided. Open the dashboard URL above; 'All artifacts' lists them."
            : $"Not decided within {DecisionPatience.TotalMinutes.ToString(CultureInfo.InvariantCulture)} min: {string.Join(", ", waiting.Select(w => w.Image.Repository))}.");
        await output.FlushAsync();
    }

    /// <summary>signed / warned+signed / quarantined (plus the state), or null while not decided.</summary>
    private static async Task<string?> OutcomeAsync(HttpClient http, Uri artifact, string token, CancellationToken stop)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, artifact);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(request, stop);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            using var detail = JsonDocument.Parse(await response.Content.ReadAsStringAsync(stop));
            var artifacts = detail.RootElement.GetProperty("artifacts");
            if (artifacts.GetArrayLength() == 0)
            {
                return null;
            }

            var state = artifacts[0].GetProperty("state").GetString();
            var signatures = detail.RootElement.GetProperty("signatures").GetArrayLength();
            return (state, signatures) switch
            {
                ("Approved", > 0) => "signed (Approved)",
                ("Warned", > 0) => "warned+signed (Warned)",
                ("Quarantined", _) => "quarantined (label 'quarantined' in Harbor)",
                ("ScanFailed", _) => "scan failed",
                _ => null,
            };
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (TaskCanceledException) when (!stop.IsCancellationRequested)
        {
            return null;
        }
    }
}

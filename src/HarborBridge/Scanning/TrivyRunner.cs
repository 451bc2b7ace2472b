using System.Diagnostics;
using System.Globalization;
using HarborBridge.Contracts;
using HarborBridge.Harbor;
using Microsoft.Extensions.Options;

namespace HarborBridge.Scanning;

/// <summary>A Trivy run that produced no usable report: non-zero exit, time-out, or output that is too large.</summary>
public sealed class TrivyScanException(string message) : Exception(message);

/// <summary>Trivy could not lock its cache (another process holds it). This says nothing about the image: it is not a
/// scan failure (no <c>onScanFailure</c>), the message is retried and, once retries are spent, lands in <c>_error</c>.</summary>
public sealed class TrivyCacheBusyException(string message) : Exception(message);

/// <summary>
/// Runs <c>trivy image --format json</c> against the registry for one digest. Registry credentials go to Trivy
/// through its environment (<c>TRIVY_USERNAME</c>/<c>TRIVY_PASSWORD</c>), never on the command line, where any
/// user of the machine could read them. Trivy gets a minimal environment (<see cref="InheritedVariables"/>), never
/// the service's own settings and secrets. Runs are serialised: Trivy's cache is a BoltDB file that one process at a
/// time may lock, and a lock time-out would otherwise look like a failed scan.
/// </summary>
internal sealed class TrivyRunner(IOptions<TrivyOptions> options, IOptions<HarborOptions> harbor, ILogger<TrivyRunner> logger) : IDisposable
{
    /// <summary>Variables passed on from the service's environment: the search path, the home and temp folders, the
    /// proxy and CA settings, and the operator's own <c>TRIVY_*</c> settings. Nothing else (least of all
    /// <c>HarborBridge__*</c>) reaches the child.</summary>
    internal static readonly string[] InheritedVariables =
    [
        "PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "XDG_CACHE_HOME",
        "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
        "SSL_CERT_FILE", "SSL_CERT_DIR",
    ];

    private const string InheritedPrefix = "TRIVY_";

    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    public void Dispose() => _oneAtATime.Dispose();

    public async Task<byte[]> ScanAsync(ArtifactRef artifact, CancellationToken cancellationToken)
    {
        await _oneAtATime.WaitAsync(cancellationToken);
        try
        {
            return await RunAsync(artifact, cancellationToken);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    /// <summary>Trivy's message when its cache lock timed out ("cache may be in use by another process").</summary>
    internal static bool IsCacheLockError(string stderr) =>
        stderr.Contains("in use by another process", StringComparison.OrdinalIgnoreCase)
        || (stderr.Contains("cache", StringComparison.OrdinalIgnoreCase) && stderr.Contains("timeout", StringComparison.OrdinalIgnoreCase)
            && stderr.Contains("lock", StringComparison.OrdinalIgnoreCase));

    private static void SetMinimalEnvironment(ProcessStartInfo start)
    {
        var inherited = start.Environment.Where(v => InheritedVariables.Contains(v.Key, StringComparer.Ordinal)
                || v.Key.StartsWith(InheritedPrefix, StringComparison.Ordinal))
            .ToList();
        start.Environment.Clear();
        foreach (var (key, value) in inherited)
        {
            start.Environment[key] = value;
        }
    }

    private async Task<byte[]> RunAsync(ArtifactRef artifact, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var start = new ProcessStartInfo(settings.Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        SetMinimalEnvironment(start);
        foreach (var arg in new[] { "image", "--format", "json", "--quiet", "--timeout", $"{(int)settings.Timeout.TotalSeconds}s" })
        {
            start.ArgumentList.Add(arg);
        }

        if (!string.IsNullOrEmpty(settings.CacheDir))
        {
            start.ArgumentList.Add("--cache-dir");
            start.ArgumentList.Add(settings.CacheDir);
        }

        if (settings.Insecure)
        {
            start.ArgumentList.Add("--insecure");
        }

        start.ArgumentList.Add($"{RegistryHost()}/{artifact.FullRepository}@{artifact.Digest}");
        if (!string.IsNullOrEmpty(harbor.Value.Username))
        {
            start.Environment["TRIVY_USERNAME"] = harbor.Value.Username;
            start.Environment["TRIVY_PASSWORD"] = harbor.Value.Password;
        }

        using var process = StartProcess(start, settings.Path);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.Timeout);
        var stdout = ReadLimitedAsync(process.StandardOutput.BaseStream, settings.MaxReportBytes, timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            var report = await stdout;
            var errors = await stderr;
            if (process.ExitCode != 0 && IsCacheLockError(errors))
            {
                throw new TrivyCacheBusyException($"trivy could not lock its cache ({LastLine(errors)}); the scan is retried. "
                    + "Give each HarborBridge process its own HarborBridge:Trivy:CacheDir.");
            }

            if (process.ExitCode != 0)
            {
                throw new TrivyScanException($"trivy exited with code {process.ExitCode}: {LastLine(errors)}");
            }

            return report ?? throw new TrivyScanException($"trivy's report is larger than {settings.MaxReportBytes} bytes (HarborBridge:Trivy:MaxReportBytes).");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Kill(process);
            throw new TrivyScanException($"trivy did not finish within {settings.Timeout} (HarborBridge:Trivy:Timeout); it was stopped.");
        }
        catch
        {
            Kill(process);
            throw;
        }
    }

    private string RegistryHost() =>
        Uri.TryCreate(harbor.Value.Url, UriKind.Absolute, out var url)
            ? url.IsDefaultPort ? url.Host : $"{url.Host}:{url.Port.ToString(CultureInfo.InvariantCulture)}"
            : throw new TrivyScanException("Direct Trivy mode needs HarborBridge:Harbor:Url to know the registry's address.");

    private static Process StartProcess(ProcessStartInfo start, string path)
    {
        try
        {
            return Process.Start(start) ?? throw new TrivyScanException($"trivy ({path}) could not be started.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new TrivyScanException($"trivy ({path}) could not be started: {e.Message} (HarborBridge:Trivy:Path).");
        }
    }

    private void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException e)
        {
            logger.LogDebug("trivy had already exited: {Error}", e.Message);
        }
    }

    /// <summary>Reads the whole stream, or returns null (after draining it) once it exceeds <paramref name="limit"/> bytes.</summary>
    private static async Task<byte[]?> ReadLimitedAsync(Stream stream, int limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        var tooLarge = false;
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (!tooLarge && buffer.Length + read > limit)
            {
                tooLarge = true;
            }

            if (!tooLarge)
            {
                buffer.Write(chunk, 0, read);
            }
        }

        return tooLarge ? null : buffer.ToArray();
    }

    private static string LastLine(string text)
    {
        var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "(no message)";
        return line.Length > 500 ? line[..500] : line;
    }
}

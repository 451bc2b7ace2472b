using System.Diagnostics;
using System.Globalization;
using HarborBridge.Contracts;
using HarborBridge.Harbor;
using Microsoft.Extensions.Options;

namespace HarborBridge.Scanning;

/// <summary>A Trivy run that produced no usable report: non-zero exit, time-out, or output that is too large.</summary>
public sealed class TrivyScanException(string message) : Exception(message);

/// <summary>
/// Runs <c>trivy image --format json</c> against the registry for one digest. Registry credentials go to Trivy
/// through its environment (<c>TRIVY_USERNAME</c>/<c>TRIVY_PASSWORD</c>), never on the command line, where any
/// user of the machine could read them.
/// </summary>
internal sealed class TrivyRunner(IOptions<TrivyOptions> options, IOptions<HarborOptions> harbor, ILogger<TrivyRunner> logger)
{
    public async Task<byte[]> ScanAsync(ArtifactRef artifact, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var start = new ProcessStartInfo(settings.Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "image", "--format", "json", "--quiet", "--timeout", $"{(int)settings.Timeout.TotalSeconds}s" })
        {
            start.ArgumentList.Add(arg);
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

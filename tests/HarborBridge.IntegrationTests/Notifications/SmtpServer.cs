using System.Diagnostics;
using System.Net.Sockets;
using HarborBridge.IntegrationTests.Infrastructure;
using MimeKit;

namespace HarborBridge.IntegrationTests.Notifications;

/// <summary>A real SMTP server: python3-aiosmtpd on 127.0.0.1 storing every message in a Maildir. Started by the test,
/// stopped by its PID.</summary>
internal sealed class SmtpServer : IAsyncDisposable
{
    private const string Python = "/usr/bin/python3";
    private readonly Process _process;
    private readonly string _maildir;

    private SmtpServer(Process process, string maildir, int port)
    {
        _process = process;
        _maildir = maildir;
        Port = port;
    }

    public int Port { get; }

    public static async Task<SmtpServer> StartAsync()
    {
        if (!File.Exists(Python))
        {
            throw new InvalidOperationException($"{Python} is missing; tests/run.sh installs python3 and python3-aiosmtpd.");
        }

        var maildir = Path.Combine(Path.GetTempPath(), "hb-smtp-" + Guid.NewGuid().ToString("N"));
        // aiosmtpd's Mailbox handler creates the Maildir (cur/new/tmp) itself, and only when the folder does not exist yet.
        var port = TestEnvironment.FreePorts();
        var start = new ProcessStartInfo(Python) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-m", "aiosmtpd", "-n", "-l", $"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Mailbox", maildir })
        {
            start.ArgumentList.Add(a);
        }

        var process = Process.Start(start)!;
        var server = new SmtpServer(process, maildir, port);
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (process.HasExited)
            {
                var error = await process.StandardError.ReadToEndAsync();
                throw new InvalidOperationException($"aiosmtpd exited ({process.ExitCode}): {error.Trim()} — tests/run.sh installs python3-aiosmtpd.");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", port);
                return server;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        await server.DisposeAsync();
        throw new TimeoutException("aiosmtpd did not listen within 20 s.");
    }

    /// <summary>Messages received so far, parsed.</summary>
    public IReadOnlyList<MimeMessage> Messages()
    {
        var dir = Path.Combine(_maildir, "new");
        return Directory.Exists(dir) ? Directory.GetFiles(dir).Order(StringComparer.Ordinal).Select(f => MimeMessage.Load(f)).ToList() : [];
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(5_000);
            }
        }
        finally
        {
            _process.Dispose();
            if (Directory.Exists(_maildir))
            {
                Directory.Delete(_maildir, recursive: true);
            }
        }

        return ValueTask.CompletedTask;
    }
}

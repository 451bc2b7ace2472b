using System.Net;
using System.Net.Sockets;
using System.Text;
using HarborBridge.Contracts;
using HarborBridge.Notifications;
using HarborBridge.UnitTests.Harbor;

namespace HarborBridge.UnitTests.Notifications;

/// <summary>Audit #12: an on-path attacker who strips STARTTLS must not receive the SMTP password. A minimal SMTP
/// server on 127.0.0.1 offers AUTH but no STARTTLS (what a stripped connection looks like) and records the commands.</summary>
public sealed class SmtpLoginTests
{
    private static DeliverNotification Notification() => new("n-1", "mail", "default", "trigger", "k",
        new NotificationContent("warned", "warning", "Title", "Summary", null, null, [], [], [], [], "Nothing.", []), DateTimeOffset.UnixEpoch);

    private static ChannelOptions Channel(int port, SmtpSecurity security) => new()
    {
        Type = ChannelType.Email, Host = "127.0.0.1", Port = port, Security = security, Username = "hb", Password = "smtp-SECRET",
        From = "hb@example.test", To = "ops@example.test",
    };

    [Theory]
    [InlineData(SmtpSecurity.Auto)]
    [InlineData(SmtpSecurity.StartTls)]
    public async Task Send_ServerWithoutStartTls_PasswordNeverSent(SmtpSecurity security)
    {
        await using var server = await PlainSmtpServer.StartAsync();

        await Assert.ThrowsAnyAsync<Exception>(() => new EmailSender().SendAsync(Notification(), Channel(server.Port, security), TestTimeout.Token()));

        Assert.DoesNotContain(server.Commands, c => c.StartsWith("AUTH", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Send_SecurityNone_ExplicitOptOutLogsIn()
    {
        // The control case: the same server does receive the login when plain login was chosen explicitly.
        await using var server = await PlainSmtpServer.StartAsync();

        await new EmailSender().SendAsync(Notification(), Channel(server.Port, SmtpSecurity.None), TestTimeout.Token());

        Assert.Contains(server.Commands, c => c.StartsWith("AUTH", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Answers EHLO with AUTH PLAIN LOGIN (no STARTTLS), accepts any login and any message.</summary>
    private sealed class PlainSmtpServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private Task _loop = Task.CompletedTask;

        public List<string> Commands { get; } = [];

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public static Task<PlainSmtpServer> StartAsync()
        {
            var server = new PlainSmtpServer();
            server._listener.Start();
            server._loop = server.ServeAsync();
            return Task.FromResult(server);
        }

        private async Task ServeAsync()
        {
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    await using var stream = client.GetStream();
                    using var reader = new StreamReader(stream, Encoding.ASCII);
                    await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
                    await writer.WriteLineAsync("220 test ESMTP");
                    var inData = false;
                    while (await reader.ReadLineAsync(_stop.Token) is { } line)
                    {
                        if (inData)
                        {
                            if (line == ".")
                            {
                                inData = false;
                                await writer.WriteLineAsync("250 queued");
                            }

                            continue;
                        }

                        lock (Commands)
                        {
                            Commands.Add(line);
                        }

                        var verb = line.Split(' ')[0].ToUpperInvariant();
                        var reply = verb switch
                        {
                            "EHLO" => "250-test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME",
                            "AUTH" => "235 ok",
                            "DATA" => "354 go ahead",
                            "QUIT" => "221 bye",
                            _ => "250 ok",
                        };
                        inData = verb == "DATA";
                        await writer.WriteLineAsync(reply);
                        if (verb == "QUIT")
                        {
                            break;
                        }
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
            {
                // stopped, or the client hung up
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _loop;
            _stop.Dispose();
        }
    }
}

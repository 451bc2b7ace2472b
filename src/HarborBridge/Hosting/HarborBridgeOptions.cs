using System.ComponentModel.DataAnnotations;

namespace HarborBridge.Hosting;

/// <summary>Which message transport carries the pipeline's messages.</summary>
public enum TransportKind
{
    /// <summary>In-process queues: the embedded default for one process on a laptop.</summary>
    InMemory,

    /// <summary>RabbitMQ, for durable queues and several replicas.</summary>
    RabbitMq,
}

/// <summary>Top-level settings (section <c>HarborBridge</c>).</summary>
public sealed class HarborBridgeOptions
{
    public const string SectionName = "HarborBridge";

    /// <summary><c>InMemory</c> (default) or <c>RabbitMq</c>.</summary>
    [EnumDataType(typeof(TransportKind))]
    public TransportKind Transport { get; set; } = TransportKind.InMemory;
}

/// <summary>RabbitMQ connection (section <c>HarborBridge:RabbitMq</c>), used when Transport is RabbitMq.</summary>
public sealed class RabbitMqOptions
{
    public const string SectionName = "HarborBridge:RabbitMq";

    /// <summary>Broker host name or address.</summary>
    [Required(AllowEmptyStrings = false)]
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>Broker port (AMQP 5672, AMQPS usually 5671).</summary>
    [Range(1, 65535)]
    public int Port { get; set; } = 5672;

    /// <summary>RabbitMQ virtual host.</summary>
    [Required(AllowEmptyStrings = false)]
    public string VirtualHost { get; set; } = "/";

    /// <summary>Broker user; RabbitMQ's <c>guest</c> is refused for a broker on another host.</summary>
    [Required(AllowEmptyStrings = false)]
    public string Username { get; set; } = "guest";

    /// <summary>Secret: set it from the environment (<c>HarborBridge__RabbitMq__Password</c>).</summary>
    public string Password { get; set; } = "guest";

    /// <summary>Messages each consumer endpoint prefetches.</summary>
    [Range(1, 1000)]
    public int PrefetchCount { get; set; } = 16;

    /// <summary>Declare queues as quorum queues (replicated; recommended for clusters).</summary>
    public bool QuorumQueues { get; set; }

    /// <summary>Connect with TLS (AMQPS, usually port 5671).</summary>
    public bool UseTls { get; set; }

    /// <summary>TLS: the server name expected in the broker's certificate; the host name when empty.</summary>
    public string? TlsServerName { get; set; }

    /// <summary>TLS: a PEM file with the CA that signed the broker's certificate, when it is not publicly trusted.</summary>
    public string? CaFile { get; set; }

    /// <summary>True for a broker on this machine, the only place RabbitMQ's default <c>guest</c> account may be used
    /// (RabbitMQ itself refuses <c>guest</c> from other hosts by default).</summary>
    public bool IsLocal => Host is "localhost" or "127.0.0.1" or "::1" or "[::1]";
}

/// <summary>With <c>Transport=RabbitMq</c> and a broker on another host: the <c>guest</c> account is refused, and
/// <c>CaFile</c> must exist.</summary>
internal sealed class RabbitMqOptionsValidator(Microsoft.Extensions.Options.IOptions<HarborBridgeOptions> top)
    : Microsoft.Extensions.Options.IValidateOptions<RabbitMqOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, RabbitMqOptions options)
    {
        if (top.Value.Transport != TransportKind.RabbitMq || options.IsLocal)
        {
            return Microsoft.Extensions.Options.ValidateOptionsResult.Success;
        }

        var failures = new List<string>();
        if (options.Username == "guest" || options.Password == "guest")
        {
            failures.Add($"{RabbitMqOptions.SectionName}:Username/Password: the default guest account is refused for a broker on another host " +
                $"({options.Host}); create a user for HarborBridge and set HarborBridge__RabbitMq__Username and __Password.");
        }

        if (!string.IsNullOrEmpty(options.CaFile) && !File.Exists(options.CaFile))
        {
            failures.Add($"{RabbitMqOptions.SectionName}:CaFile: the file does not exist.");
        }

        return failures.Count == 0
            ? Microsoft.Extensions.Options.ValidateOptionsResult.Success
            : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>Where state is kept (section <c>HarborBridge:Database</c>).</summary>
public sealed class DatabaseOptions
{
    public const string SectionName = "HarborBridge:Database";

    /// <summary><c>Sqlite</c> (default, one process) or <c>Postgres</c> (several replicas, clustered scheduler); same schema,
    /// migrations applied at start.</summary>
    [EnumDataType(typeof(DatabaseProvider))]
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>ADO.NET connection string; the default is a SQLite file in the working directory.</summary>
    [Required(AllowEmptyStrings = false)]
    public string ConnectionString { get; set; } = "Data Source=harborbridge.db";
}

/// <summary>Supported databases; both share one schema.</summary>
public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

/// <summary>Admin API settings (section <c>HarborBridge:Admin</c>).</summary>
public sealed class AdminOptions
{
    public const string SectionName = "HarborBridge:Admin";

    /// <summary>Shortest admin token accepted at start.</summary>
    public const int MinTokenLength = 32;

    /// <summary>The name recorded as "who" for admin actions when no identity header is configured.</summary>
    public const string TokenActor = "admin-token";

    /// <summary>Bearer token for <c>/api/v1</c> (at least 32 characters); when unset the admin API answers 401 to
    /// everyone. Secret: from the environment or <c>HarborBridge:Admin:TokenFile</c>, never the command line.</summary>
    public string? Token { get; set; }

    /// <summary>A request header set by an authenticating proxy in front of HarborBridge (for example
    /// <c>X-Forwarded-User</c>) that names the person; it becomes the actor of releases. Only set this when the proxy
    /// removes the header from client requests. Unset: the actor is <c>admin-token</c>.</summary>
    public string? IdentityHeader { get; set; }

    /// <summary>Largest release request body in bytes.</summary>
    [Range(256, 1024 * 1024)]
    public int MaxReleaseBodyBytes { get; set; } = 16 * 1024;
}

/// <summary>A <c>Token</c>, when set, has at least 32 characters.</summary>
internal sealed class AdminOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<AdminOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, AdminOptions options) =>
        options.Token is { Length: > 0 } token && token.Length < AdminOptions.MinTokenLength
            ? Microsoft.Extensions.Options.ValidateOptionsResult.Fail(
                $"HarborBridge:Admin:Token is {token.Length} characters long; use at least {AdminOptions.MinTokenLength} random characters " +
                "(for example: openssl rand -hex 32).")
            : Microsoft.Extensions.Options.ValidateOptionsResult.Success;
}

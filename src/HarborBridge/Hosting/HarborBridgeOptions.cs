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

    [Required(AllowEmptyStrings = false)]
    public string Host { get; set; } = "127.0.0.1";

    [Range(1, 65535)]
    public int Port { get; set; } = 5672;

    [Required(AllowEmptyStrings = false)]
    public string VirtualHost { get; set; } = "/";

    [Required(AllowEmptyStrings = false)]
    public string Username { get; set; } = "guest";

    /// <summary>Secret: set it from the environment (<c>HarborBridge__RabbitMq__Password</c>).</summary>
    public string Password { get; set; } = "guest";

    /// <summary>Messages each consumer endpoint prefetches.</summary>
    [Range(1, 1000)]
    public int PrefetchCount { get; set; } = 16;

    /// <summary>Declare queues as quorum queues (replicated; recommended for clusters).</summary>
    public bool QuorumQueues { get; set; }
}

/// <summary>Where state is kept (section <c>HarborBridge:Database</c>).</summary>
public sealed class DatabaseOptions
{
    public const string SectionName = "HarborBridge:Database";

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

    /// <summary>Bearer token for <c>/api/v1</c>; when unset the admin API answers 401 to everyone.</summary>
    public string? Token { get; set; }
}

using HarborBridge.Core.Policy;
using Microsoft.Extensions.Options;

namespace HarborBridge.Policy;

/// <summary>The policy in force. The file is re-read when its time stamp changes, so edits apply without a
/// restart; an invalid edit is logged and the last good policy stays in force.</summary>
internal sealed class PolicyProvider(IOptions<PolicyOptions> options, ILogger<PolicyProvider> logger)
{
    private const string BuiltInYaml = "version: 1\n";
    private readonly Lock _sync = new();
    private (PolicyDocument Policy, KevCatalog? Kev, DateTime Stamp, string Source)? _current;

    public (PolicyDocument Policy, KevCatalog? Kev) Current
    {
        get
        {
            var path = Path.GetFullPath(options.Value.File);
            var stamp = System.IO.File.Exists(path) ? System.IO.File.GetLastWriteTimeUtc(path) : DateTime.MinValue;
            lock (_sync)
            {
                if (_current is not { } current || current.Stamp != stamp || current.Source != path)
                {
                    _current = Load(path, stamp) ?? _current ?? throw new PolicyFileException($"{path}: no valid policy could be loaded.");
                }

                return (_current.Value.Policy, _current.Value.Kev);
            }
        }
    }

    /// <summary>Loads the policy at start so that a broken file stops the service with a clear message.</summary>
    public void Validate() => _ = Current;

    private (PolicyDocument, KevCatalog?, DateTime, string)? Load(string path, DateTime stamp)
    {
        try
        {
            if (stamp == DateTime.MinValue)
            {
                logger.LogWarning("Policy file {PolicyFile} does not exist; using the built-in defaults (block CRITICAL, warn HIGH)", path);
                return (PolicyLoader.Load(BuiltInYaml, "built-in defaults"), null, stamp, path);
            }

            var policy = PolicyLoader.Load(System.IO.File.ReadAllText(path), path).WithPathsRelativeTo(Path.GetDirectoryName(path)!);
            KevCatalog? kev = null;
            if (policy.KevFile is { } kevFile)
            {
                var kevPath = Path.IsPathRooted(kevFile) ? kevFile : Path.Combine(Path.GetDirectoryName(path)!, kevFile);
                kev = KevCatalog.Parse(System.IO.File.ReadAllText(kevPath), kevPath);
            }

            logger.LogInformation("Loaded policy {PolicyFile} version {PolicyVersion}", path, policy.PolicyVersion);
            return (policy, kev, stamp, path);
        }
        catch (Exception e) when (e is PolicyFileException or IOException or UnauthorizedAccessException)
        {
            if (_current is null)
            {
                throw new PolicyFileException(e.Message);
            }

            logger.LogError("Policy file {PolicyFile} is invalid; the previous policy stays in force: {Problem}", path, e.Message);
            return null;
        }
    }
}

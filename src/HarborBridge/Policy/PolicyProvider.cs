using HarborBridge.Core.Policy;
using Microsoft.Extensions.Options;

namespace HarborBridge.Policy;

/// <summary>The policy in force and the files it reads (KEV catalog, EPSS scores, OpenVEX documents). Everything is
/// re-read when the time stamp of the policy file or of one of those files changes, so edits apply without a restart;
/// an invalid edit is logged and the last good policy with its inputs stays in force. A valid edit that would newly block
/// more artifacts than <see cref="PolicyOptions.MaxNewlyBlocked"/> is held back by the <see cref="PolicyReloadGuard"/>
/// until an admin accepts it.</summary>
internal sealed class PolicyProvider(IOptions<PolicyOptions> options, ILogger<PolicyProvider> logger, IPolicyReloadGuard? guard = null)
{
    /// <summary>How <c>/readyz</c> and the logs name the policy when no file is read.</summary>
    public const string BuiltInSource = "built-in default";

    private const string BuiltInYaml = "version: 1\n";
    private readonly Lock _sync = new();
    private Loaded? _current;
    private Loaded? _held;
    private Loaded? _checking;

    /// <summary>One loaded policy and its inputs, with the time stamps they were read at and the file's content hash.</summary>
    private sealed record Loaded(PolicyDocument Policy, PolicyInputs Inputs, string Path, string Source, IReadOnlyList<(string Path, DateTime Stamp)> Stamps,
        string ContentHash = "");

    public (PolicyDocument Policy, KevCatalog? Kev) Current
    {
        get
        {
            var (policy, inputs) = Snapshot;
            return (policy, inputs.Kev);
        }
    }

    /// <summary>The policy in force with every input it reads, from one load.</summary>
    public (PolicyDocument Policy, PolicyInputs Inputs) Snapshot
    {
        get
        {
            var current = Refresh();
            return (current.Policy, current.Inputs);
        }
    }

    /// <summary>The file the policy in force came from (or <see cref="BuiltInSource"/>) and its version.</summary>
    public (string Source, string Version) InForce
    {
        get
        {
            var current = Refresh();
            return (current.Source, current.Policy.PolicyVersion);
        }
    }

    private Loaded Refresh()
    {
        var path = Path.GetFullPath(options.Value.File ?? PolicyOptions.DefaultFile);
        Loaded candidate;
        Loaded previous;
        lock (_sync)
        {
            if (_current is { } current && current.Path == path && current.Stamps.All(s => StampOf(s.Path) == s.Stamp))
            {
                return current;
            }

            if (_held is { } held && held.Path == path && held.Stamps.All(s => StampOf(s.Path) == s.Stamp))
            {
                // The file still holds the change the guard held back: install it once an admin accepted it.
                if (guard!.IsAccepted(held.ContentHash))
                {
                    (_current, _held) = (held, null);
                    logger.LogWarning("Policy {PolicyFile} version {PolicyVersion} is in force: its impact was accepted", path, held.Policy.PolicyVersion);
                }

                return _current!;
            }

            if (_checking is { } pending && pending.Path == path && pending.Stamps.All(s => StampOf(s.Path) == s.Stamp))
            {
                // Another caller is computing this change's impact: the policy in force decides meanwhile.
                return _current!;
            }

            var loaded = Load(path);
            // Only a new policy version needs the guard; changed inputs (VEX, EPSS, KEV) under the same version come in at once.
            if (loaded is null || _current is null || guard is null || loaded.Policy.PolicyVersion == _current.Policy.PolicyVersion)
            {
                // A change still being previewed is superseded by this one: its answer is not used.
                (_held, _checking) = (null, null);
                _current = loaded ?? _current ?? throw new PolicyFileException($"{path}: no valid policy could be loaded.");
                return _current;
            }

            (candidate, previous, _checking) = (loaded, _current, loaded);
        }

        // The impact preview reads every stored decision (seconds on a large registry), so it runs outside the lock:
        // decisions go on under the policy in force until it is known whether the change may come into force.
        bool admitted;
        try
        {
            admitted = guard.Admit(previous.Policy, candidate.Policy, candidate.Inputs, candidate.Source, candidate.ContentHash);
        }
        catch
        {
            lock (_sync)
            {
                _checking = ReferenceEquals(_checking, candidate) ? null : _checking;
            }

            throw;
        }

        lock (_sync)
        {
            if (ReferenceEquals(_checking, candidate))
            {
                _checking = null;
                (_current, _held) = admitted ? (candidate, null) : (_current, candidate);
            }

            return _current!;
        }
    }

    /// <summary>Loads the policy at start so that a broken file stops the service with a clear message.</summary>
    public void Validate() => _ = Current;

    /// <summary>The policy file's change that the reload guard holds back (its impact exceeds the limit), if any.</summary>
    public (string Source, string Version, string ContentHash)? Held
    {
        get
        {
            _ = Refresh();
            lock (_sync)
            {
                return _held is { } held ? (held.Source, held.Policy.PolicyVersion, held.ContentHash) : null;
            }
        }
    }

    /// <summary>A candidate policy (YAML text, not yet in force) with its inputs, loaded as the policy file would be: relative
    /// paths are read from the folder of the policy file in force. Throws <see cref="PolicyFileException"/> when invalid.</summary>
    public (PolicyDocument Policy, PolicyInputs Inputs) LoadCandidate(string yaml, string source = "candidate policy")
    {
        var path = Path.GetFullPath(options.Value.File ?? PolicyOptions.DefaultFile);
        var policy = PolicyLoader.Load(yaml, source).WithPathsRelativeTo(Path.GetDirectoryName(path)!);
        // A candidate comes over the API: it may read files in the policy folder and those the policy in force names, not
        // any file the service can open (a parse error would quote it back).
        var folder = Path.GetDirectoryName(path)! + Path.DirectorySeparatorChar;
        var named = PolicyInputLoader.Files(Snapshot.Policy, path).Select(Path.GetFullPath).ToHashSet(StringComparer.Ordinal);
        if (PolicyInputLoader.Files(policy, path).Select(Path.GetFullPath).FirstOrDefault(f => !f.StartsWith(folder, StringComparison.Ordinal) && !named.Contains(f))
            is { } outside)
        {
            throw new PolicyFileException($"{source}: {outside} is outside the policy folder {folder} and not named by the policy in force; " +
                "a previewed policy may read only those files");
        }

        try
        {
            return (policy, LoadInputs(policy, path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PolicyFileException($"{source}: {e.Message}");
        }
    }

    /// <summary><c>sha256:&lt;hex&gt;</c> of the policy text exactly as written: what an acceptance is bound to.</summary>
    public static string ContentHash(string text) =>
        "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));

    private static PolicyInputs LoadInputs(PolicyDocument policy, string path) =>
        PolicyInputLoader.LoadAsync(policy, path, (file, _, _) => Task.FromResult(File.ReadAllText(file)), CancellationToken.None).GetAwaiter().GetResult();

    private static DateTime StampOf(string path) => File.Exists(path) ? File.GetLastWriteTimeUtc(path) : DateTime.MinValue;

    private Loaded? Load(string path)
    {
        var stamp = StampOf(path);
        try
        {
            if (stamp == DateTime.MinValue)
            {
                if (options.Value.File is not null)
                {
                    // An explicit setting that points nowhere is a mistake, not a request for the defaults.
                    throw new PolicyFileException($"{path} does not exist");
                }

                logger.LogWarning("HarborBridge:Policy:File is not set and {PolicyFile} does not exist; using the built-in defaults (block CRITICAL, warn HIGH)", path);
                return new Loaded(PolicyLoader.Load(BuiltInYaml, BuiltInSource), PolicyInputs.None, path, BuiltInSource, [(path, stamp)]);
            }

            var text = File.ReadAllText(path);
            var policy = PolicyLoader.Load(text, path).WithPathsRelativeTo(Path.GetDirectoryName(path)!);

            // Stamps first: a file changed while being read is read again on the next look.
            var stamps = new List<(string, DateTime)> { (path, stamp) };
            stamps.AddRange(PolicyInputLoader.Files(policy, path).Select(f => (f, StampOf(f))));
            var inputs = LoadInputs(policy, path);
            logger.LogInformation("Loaded policy {PolicyFile} version {PolicyVersion} ({VexCount} VEX document(s), EPSS {EpssDate}, KEV {KevVersion})",
                path, policy.PolicyVersion, inputs.Vex?.Count ?? 0, inputs.Epss?.DateText ?? "none", inputs.Kev?.Version ?? "none");
            return new Loaded(policy, inputs, path, path, stamps, ContentHash(text));
        }
        catch (Exception e) when (e is PolicyFileException or IOException or UnauthorizedAccessException)
        {
            if (_current is null)
            {
                throw new PolicyFileException(e.Message);
            }

            logger.LogError("Policy file {PolicyFile} or a file it names is invalid; the previous policy stays in force: {Problem}", path, e.Message);
            return null;
        }
    }
}

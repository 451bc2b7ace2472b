using HarborBridge.Core.Policy;
using HarborBridge.Policy;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace HarborBridge.UnitTests.Policy;

/// <summary>A changed policy file is judged by the reload guard, whose impact preview can take seconds on a large registry.
/// Meanwhile every other caller goes on deciding with the policy in force instead of waiting for the preview.</summary>
public sealed class PolicyReloadWhileGuardedTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "hb-guard-" + Guid.NewGuid().ToString("N"));
    private readonly SlowGuard _guard = new();

    public PolicyReloadWhileGuardedTests()
    {
        Directory.CreateDirectory(_dir);
        Write("policy-1", DateTime.UtcNow.AddMinutes(-5));
    }

    private string PolicyFile => Path.Combine(_dir, "policy.yaml");

    public void Dispose()
    {
        _guard.Release.Set();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task ChangeBeingPreviewed_OtherCallersGetThePolicyInForceAtOnce_ThenTheAdmittedChange()
    {
        var provider = Provider();
        Assert.Equal(Version("policy-1"), provider.Current.Policy.PolicyVersion);
        Write("policy-2", DateTime.UtcNow);

        var first = Task.Run(() => provider.Current.Policy.PolicyVersion);
        Assert.True(_guard.Entered.Wait(Patience), "the guard was not asked about the change");
        var meanwhile = Task.Run(() => provider.Current.Policy.PolicyVersion);

        // Answered while the preview still runs (the guard is held until released below).
        Assert.Same(meanwhile, await Task.WhenAny(meanwhile, Task.Delay(Patience)));
        Assert.Equal(Version("policy-1"), await meanwhile);
        Assert.False(first.IsCompleted);

        _guard.Release.Set();
        Assert.Equal(Version("policy-2"), await first);
        Assert.Equal(Version("policy-2"), provider.Current.Policy.PolicyVersion);
        Assert.Equal(1, _guard.Calls);
    }

    [Fact]
    public async Task ChangeRevertedWhilePreviewed_TheRevertedFileStaysInForce()
    {
        var provider = Provider();
        _ = provider.Current;
        Write("policy-2", DateTime.UtcNow.AddMinutes(-1));
        var first = Task.Run(() => provider.Current.Policy.PolicyVersion);
        Assert.True(_guard.Entered.Wait(Patience), "the guard was not asked about the change");

        // The admin puts the old text back while the preview of the new one runs; the late answer must not install it.
        Write("policy-1", DateTime.UtcNow);
        Assert.Equal(Version("policy-1"), await Task.Run(() => provider.Current.Policy.PolicyVersion));
        _guard.Release.Set();

        // Not even for a moment: the caller that asked about the change gets the reverted file, and the guard is not asked again.
        Assert.Equal(Version("policy-1"), await first);
        Assert.Equal(Version("policy-1"), provider.Current.Policy.PolicyVersion);
        Assert.Null(provider.Held);
        Assert.Equal(1, _guard.Calls);
    }

    [Fact]
    public async Task ChangeRefused_PolicyInForceStaysAndTheChangeIsHeld()
    {
        _guard.Answer = false;
        var provider = Provider();
        _ = provider.Current;
        Write("policy-2", DateTime.UtcNow);
        _guard.Release.Set();

        Assert.Equal(Version("policy-1"), await Task.Run(() => provider.Current.Policy.PolicyVersion));
        Assert.Equal(Version("policy-2"), provider.Held?.Version);
        Assert.Equal(1, _guard.Calls);
    }

    [Fact]
    public void GuardThrows_NextLookAsksAgain()
    {
        var provider = Provider();
        _ = provider.Current;
        Write("policy-2", DateTime.UtcNow);
        _guard.Throw = true;
        _guard.Release.Set();

        Assert.Throws<InvalidOperationException>(() => provider.Current);
        _guard.Throw = false;

        Assert.Equal(Version("policy-2"), provider.Current.Policy.PolicyVersion);
        Assert.Equal(2, _guard.Calls);
    }

    private PolicyProvider Provider() => new(Options.Create(new PolicyOptions { File = PolicyFile }), NullLogger<PolicyProvider>.Instance, _guard);

    // Two policies told apart by their version (the hash of their rules): "policy-1" blocks CRITICAL, "policy-2" HIGH.
    private static string Text(string name) =>
        $"version: 1\ndefaults:\n  block: {{ severity: {(name == "policy-1" ? "CRITICAL" : "HIGH")} }}\n";

    private static string Version(string name) => PolicyLoader.Load(Text(name), "policy.yaml").PolicyVersion;

    private void Write(string name, DateTime stamp)
    {
        File.WriteAllText(PolicyFile, Text(name));
        File.SetLastWriteTimeUtc(PolicyFile, stamp);
    }

    private sealed class SlowGuard : IPolicyReloadGuard
    {
        private int _calls;

        public ManualResetEventSlim Entered { get; } = new();

        public ManualResetEventSlim Release { get; } = new();

        public bool Answer { get; set; } = true;

        public bool Throw { get; set; }

        public int Calls => Volatile.Read(ref _calls);

        public bool Admit(PolicyDocument current, PolicyDocument candidate, PolicyInputs inputs, string source, string contentHash)
        {
            Interlocked.Increment(ref _calls);
            Entered.Set();
            Release.Wait(Patience);
            return Throw ? throw new InvalidOperationException("preview failed") : Answer;
        }

        public bool IsAccepted(string contentHash) => false;
    }
}

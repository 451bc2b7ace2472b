namespace HarborBridge.HarborSimulator;

/// <summary>Fault switches, changeable while the simulator runs. Rates are drawn from a seeded random source;
/// <see cref="FailNext"/> is exact, for tests that count attempts.</summary>
public sealed partial class SimulatorFaults
{
    private readonly Lock _lock = new();
    private readonly Random _random;
    private int _failNextCount;
    private int _failNextStatus;

    public SimulatorFaults(int seed = 1234) => _random = new Random(seed);

    /// <summary>Share (0..1) of API and registry requests answered 503.</summary>
    public double ServerErrorRate { get; set; }

    /// <summary>Share (0..1) of API and registry requests answered 429 with <see cref="RetryAfterSeconds"/>.</summary>
    public double TooManyRequestsRate { get; set; }

    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>When false, the error rates apply to the API only and <c>/v2/</c> (the registry) answers normally.</summary>
    public bool RegistryFaults { get; set; } = true;

    /// <summary>Added before every API and registry answer.</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>When true, webhooks are recorded as dropped and not sent.</summary>
    public bool DropWebhooks { get; set; }

    /// <summary>The next <paramref name="count"/> API requests get <paramref name="status"/> (503 or 429 typically).</summary>
    public void FailNext(int count, int status)
    {
        lock (_lock)
        {
            _failNextCount = count;
            _failNextStatus = status;
        }
    }

    private readonly List<(string Method, string PathSuffix)> _denied = [];

    /// <summary>Answers API calls of <paramref name="method"/> whose path ends with <paramref name="pathSuffix"/> with
    /// Harbor's 403 FORBIDDEN, as for a robot account that lacks the permission.</summary>
    public void Deny(string method, string pathSuffix)
    {
        lock (_lock)
        {
            _denied.Add((method, pathSuffix));
        }
    }

    internal bool IsDenied(string method, string path)
    {
        lock (_lock)
        {
            return _denied.Any(d => string.Equals(d.Method, method, StringComparison.OrdinalIgnoreCase) && path.EndsWith(d.PathSuffix, StringComparison.Ordinal));
        }
    }

    /// <summary>The status to fail this request with, or null to serve it.</summary>
    internal int? Draw()
    {
        lock (_lock)
        {
            if (_failNextCount > 0)
            {
                _failNextCount--;
                return _failNextStatus;
            }

            var roll = _random.NextDouble();
            if (roll < ServerErrorRate)
            {
                return 503;
            }

            return roll < ServerErrorRate + TooManyRequestsRate ? 429 : null;
        }
    }
}

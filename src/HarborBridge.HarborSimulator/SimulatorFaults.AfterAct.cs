namespace HarborBridge.HarborSimulator;

/// <summary>Faults that land after Harbor acted, as a proxy or load balancer in front of Harbor produces them: the
/// backend stored the manifest, attached the label or accepted the scan, and the client still sees an error.</summary>
public sealed partial class SimulatorFaults
{
    private readonly List<(string Method, string PathSuffix, int Status, int Left)> _afterAct = [];
    private readonly List<string> _afterActHits = [];

    /// <summary>The next <paramref name="count"/> requests of <paramref name="method"/> whose path ends with
    /// <paramref name="pathSuffix"/> are carried out, then answered with <paramref name="status"/> (502, 503, …) instead
    /// of their own answer; status 0 resets the connection instead of answering.</summary>
    public void FailAfterActing(string method, string pathSuffix, int status, int count = 1)
    {
        lock (_lock)
        {
            _afterAct.Add((method, pathSuffix, status, count));
        }
    }

    /// <summary>"METHOD path -> status" of every request answered by <see cref="FailAfterActing"/>.</summary>
    public IReadOnlyList<string> AfterActHits
    {
        get
        {
            lock (_lock)
            {
                return _afterActHits.ToList();
            }
        }
    }

    internal int? TakeAfterAct(string method, string path)
    {
        lock (_lock)
        {
            var i = _afterAct.FindIndex(f => f.Left > 0 && string.Equals(f.Method, method, StringComparison.OrdinalIgnoreCase)
                && path.EndsWith(f.PathSuffix, StringComparison.Ordinal));
            if (i < 0)
            {
                return null;
            }

            var fault = _afterAct[i];
            _afterAct[i] = fault with { Left = fault.Left - 1 };
            _afterActHits.Add($"{method} {path} -> {(fault.Status == 0 ? "connection reset" : fault.Status)}");
            return fault.Status;
        }
    }

    /// <summary>Replaces the answer of a request that was served into <see cref="Stream.Null"/>.</summary>
    internal static async Task AnswerAfterActingAsync(HttpContext http, Stream body, int status)
    {
        if (status == 0)
        {
            http.Abort();
            return;
        }

        http.Response.Body = body;
        http.Response.Clear();
        await SimHttp.Error(status, "UNKNOWN", "bad gateway").ExecuteAsync(http);
    }
}

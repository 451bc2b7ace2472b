namespace HarborBridge.LoadDriver;

/// <summary>What the policy is expected to say about a pushed artifact: each kind has its own repository, whose
/// simulated scan report decides it (clean: no findings; warned: 1 High + 1 Low; blocked: 2 Critical, 2 High, 1 Negligible).</summary>
public enum ArtifactKind
{
    Clean,
    Warned,
    Blocked,
}

/// <summary>The clean/warned/blocked shares of a burst, e.g. <c>70/20/10</c>.</summary>
public sealed record ArtifactMix(int Clean, int Warned, int Blocked)
{
    public static ArtifactMix Default { get; } = new(70, 20, 10);

    public static bool TryParse(string text, out ArtifactMix mix)
    {
        mix = Default;
        var parts = text.Split('/');
        if (parts.Length != 3 || !parts.All(p => int.TryParse(p, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _)))
        {
            return false;
        }

        var n = parts.Select(p => int.Parse(p, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        if (n.Sum() == 0)
        {
            return false;
        }

        mix = new ArtifactMix(n[0], n[1], n[2]);
        return true;
    }

    /// <summary>Kinds for <paramref name="count"/> artifacts, interleaved so that every stretch of the burst has the mix.</summary>
    public IReadOnlyList<ArtifactKind> Spread(int count)
    {
        var weights = new[] { Clean, Warned, Blocked };
        var total = (double)weights.Sum();
        var given = new int[3];
        var kinds = new List<ArtifactKind>(count);
        for (var i = 0; i < count; i++)
        {
            // The kind furthest behind its share so far goes next.
            var next = Enumerable.Range(0, 3).MaxBy(k => (weights[k] / total * (i + 1)) - given[k]);
            given[next]++;
            kinds.Add((ArtifactKind)next);
        }

        return kinds;
    }
}

using System.Text.Json;

namespace HarborBridge.Core.Policy;

/// <summary>CISA's Known Exploited Vulnerabilities catalog (the <c>known_exploited_vulnerabilities.json</c> feed):
/// only the CVE ids and the catalog version are kept.</summary>
public sealed class KevCatalog
{
    private readonly HashSet<string> _cveIds;

    private KevCatalog(string? version, HashSet<string> cveIds)
    {
        Version = version;
        _cveIds = cveIds;
    }

    public string? Version { get; }

    public int Count => _cveIds.Count;

    public bool Contains(string vulnerabilityId) => _cveIds.Contains(vulnerabilityId);

    /// <summary>Parses the feed's JSON text. <paramref name="source"/> names the file in error messages.</summary>
    public static KevCatalog Parse(string json, string source = "KEV file")
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new PolicyFileException($"{source}: not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}).");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object ||
                !root.TryGetProperty("vulnerabilities", out var items) || items.ValueKind != JsonValueKind.Array)
            {
                throw new PolicyFileException($"{source}: not a CISA KEV catalog (expected an object with a \"vulnerabilities\" array).");
            }

            var ids = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var index = 0;
            foreach (var item in items.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("cveID", out var id) ||
                    id.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(id.GetString()))
                {
                    throw new PolicyFileException($"{source}: vulnerabilities[{index}] has no \"cveID\".");
                }

                ids.Add(id.GetString()!.Trim());
                index++;
            }

            var version = root.TryGetProperty("catalogVersion", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            return new KevCatalog(version, ids);
        }
    }
}

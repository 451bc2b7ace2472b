using YamlDotNet.RepresentationModel;

namespace HarborBridge.IntegrationTests.Deploy;

/// <summary>Files of this repository (the tests run from its bin folder), and YAML helpers.</summary>
internal static class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>All documents of a YAML file (a YamlException, with line and column, when it does not parse).</summary>
    public static IReadOnlyList<YamlMappingNode> LoadYaml(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return [.. stream.Documents.Select(d => Assert.IsType<YamlMappingNode>(d.RootNode))];
    }

    public static YamlNode? Child(this YamlNode node, string key) =>
        node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    public static string? Text(this YamlNode? node, string key) => (node?.Child(key) as YamlScalarNode)?.Value;

    public static IEnumerable<YamlNode> Items(this YamlNode? node) => node is YamlSequenceNode seq ? seq.Children : [];

    /// <summary>Every mapping node in the tree (depth first).</summary>
    public static IEnumerable<YamlMappingNode> Mappings(this YamlNode node)
    {
        if (node is YamlMappingNode map)
        {
            yield return map;
        }

        var children = node switch
        {
            YamlMappingNode m => m.Children.Values,
            YamlSequenceNode s => s.Children,
            _ => [],
        };
        foreach (var child in children)
        {
            foreach (var inner in child.Mappings())
            {
                yield return inner;
            }
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "HarborBridge.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"HarborBridge.sln not found above {AppContext.BaseDirectory}");
    }
}

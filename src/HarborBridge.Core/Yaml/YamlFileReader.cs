using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace HarborBridge.Core.Yaml;

/// <summary>Reads the node tree of a hand-written YAML file (policy, routing) and reports every problem as one line
/// naming the file, line, column and field; <paramref name="error"/> wraps that line in the file's exception type.</summary>
internal class YamlFileReader(string source, Func<string, Exception> error)
{
    public string At(YamlNode node, string path, string message) =>
        $"{source}: line {node.Start.Line}, column {node.Start.Column}: {(path.Length > 0 ? path + ": " : "")}{message}";

    public Exception Error(YamlNode node, string path, string message) => error(At(node, path, message));

    public bool IsNull(YamlNode? node) =>
        node is null || node is YamlScalarNode { Style: ScalarStyle.Plain } s && s.Value is null or "" or "~" or "null";

    public YamlMappingNode Mapping(YamlNode node, string path, string[] allowed)
    {
        if (node is not YamlMappingNode map)
        {
            throw Error(node, path, "expected a mapping of keys (key: value)");
        }

        foreach (var key in map.Children.Keys)
        {
            var name = key is YamlScalarNode k ? k.Value ?? "" : "";
            if (!allowed.Contains(name, StringComparer.Ordinal))
            {
                var full = path == "(top level)" ? name : $"{path}.{name}";
                throw Error(key, full, $"unknown key '{name}' (allowed here: {string.Join(", ", allowed)})");
            }
        }

        return map;
    }

    public IEnumerable<(YamlNode Node, string Path)> Sequence(YamlNode? node, string path)
    {
        if (IsNull(node))
        {
            return [];
        }

        if (node is not YamlSequenceNode sequence)
        {
            throw Error(node!, path, "expected a list (entries starting with '- ')");
        }

        return sequence.Children.Select((child, i) => (child, $"{path}[{i}]"));
    }

    public string Scalar(YamlNode node, string path) =>
        node is YamlScalarNode scalar
            ? scalar.Value ?? ""
            : throw Error(node, path, "expected a single value");

    public string? OptionalScalar(YamlNode? node, string path) => IsNull(node) ? null : Scalar(node!, path).Trim();

    public bool? Bool(YamlNode? node, string path) =>
        OptionalScalar(node, path)?.ToLowerInvariant() switch
        {
            null => null,
            "true" => true,
            "false" => false,
            _ => throw Error(node!, path, $"expected true or false, not '{Scalar(node!, path)}'"),
        };
}

using System.Collections;
using System.Reflection;

namespace HarborBridge.IntegrationTests.Deploy;

/// <summary>Every setting the service reads, found by reflection: each settings class with a <c>SectionName</c>
/// constant contributes its public settable properties. Used to check that deploy files name only real settings.</summary>
internal static class SettingsCatalog
{
    /// <summary>Settings read directly from configuration rather than through a settings class.</summary>
    private static readonly string[] DirectKeys = ["HarborBridge:Logging:Console"];

    private static readonly Assembly[] Assemblies =
    [
        typeof(Program).Assembly,
        typeof(HarborBridge.Harbor.HarborOptions).Assembly,
        typeof(HarborBridge.Signing.Registry.SigningOptions).Assembly,
    ];

    /// <summary>Section name → settings class, e.g. <c>HarborBridge:Harbor</c> → HarborOptions.</summary>
    public static IReadOnlyDictionary<string, Type> Sections { get; } = Assemblies
        .SelectMany(a => a.GetTypes())
        .Select(t => (Type: t, Field: t.GetField("SectionName", BindingFlags.Public | BindingFlags.Static)))
        .Where(x => x.Field is { IsLiteral: true } && x.Field.GetRawConstantValue() is string s && s.StartsWith("HarborBridge", StringComparison.Ordinal))
        .ToDictionary(x => (string)x.Field!.GetRawConstantValue()!, x => x.Type, StringComparer.OrdinalIgnoreCase);

    /// <summary>Turns an environment variable name (<c>HarborBridge__Harbor__Url</c>) into a configuration key.</summary>
    public static string FromEnvironmentName(string name) => name.Replace("__", ":", StringComparison.Ordinal);

    /// <summary>Null when <paramref name="key"/> (e.g. <c>HarborBridge:Webhook:IgnoredOperators:0</c>) is a setting the
    /// service reads; otherwise why not. Keys are case-insensitive, as configuration binding is.</summary>
    public static string? Problem(string key)
    {
        if (DirectKeys.Contains(key, StringComparer.OrdinalIgnoreCase))
        {
            return null;
        }

        var section = Sections.Keys
            .Where(s => key.StartsWith(s + ":", StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(s => s.Length)
            .FirstOrDefault();
        if (section is null)
        {
            return $"{key}: no settings section";
        }

        var rest = key[(section.Length + 1)..].Split(':');
        var property = Sections[section].GetProperty(rest[0], BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
        if (property is not { CanWrite: true })
        {
            return $"{key}: {Sections[section].Name} has no setting '{rest[0]}'";
        }

        var isList = property.PropertyType != typeof(string) && typeof(IEnumerable).IsAssignableFrom(property.PropertyType);
        var tailOk = rest.Length == 1 || (isList && rest.Length == 2 && int.TryParse(rest[1], out _));
        return tailOk ? null : $"{key}: '{string.Join(':', rest[1..])}' is not part of {Sections[section].Name}.{property.Name}";
    }
}

using System.Collections;
using System.Reflection;
using HarborBridge.Hosting;
using HarborBridge.Webhooks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HarborBridge.UnitTests.Hosting;

/// <summary>docs/configuration.md cannot drift from the settings classes: every setting the service binds is in it with
/// a description, and its generated part is what <c>harborbridge config reference</c> writes today.</summary>
public sealed class ConfigurationReferenceTests
{
    private const string Regenerate = "run: dotnet run --project src/HarborBridge -- config reference --output \"$PWD/docs/configuration.md\"";

    private static readonly string Document = File.ReadAllText(RepositoryFiles.PathOf("docs/configuration.md"));

    /// <summary>Every settings class the service binds (options with a configuration change-token source, which is what
    /// Bind/BindConfiguration register), found from the service's own registrations.</summary>
    private static IEnumerable<Type> BoundOptionTypes()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["HarborBridge:Harbor:Url"] = "https://harbor.example.com",
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging();
        services.AddHarborBridge(configuration, ServerRoles.All);
        return services
            .Where(d => d.ServiceType.IsGenericType && d.ServiceType.GetGenericTypeDefinition() == typeof(IOptionsChangeTokenSource<>))
            .Select(d => d.ServiceType.GetGenericArguments()[0])
            .Where(t => t.Namespace?.StartsWith("HarborBridge", StringComparison.Ordinal) == true)
            .Distinct();
    }

    /// <summary>Setting keys of a class, walked independently of the generator: nested classes by property name,
    /// dictionaries of classes by <c>&lt;name&gt;</c>.</summary>
    private static IEnumerable<string> Keys(string prefix, Type type)
    {
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod?.IsPublic == true))
        {
            var t = p.PropertyType;
            var key = $"{prefix}:{p.Name}";
            if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Dictionary<,>))
            {
                var value = t.GetGenericArguments()[1];
                var inner = value.IsClass && value != typeof(string) ? Keys(key + ":<name>", value) : [key + ":<name>"];
                foreach (var k in inner)
                {
                    yield return k;
                }
            }
            else if (t.IsClass && t != typeof(string) && !typeof(IEnumerable).IsAssignableFrom(t))
            {
                foreach (var k in Keys(key, t))
                {
                    yield return k;
                }
            }
            else
            {
                yield return key;
            }
        }
    }

    private static string SectionOf(Type type) =>
        (string)type.GetField("SectionName", BindingFlags.Public | BindingFlags.Static)?.GetRawConstantValue()!;

    [Fact]
    public void EveryBoundSettingsClass_HasASectionNameTheReferenceFinds()
    {
        var found = ConfigurationReference.Sections().Select(s => s.Type).ToHashSet();

        var bound = BoundOptionTypes().ToList();

        Assert.Contains(typeof(WebhookOptions), bound);
        Assert.Empty(bound.Where(t => !found.Contains(t)).Select(t => t.FullName));
    }

    [Fact]
    public void EveryOptionProperty_IsInConfigurationMdWithADescription()
    {
        // The generated part's rows (the hand-written overview above it has a table too).
        var generated = Document[Math.Max(0, Document.IndexOf(ConfigurationReference.BeginMarker, StringComparison.Ordinal))..];
        var rows = generated.Split('\n').Where(l => l.StartsWith("| `HarborBridge", StringComparison.Ordinal))
            .ToDictionary(l => l.Split('`')[1], l => l.TrimEnd().TrimEnd('|').Split(" | ")[^1].Trim(), StringComparer.Ordinal);
        var keys = BoundOptionTypes().Append(typeof(LoggingOptions)).SelectMany(t => Keys(SectionOf(t), t)).ToList();

        Assert.Contains("HarborBridge:Webhook:ProjectSecrets:Master", keys);
        Assert.Contains("HarborBridge:Notifications:Channels:<name>:Url", keys);
        Assert.Empty(keys.Where(k => !rows.ContainsKey(k)).Select(k => $"{k} is not in docs/configuration.md ({Regenerate})"));
        Assert.Empty(keys.Where(k => rows.ContainsKey(k) && rows[k].Length == 0)
            .Select(k => $"{k} has no description: add a <summary> to its property, then {Regenerate}"));
    }

    [Fact]
    public void GeneratedPart_IsWhatTheGeneratorWritesToday()
    {
        var begin = Document.IndexOf(ConfigurationReference.BeginMarker, StringComparison.Ordinal);
        var end = Document.IndexOf(ConfigurationReference.EndMarker, StringComparison.Ordinal);
        Assert.True(begin >= 0 && end > begin, "docs/configuration.md has no generated part; " + Regenerate);

        var committed = Document[begin..(end + ConfigurationReference.EndMarker.Length)] + "\n";

        Assert.True(committed == ConfigurationReference.Markdown(ConfigurationReference.Docs.Load()),
            "docs/configuration.md is stale; " + Regenerate);
    }

    [Fact]
    public void Update_KeepsTheHandWrittenPartAndReplacesTheGeneratedOne()
    {
        var old = $"# Intro\n\nkept\n\n{ConfigurationReference.BeginMarker}\nold rows\n{ConfigurationReference.EndMarker}\n\n## After\n";
        var generated = $"{ConfigurationReference.BeginMarker}\nnew rows\n{ConfigurationReference.EndMarker}\n";

        var updated = ConfigurationReference.Update(old, generated);

        Assert.Equal($"# Intro\n\nkept\n\n{generated}\n## After\n", updated);
        Assert.Equal(updated, ConfigurationReference.Update(updated, generated));
    }
}

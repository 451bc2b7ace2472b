using System.Globalization;
using System.Text.RegularExpressions;

namespace HarborBridge.Hosting;

/// <summary>Turns the configuration binder's "Failed to convert configuration value" (any setting of any options class)
/// into a message that names the setting and says what it accepts: the names of an enum, the format of a time span.</summary>
internal static partial class ConfigurationErrors
{
    /// <summary>Null when <paramref name="error"/> is not a binding failure.</summary>
    public static string? Describe(Exception error)
    {
        for (var e = error; e is not null; e = e is AggregateException a && a.InnerExceptions.Count == 1 ? a.InnerExceptions[0] : e.InnerException)
        {
            if (e is InvalidOperationException && FailedConversion().Match(e.Message) is { Success: true } match)
            {
                return Describe(match.Groups["path"].Value, match.Groups["value"].Value, Resolve(match.Groups["type"].Value));
            }
        }

        return null;
    }

    internal static string Describe(string path, string value, Type? type)
    {
        var target = type is null ? null : Nullable.GetUnderlyingType(type) ?? type;
        var expected = target switch
        {
            { IsEnum: true } => "one of " + string.Join(", ", Enum.GetNames(target)),
            _ when target == typeof(TimeSpan) => "a time span written [d.]hh:mm:ss[.fff], e.g. 00:00:30 for 30 seconds, 00:15:00 for 15 minutes, 1.00:00:00 for a day",
            _ when target == typeof(DateTimeOffset) || target == typeof(DateTime) => "a date and time in ISO 8601, e.g. 2026-12-31T00:00:00Z",
            _ when target == typeof(bool) => "true or false",
            _ when target == typeof(int) || target == typeof(long) => "a whole number",
            _ when target == typeof(double) || target == typeof(decimal) => "a number (with a '.' for decimals)",
            _ when target == typeof(Uri) => "a URL",
            null => "a value of another type",
            _ => $"a {target.Name} value",
        };
        return string.Create(CultureInfo.InvariantCulture, $"{path}: '{value}' is not valid; expected {expected}.");
    }

    private static Type? Resolve(string name) =>
        Type.GetType(name, throwOnError: false)
        ?? AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(name, throwOnError: false)).FirstOrDefault(t => t is not null);

    [GeneratedRegex(@"^Failed to convert configuration value '(?<value>.*)' at '(?<path>[^']+)' to type '(?<type>[^']+)'\.", RegexOptions.Singleline)]
    private static partial Regex FailedConversion();
}

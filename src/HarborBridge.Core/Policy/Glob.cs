using System.Text;
using System.Text.RegularExpressions;

namespace HarborBridge.Core.Policy;

/// <summary>
/// A name pattern for projects and repositories: <c>*</c> any run of characters (including <c>/</c>),
/// <c>?</c> one character, <c>[abc]</c>, <c>[a-z]</c> and <c>[!abc]</c> character classes. Matching ignores case
/// (Harbor names are lower case anyway).
/// </summary>
public sealed class Glob
{
    private readonly Regex _regex;

    private Glob(string pattern, Regex regex)
    {
        Pattern = pattern;
        _regex = regex;
    }

    public static Glob Any { get; } = new("*", new Regex("^.*$", RegexOptions.Singleline | RegexOptions.CultureInvariant));

    public string Pattern { get; }

    public bool IsMatch(string name) => _regex.IsMatch(name);

    public override string ToString() => Pattern;

    public static bool TryParse(string pattern, out Glob glob, out string error)
    {
        glob = Any;
        if (pattern.Length == 0)
        {
            error = "the pattern is empty (use \"*\" for any name)";
            return false;
        }

        var regex = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*':
                    regex.Append(".*");
                    break;
                case '?':
                    regex.Append('.');
                    break;
                case '[':
                    var end = pattern.IndexOf(']', i + 1);
                    if (end < 0)
                    {
                        error = $"'[' at position {i + 1} is not closed by ']'";
                        return false;
                    }

                    var body = pattern[(i + 1)..end];
                    var negate = body.StartsWith('!');
                    if (negate)
                    {
                        body = body[1..];
                    }

                    if (body.Length == 0)
                    {
                        error = $"the character class at position {i + 1} is empty";
                        return false;
                    }

                    if (!TryClass(body, out var set, out error))
                    {
                        return false;
                    }

                    regex.Append(negate ? "[^" : "[").Append(set).Append(']');
                    i = end;
                    break;
                case ']':
                    error = $"']' at position {i + 1} has no opening '['";
                    return false;
                default:
                    if (char.IsWhiteSpace(c) || char.IsControl(c))
                    {
                        error = $"whitespace or control character at position {i + 1}";
                        return false;
                    }

                    regex.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        regex.Append('$');
        glob = new Glob(pattern, new Regex(regex.ToString(),
            RegexOptions.IgnoreCase | RegexOptions.Singleline | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)));
        error = "";
        return true;
    }

    private static bool TryClass(string body, out string set, out string error)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < body.Length; i++)
        {
            if (i + 2 < body.Length && body[i + 1] == '-')
            {
                if (body[i] > body[i + 2])
                {
                    error = $"the range '{body[i]}-{body[i + 2]}' is reversed";
                    set = "";
                    return false;
                }

                builder.Append(Escape(body[i])).Append('-').Append(Escape(body[i + 2]));
                i += 2;
            }
            else
            {
                builder.Append(Escape(body[i]));
            }
        }

        set = builder.ToString();
        error = "";
        return true;
    }

    private static string Escape(char c) => c is '\\' or ']' or '[' or '^' or '-' ? "\\" + c : c.ToString();
}

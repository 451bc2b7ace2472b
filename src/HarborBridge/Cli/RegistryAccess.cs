using HarborBridge.Harbor;
using HarborBridge.Harbor.Oci;
using HarborBridge.Signing;

namespace HarborBridge.Cli;

/// <summary>An image reference on the command line: <c>host[:port]/name</c> plus <c>@sha256:…</c> or <c>:tag</c>.</summary>
internal sealed record ImageReference(string Repository, string Reference)
{
    public bool IsDigest => ImageDigest.IsValid(Reference);

    public override string ToString() => IsDigest ? $"{Repository}@{Reference}" : $"{Repository}:{Reference}";

    /// <summary>Null (with <paramref name="problem"/>) when the text is not a reference with a registry host.</summary>
    public static ImageReference? TryParse(string? text, out string problem)
    {
        problem = "";
        if (string.IsNullOrWhiteSpace(text))
        {
            problem = "an image reference is required (host[:port]/name@sha256:… or host[:port]/name:tag)";
            return null;
        }

        string repository;
        string reference;
        var at = text.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            (repository, reference) = (text[..at], text[(at + 1)..]);
            if (!ImageDigest.IsValid(reference))
            {
                problem = $"'{reference}' is not a sha256 digest (sha256:<64 lowercase hex>)";
                return null;
            }
        }
        else
        {
            var colon = text.LastIndexOf(':');
            if (colon <= text.LastIndexOf('/'))
            {
                problem = $"'{text}' names neither a tag nor a digest; add :TAG or @sha256:…";
                return null;
            }

            (repository, reference) = (text[..colon], text[(colon + 1)..]);
        }

        var slash = repository.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || !(repository[..slash].Contains('.', StringComparison.Ordinal) || repository[..slash].Contains(':', StringComparison.Ordinal) ||
                            repository[..slash] == "localhost"))
        {
            problem = $"'{text}' does not start with a registry host (e.g. harbor.example.com/project/app)";
            return null;
        }

        try
        {
            _ = OciRepository.Parse(repository, plainHttp: false);
        }
        catch (ArgumentException e)
        {
            problem = e.Message;
            return null;
        }

        return new ImageReference(repository, reference);
    }
}

/// <summary>Builds the OCI client for the CLI verbs: credentials from HARBORBRIDGE_REGISTRY_USERNAME/_PASSWORD.</summary>
internal static class RegistryAccess
{
    public const string UsernameVariable = "HARBORBRIDGE_REGISTRY_USERNAME";
    public const string PasswordVariable = "HARBORBRIDGE_REGISTRY_PASSWORD";

    public static ServiceProvider CreateServices(OciRepository repository, Func<string, string?> environment)
    {
        var settings = new Dictionary<string, string?>
        {
            ["HarborBridge:Harbor:Url"] = repository.Registry.ToString(),
            ["HarborBridge:Harbor:Username"] = environment(UsernameVariable),
            ["HarborBridge:Harbor:Password"] = environment(PasswordVariable),
            ["HarborBridge:Harbor:TotalTimeout"] = "00:00:45",
        };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddLogging().AddHarborClients(configuration).BuildServiceProvider();
    }

    /// <summary>Null when the credentials are usable (both set or neither), else the problem.</summary>
    public static string? CheckCredentials(Func<string, string?> environment) =>
        string.IsNullOrEmpty(environment(UsernameVariable)) == string.IsNullOrEmpty(environment(PasswordVariable))
            ? null
            : $"set both {UsernameVariable} and {PasswordVariable}, or neither";

    /// <summary>A one-line reason for a registry failure (no stack trace). A TLS failure towards a registry addressed over https
    /// says it may be a plain-HTTP registry and names the flag for that.</summary>
    public static string Describe(Exception error, OciRepository? repository = null)
    {
        var reason = error switch
        {
            OciRegistryException { StatusCode: null } or HttpRequestException => $"the registry cannot be reached: {Hosting.ConnectionFailures.Cause(error)}",
            OciRegistryException e => e.Message,
            _ => error.Message,
        };
        return repository is { Registry.Scheme: "https" } && Hosting.ConnectionFailures.IsTlsFailure(error)
            ? $"{reason}. {repository.Authority} may be a plain-HTTP registry: add --allow-insecure-registry to talk plain HTTP to it"
            : reason;
    }
}

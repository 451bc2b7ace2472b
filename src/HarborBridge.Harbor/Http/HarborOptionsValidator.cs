using Microsoft.Extensions.Options;

namespace HarborBridge.Harbor.Http;

/// <summary><c>Url</c>, when set, is an absolute http(s) URL; <c>Username</c> and <c>Password</c> are set together or not at
/// all; <c>CaFile</c> exists; <c>AttemptTimeout</c> is shorter than <c>TotalTimeout</c>.</summary>
internal sealed class HarborOptionsValidator : IValidateOptions<HarborOptions>
{
    public ValidateOptionsResult Validate(string? name, HarborOptions options)
    {
        var failures = new List<string>();
        if (options.IsConfigured && (!Uri.TryCreate(options.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https")))
        {
            failures.Add("HarborBridge:Harbor:Url must be an absolute http(s) URL such as https://harbor.example.com.");
        }

        if (string.IsNullOrEmpty(options.Username) != string.IsNullOrEmpty(options.Password))
        {
            failures.Add("Set both HarborBridge:Harbor:Username and HarborBridge:Harbor:Password (the robot account), or neither.");
        }

        if (!string.IsNullOrWhiteSpace(options.CaFile) && !File.Exists(options.CaFile))
        {
            failures.Add($"HarborBridge:Harbor:CaFile '{options.CaFile}' does not exist.");
        }

        if (options.AttemptTimeout >= options.TotalTimeout)
        {
            failures.Add("HarborBridge:Harbor:AttemptTimeout must be shorter than HarborBridge:Harbor:TotalTimeout.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

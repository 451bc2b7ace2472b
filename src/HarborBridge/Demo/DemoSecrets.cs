using System.Security.Cryptography;
using System.Text;

namespace HarborBridge.Demo;

/// <summary>The demo's throwaway secrets: random, never written to a file except the encrypted key.</summary>
internal sealed record DemoSecrets(string AdminToken, string HarborPassword, string WebhookAuthHeader, string KeyPassword)
{
    public static DemoSecrets Create() => new(
        Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)),
        "Demo-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
        "Basic " + Convert.ToBase64String(Encoding.ASCII.GetBytes("harbor:" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)))),
        Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
}

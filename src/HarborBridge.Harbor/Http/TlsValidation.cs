using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace HarborBridge.Harbor.Http;

/// <summary>Builds the primary handler shared by the Harbor and registry clients: no cookie jar (Harbor's CSRF
/// check rejects writes that carry its session cookie), and TLS trust from a custom CA file when one is set.</summary>
internal static class PrimaryHandlers
{
    public static SocketsHttpHandler Create(HarborOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = System.Net.DecompressionMethods.All,
        };
        if (options.InsecureSkipTlsVerify)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
        }
        else if (!string.IsNullOrWhiteSpace(options.CaFile))
        {
            var roots = TlsValidation.LoadCaFile(options.CaFile);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                TlsValidation.IsTrusted(certificate, chain, errors, roots);
        }

        return handler;
    }
}

/// <summary>Trust in a private CA, for Harbor and for other services (RabbitMQ) that name a <c>CaFile</c>.</summary>
public static class TlsValidation
{
    public static X509Certificate2Collection LoadCaFile(string path, string setting = "HarborBridge:Harbor:CaFile")
    {
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"{setting} '{path}' does not exist.");
        }

        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(path);
        if (roots.Count == 0)
        {
            throw new InvalidOperationException($"{setting} '{path}' holds no PEM certificate.");
        }

        return roots;
    }

    /// <summary>Accepts what the system trusts, or a chain that ends in one of <paramref name="roots"/>. A host
    /// name mismatch is never accepted.</summary>
    public static bool IsTrusted(X509Certificate? certificate, X509Chain? presentedChain, SslPolicyErrors errors, X509Certificate2Collection roots)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (certificate is not X509Certificate2 leaf || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        if (presentedChain is not null)
        {
            foreach (var element in presentedChain.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        return chain.Build(leaf);
    }
}

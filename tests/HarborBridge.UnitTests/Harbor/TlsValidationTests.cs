using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using HarborBridge.Harbor;
using HarborBridge.Harbor.Http;

namespace HarborBridge.UnitTests.Harbor;

public sealed class TlsValidationTests
{
    private static X509Certificate2 CreateCa(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        return request.CreateSelfSigned(now, now.AddYears(20));
    }

    private static X509Certificate2 CreateLeaf(X509Certificate2 ca)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=harbor.test", key, HashAlgorithmName.SHA256);
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        using var signed = request.Create(ca, now, now.AddYears(10), [1, 2, 3, 4]);
        return signed.CopyWithPrivateKey(key);
    }

    [Fact]
    public void IsTrusted_LeafFromConfiguredCa_IsAccepted()
    {
        using var ca = CreateCa("Harbor Test CA");
        using var leaf = CreateLeaf(ca);

        Assert.True(TlsValidation.IsTrusted(leaf, null, SslPolicyErrors.RemoteCertificateChainErrors, [ca]));
    }

    [Fact]
    public void IsTrusted_LeafFromAnotherCa_IsRejected()
    {
        using var ca = CreateCa("Harbor Test CA");
        using var other = CreateCa("Someone Else");
        using var leaf = CreateLeaf(ca);

        Assert.False(TlsValidation.IsTrusted(leaf, null, SslPolicyErrors.RemoteCertificateChainErrors, [other]));
    }

    [Fact]
    public void IsTrusted_NameMismatch_IsRejectedEvenWithTheRightCa()
    {
        using var ca = CreateCa("Harbor Test CA");
        using var leaf = CreateLeaf(ca);

        Assert.False(TlsValidation.IsTrusted(leaf, null,
            SslPolicyErrors.RemoteCertificateChainErrors | SslPolicyErrors.RemoteCertificateNameMismatch, [ca]));
    }

    [Fact]
    public void LoadCaFile_PemFile_ReadsTheCertificate()
    {
        using var ca = CreateCa("Harbor Test CA");
        var path = Path.Combine(Path.GetTempPath(), $"hb-ca-{Guid.NewGuid():N}.pem");
        File.WriteAllText(path, ca.ExportCertificatePem());
        try
        {
            Assert.Equal(ca.Thumbprint, Assert.Single(TlsValidation.LoadCaFile(path)).Thumbprint);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void PrimaryHandler_KeepsNoCookies()
    {
        using var handler = PrimaryHandlers.Create(new HarborOptions { Url = "https://harbor.test" });

        Assert.False(handler.UseCookies);
        Assert.Null(handler.SslOptions.RemoteCertificateValidationCallback);
    }

    [Fact]
    public void PrimaryHandler_SkipVerifyOnlyWhenAskedFor()
    {
        using var handler = PrimaryHandlers.Create(new HarborOptions { Url = "https://harbor.test", InsecureSkipTlsVerify = true });

        Assert.NotNull(handler.SslOptions.RemoteCertificateValidationCallback);
    }
}

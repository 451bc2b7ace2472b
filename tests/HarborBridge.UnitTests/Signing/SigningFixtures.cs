using System.Security.Cryptography;
using System.Text;

namespace HarborBridge.UnitTests.Signing;

/// <summary>Opens the files under fixtures/signing and decodes PEM the simple way (independently of the code under test).</summary>
internal static class SigningFixtures
{
    public static string PathOf(params string[] parts) =>
        Path.Combine([AppContext.BaseDirectory, "fixtures", "signing", .. parts]);

    public static string Text(params string[] parts) => File.ReadAllText(PathOf(parts));

    public static byte[] Bytes(params string[] parts) => File.ReadAllBytes(PathOf(parts));

    /// <summary>DER bytes inside a single-block PEM file, by stripping the armour lines and base64-decoding.</summary>
    public static byte[] PemBody(string pem)
    {
        var base64 = string.Concat(pem.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("-----", StringComparison.Ordinal)));
        return Convert.FromBase64String(base64);
    }

    public static ECDsa PublicKey(params string[] parts)
    {
        var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(PemBody(Text(parts)), out _);
        return key;
    }

    public static string Sha256Digest(byte[] data) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));

    /// <summary>A signature made with .NET directly (not through the code under test): ECDSA P-256, SHA-256, DER, base64.</summary>
    public static string SignBase64(ECDsa key, byte[] data) =>
        Convert.ToBase64String(key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>A payload written by hand in cosign's format.</summary>
    public static byte[] Payload(string reference, string digest) => Utf8(
        "{\"critical\":{\"identity\":{\"docker-reference\":\"" + reference + "\"},\"image\":{\"docker-manifest-digest\":\"" + digest +
        "\"},\"type\":\"cosign container image signature\"},\"optional\":null}");
}

using System.Security.Cryptography;

namespace HarborBridge.Signing;

/// <summary>ECDSA over SHA-256 with ASN.1 DER signatures, the only form cosign and containers/image accept (.NET defaults to r||s).</summary>
public static class EcdsaSignatures
{
    public static byte[] Sign(ECDsa key, ReadOnlySpan<byte> data) =>
        key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

    public static bool Verify(ECDsa key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        try
        {
            return key.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>Verifies a base64 signature; malformed base64 counts as a failed verification.</summary>
    public static bool VerifyBase64(ECDsa key, ReadOnlySpan<byte> data, string? signatureBase64)
    {
        if (string.IsNullOrEmpty(signatureBase64))
        {
            return false;
        }

        byte[] signature;
        try
        {
            signature = Convert.FromBase64String(signatureBase64);
        }
        catch (FormatException)
        {
            return false;
        }

        return Verify(key, data, signature);
    }
}

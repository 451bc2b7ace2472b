using System.Security.Cryptography;
using System.Text;

namespace HarborBridge.Signing.Keys;

/// <summary>
/// Reads and writes ECDSA P-256 key files in the formats cosign and skopeo use: encrypted cosign keys,
/// plain PKCS#8 (<c>PRIVATE KEY</c>) and SEC1 (<c>EC PRIVATE KEY</c>) PEM, and PKIX <c>PUBLIC KEY</c> PEM.
/// </summary>
public static class SigningKeyFiles
{
    private const string Pkcs8PemType = "PRIVATE KEY";
    private const string Sec1PemType = "EC PRIVATE KEY";
    private const string PublicKeyPemType = "PUBLIC KEY";

    /// <summary>OID of the NIST P-256 curve (prime256v1 / secp256r1).</summary>
    private const string P256Oid = "1.2.840.10045.3.1.7";

    public static ECDsa Generate() => ECDsa.Create(ECCurve.NamedCurves.nistP256);

    /// <summary>
    /// Loads a private key from PEM text. Encrypted cosign keys need <paramref name="password"/> (may be empty);
    /// plain PKCS#8 and SEC1 PEM ignore it.
    /// </summary>
    public static ECDsa LoadPrivateKey(string pemText, ReadOnlySpan<byte> password)
    {
        var (type, body) = ReadSinglePem(pemText);
        if (CosignEncryptedKey.IsEncryptedPemType(type))
        {
            var plaintext = CosignEncryptedKey.Decrypt(body, password);
            try
            {
                return ImportPkcs8(plaintext, encrypted: true);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(plaintext);
            }
        }

        return type switch
        {
            Pkcs8PemType => ImportPkcs8(body, encrypted: false),
            Sec1PemType => ImportSec1(body),
            PublicKeyPemType => throw new KeyFileException(
                KeyFileError.UnsupportedPemType,
                "This is a public key ('PUBLIC KEY'); signing needs the private key file."),
            _ => throw new KeyFileException(
                KeyFileError.UnsupportedPemType,
                $"Unsupported PEM type '{type}'; expected '{CosignEncryptedKey.SigstorePemType}', " +
                $"'{CosignEncryptedKey.CosignPemType}', '{Pkcs8PemType}' or '{Sec1PemType}'."),
        };
    }

    public static ECDsa LoadPrivateKey(string pemText, string password) =>
        LoadPrivateKey(pemText, Encoding.UTF8.GetBytes(password));

    /// <summary>Loads a PKIX (<c>PUBLIC KEY</c>) PEM public key.</summary>
    public static ECDsa LoadPublicKey(string pemText)
    {
        var (type, body) = ReadSinglePem(pemText);
        if (type != PublicKeyPemType)
        {
            throw new KeyFileException(
                KeyFileError.UnsupportedPemType,
                $"Expected a '{PublicKeyPemType}' PEM block (PKIX public key), found '{type}'.");
        }

        var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(body, out _);
        }
        catch (CryptographicException ex)
        {
            key.Dispose();
            throw new KeyFileException(KeyFileError.UnsupportedAlgorithm, "The public key is not an ECDSA key (or is corrupt).", ex);
        }

        return RequireP256(key);
    }

    /// <summary>PEM of the encrypted private key, in the format <c>cosign generate-key-pair</c> writes.</summary>
    public static string WriteEncryptedPrivateKey(
        ECDsa key,
        ReadOnlySpan<byte> password,
        string pemType = CosignEncryptedKey.SigstorePemType,
        int scryptN = CosignEncryptedKey.DefaultScryptN)
    {
        var der = key.ExportPkcs8PrivateKey();
        try
        {
            return CosignEncryptedKey.Encrypt(der, password, pemType, scryptN);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(der);
        }
    }

    public static string WritePublicKey(ECDsa key) =>
        new string(PemEncoding.Write(PublicKeyPemType, key.ExportSubjectPublicKeyInfo())) + "\n";

    /// <summary>base64(SHA-256(SubjectPublicKeyInfo DER)): the key hint cosign puts in Sigstore bundles.</summary>
    public static string PublicKeyHint(ECDsa key) =>
        Convert.ToBase64String(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));

    private static (string Type, byte[] Body) ReadSinglePem(string pemText)
    {
        if (!PemEncoding.TryFind(pemText, out var fields))
        {
            throw new KeyFileException(
                KeyFileError.NotPem,
                "No complete PEM block found: the file is truncated or is not a key file.");
        }

        var type = pemText[fields.Label].ToString();
        var body = new byte[fields.DecodedDataLength];
        if (!Convert.TryFromBase64Chars(pemText[fields.Base64Data], body, out var written))
        {
            throw new KeyFileException(KeyFileError.NotPem, $"The PEM block '{type}' does not contain valid base64.");
        }

        return (type, body[..written]);
    }

    private static ECDsa ImportPkcs8(ReadOnlySpan<byte> der, bool encrypted)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportPkcs8PrivateKey(der, out var read);
            if (read != der.Length)
            {
                throw new CryptographicException("trailing data after the PKCS#8 structure");
            }
        }
        catch (CryptographicException ex)
        {
            key.Dispose();
            throw NotPkcs8Error(der, encrypted, ex);
        }

        return RequireP256(key);
    }

    private static KeyFileException NotPkcs8Error(ReadOnlySpan<byte> der, bool encrypted, CryptographicException cause)
    {
        using var probe = ECDsa.Create();
        try
        {
            probe.ImportECPrivateKey(der, out _);
            return new KeyFileException(
                KeyFileError.NotPkcs8,
                encrypted
                    ? "The encrypted key holds a SEC1 ('EC PRIVATE KEY') structure; cosign keys must hold PKCS#8. Re-import the key with 'cosign import-key-pair'."
                    : "The 'PRIVATE KEY' block holds SEC1 data; expected PKCS#8.",
                cause);
        }
        catch (CryptographicException)
        {
            // Not SEC1 either: an RSA, Ed25519 or corrupt key.
        }

        using var rsa = RSA.Create();
        try
        {
            rsa.ImportPkcs8PrivateKey(der, out _);
            return new KeyFileException(KeyFileError.UnsupportedAlgorithm, "The key is an RSA key; only ECDSA P-256 keys are supported.", cause);
        }
        catch (CryptographicException)
        {
            return new KeyFileException(KeyFileError.NotPkcs8, "The private key is not a readable PKCS#8 ECDSA key.", cause);
        }
    }

    private static ECDsa ImportSec1(ReadOnlySpan<byte> der)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportECPrivateKey(der, out _);
        }
        catch (CryptographicException ex)
        {
            key.Dispose();
            throw new KeyFileException(KeyFileError.NotPkcs8, "The 'EC PRIVATE KEY' block is not a readable SEC1 key.", ex);
        }

        return RequireP256(key);
    }

    private static ECDsa RequireP256(ECDsa key)
    {
        var curve = key.ExportParameters(false).Curve;
        if (curve.Oid?.Value != P256Oid)
        {
            var name = curve.Oid?.FriendlyName ?? curve.Oid?.Value ?? "explicit curve";
            key.Dispose();
            throw new KeyFileException(KeyFileError.UnsupportedAlgorithm, $"The key uses curve '{name}'; only ECDSA P-256 is supported.");
        }

        return key;
    }
}

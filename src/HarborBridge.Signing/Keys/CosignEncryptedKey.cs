using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Macs;
using Org.BouncyCastle.Crypto.Parameters;

namespace HarborBridge.Signing.Keys;

/// <summary>
/// cosign's password-protected private key: PEM around JSON naming scrypt (key derivation) and NaCl
/// secretbox (XSalsa20-Poly1305), whose plaintext is the PKCS#8 DER of the private key. The primitives
/// come from BouncyCastle; this class only assembles them the way NaCl's secretbox does.
/// </summary>
public static class CosignEncryptedKey
{
    /// <summary>PEM type cosign writes today.</summary>
    public const string SigstorePemType = "ENCRYPTED SIGSTORE PRIVATE KEY";

    /// <summary>PEM type of older cosign keys and of <c>skopeo generate-sigstore-key</c>.</summary>
    public const string CosignPemType = "ENCRYPTED COSIGN PRIVATE KEY";

    /// <summary>scrypt cost cosign uses for new keys.</summary>
    public const int DefaultScryptN = 65536;

    private const int ScryptR = 8;
    private const int ScryptP = 1;
    private const int KeyLength = 32;
    private const int SaltLength = 32;
    private const int NonceLength = 24;
    private const int TagLength = 16;

    // go-securesystemslib accepts exactly these (N, r, p) when decrypting; anything else is refused
    // before running scrypt, so a hostile file cannot make us allocate gigabytes.
    private static readonly int[] AcceptedN = [32768, 65536, 131072];

    public static bool IsEncryptedPemType(string pemType) => pemType is SigstorePemType or CosignPemType;

    /// <summary>Encrypts PKCS#8 DER and returns the PEM text (64-character lines, trailing newline).</summary>
    public static string Encrypt(
        ReadOnlySpan<byte> pkcs8Der,
        ReadOnlySpan<byte> password,
        string pemType = SigstorePemType,
        int scryptN = DefaultScryptN)
    {
        if (!IsEncryptedPemType(pemType))
        {
            throw new ArgumentException($"PEM type must be '{SigstorePemType}' or '{CosignPemType}'.", nameof(pemType));
        }

        if (!AcceptedN.Contains(scryptN))
        {
            throw new ArgumentOutOfRangeException(nameof(scryptN), scryptN, "cosign only reads scrypt N = 32768, 65536 or 131072.");
        }

        var salt = RandomNumberGenerator.GetBytes(SaltLength);
        var nonce = RandomNumberGenerator.GetBytes(NonceLength);
        var key = SCrypt.Generate(password.ToArray(), salt, scryptN, ScryptR, ScryptP, KeyLength);
        byte[] sealedBox;
        try
        {
            sealedBox = SecretBoxSeal(key, nonce, pkcs8Der);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }

        var json = new JsonObject
        {
            ["kdf"] = new JsonObject
            {
                ["name"] = "scrypt",
                ["params"] = new JsonObject { ["N"] = scryptN, ["r"] = ScryptR, ["p"] = ScryptP },
                ["salt"] = Convert.ToBase64String(salt),
            },
            ["cipher"] = new JsonObject
            {
                ["name"] = "nacl/secretbox",
                ["nonce"] = Convert.ToBase64String(nonce),
            },
            ["ciphertext"] = Convert.ToBase64String(sealedBox),
        };
        var body = JsonSerializer.SerializeToUtf8Bytes(json, SigningJson.Options);
        return new string(PemEncoding.Write(pemType, body)) + "\n";
    }

    /// <summary>Decrypts the JSON body of an encrypted key PEM block and returns the plaintext (PKCS#8 DER for valid keys).</summary>
    public static byte[] Decrypt(ReadOnlySpan<byte> pemBody, ReadOnlySpan<byte> password)
    {
        var envelope = ParseEnvelope(pemBody);
        var key = SCrypt.Generate(password.ToArray(), envelope.Salt, envelope.N, ScryptR, ScryptP, KeyLength);
        try
        {
            return SecretBoxOpen(key, envelope.Nonce, envelope.Ciphertext)
                ?? throw new KeyFileException(
                    KeyFileError.WrongPassword,
                    "Cannot decrypt the private key: wrong password, or the key file was altered.");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private sealed record Envelope(int N, byte[] Salt, byte[] Nonce, byte[] Ciphertext);

    private static Envelope ParseEnvelope(ReadOnlySpan<byte> pemBody)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(pemBody) as JsonObject
                ?? throw Malformed("the encrypted key is not a JSON object");
        }
        catch (JsonException ex)
        {
            throw new KeyFileException(KeyFileError.Malformed, "The encrypted key's content is not valid JSON (truncated or not a cosign key).", ex);
        }

        var kdfName = GetString(root, "kdf", "name");
        var cipherName = GetString(root, "cipher", "name");
        if (kdfName != "scrypt" || cipherName != "nacl/secretbox")
        {
            throw new KeyFileException(
                KeyFileError.UnsupportedEncryption,
                $"Unsupported key encryption '{kdfName}' + '{cipherName}'; cosign keys use scrypt + nacl/secretbox.");
        }

        var parameters = root["kdf"]?["params"] as JsonObject ?? throw Malformed("kdf.params is missing");
        var n = GetInt(parameters, "N");
        var r = GetInt(parameters, "r");
        var p = GetInt(parameters, "p");
        if (!AcceptedN.Contains(n) || r != ScryptR || p != ScryptP)
        {
            throw new KeyFileException(
                KeyFileError.UnsupportedEncryption,
                $"Unsupported scrypt parameters N={n} r={r} p={p}; cosign accepts N in {{32768, 65536, 131072}} with r=8 p=1.");
        }

        var salt = GetBase64(root, "kdf", "salt");
        var nonce = GetBase64(root, "cipher", "nonce");
        var ciphertext = GetBase64(root, null, "ciphertext");
        if (nonce.Length != NonceLength)
        {
            throw Malformed($"cipher.nonce must be {NonceLength} bytes, found {nonce.Length}");
        }

        if (ciphertext.Length <= TagLength)
        {
            throw Malformed("the ciphertext is too short (truncated key file)");
        }

        return new Envelope(n, salt, nonce, ciphertext);
    }

    private static string GetString(JsonObject root, string section, string name)
    {
        try
        {
            return root[section]?[name]?.GetValue<string>() ?? throw Malformed($"{section}.{name} is missing");
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException)
        {
            throw Malformed($"{section}.{name} is not a string");
        }
    }

    private static int GetInt(JsonObject parameters, string name)
    {
        try
        {
            return parameters[name]?.GetValue<int>() ?? throw Malformed($"kdf.params.{name} is missing");
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException)
        {
            throw Malformed($"kdf.params.{name} is not an integer");
        }
    }

    private static byte[] GetBase64(JsonObject root, string? section, string name)
    {
        var node = section is null ? root[name] : root[section]?[name];
        var label = section is null ? name : $"{section}.{name}";
        try
        {
            var text = node?.GetValue<string>() ?? throw Malformed($"{label} is missing");
            return Convert.FromBase64String(text);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException)
        {
            throw Malformed($"{label} is not valid base64");
        }
    }

    private static KeyFileException Malformed(string detail) =>
        new(KeyFileError.Malformed, $"The encrypted cosign key is malformed: {detail}.");

    // NaCl secretbox: the first 32 bytes of the XSalsa20 key stream key a one-time Poly1305 MAC,
    // the rest of the stream encrypts; the 16-byte tag precedes the ciphertext.
    private static byte[] SecretBoxSeal(byte[] key, byte[] nonce, ReadOnlySpan<byte> plaintext)
    {
        var cipher = NewStream(key, nonce, out var macKey);
        var output = new byte[TagLength + plaintext.Length];
        cipher.ProcessBytes(plaintext, output.AsSpan(TagLength));
        ComputeTag(macKey, output.AsSpan(TagLength), output.AsSpan(0, TagLength));
        CryptographicOperations.ZeroMemory(macKey);
        return output;
    }

    private static byte[]? SecretBoxOpen(byte[] key, byte[] nonce, byte[] box)
    {
        var cipher = NewStream(key, nonce, out var macKey);
        Span<byte> expected = stackalloc byte[TagLength];
        ComputeTag(macKey, box.AsSpan(TagLength), expected);
        CryptographicOperations.ZeroMemory(macKey);
        if (!CryptographicOperations.FixedTimeEquals(expected, box.AsSpan(0, TagLength)))
        {
            return null;
        }

        var plaintext = new byte[box.Length - TagLength];
        cipher.ProcessBytes(box.AsSpan(TagLength), plaintext);
        return plaintext;
    }

    private static XSalsa20Engine NewStream(byte[] key, byte[] nonce, out byte[] macKey)
    {
        var engine = new XSalsa20Engine();
        engine.Init(true, new ParametersWithIV(new KeyParameter(key), nonce));
        macKey = new byte[32];
        engine.ProcessBytes(new byte[32], macKey);
        return engine;
    }

    private static void ComputeTag(byte[] macKey, ReadOnlySpan<byte> message, Span<byte> tag)
    {
        var mac = new Poly1305();
        mac.Init(new KeyParameter(macKey));
        mac.BlockUpdate(message);
        mac.DoFinal(tag);
    }
}

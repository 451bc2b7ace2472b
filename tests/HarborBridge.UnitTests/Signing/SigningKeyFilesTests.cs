using System.Security.Cryptography;
using System.Text;
using HarborBridge.Signing.Keys;
using static HarborBridge.UnitTests.Signing.SigningFixtures;

namespace HarborBridge.UnitTests.Signing;

public sealed class SigningKeyFilesTests
{
    [Theory]
    [InlineData("cosign/keys/sigstore-label_pw-hello.key", "hello")]
    [InlineData("cosign/keys/cosign-label_pw-hello.key", "hello")]
    [InlineData("sigstore-rs/keys/ecdsa_encrypted_private_pw-123.key", "123")]
    [InlineData("sigstore-rs/keys/cosign_generated_encrypted_pw-empty.key", "")]
    public void LoadPrivateKey_CosignFixtureWithItsPassword_YieldsTheKeyOfTheMatchingPub(string file, string password)
    {
        using var key = SigningKeyFiles.LoadPrivateKey(Text(file.Split('/')), password);

        var expectedSpki = PemBody(Text(Path.ChangeExtension(file, ".pub").Split('/')));
        Assert.Equal(expectedSpki, key.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public void LoadPrivateKey_FixtureKeySigns_SignatureVerifiesWithThePubFile()
    {
        using var key = SigningKeyFiles.LoadPrivateKey(Text("cosign", "keys", "sigstore-label_pw-hello.key"), "hello");
        using var pub = PublicKey("cosign", "keys", "sigstore-label_pw-hello.pub");
        var data = Utf8("payload");

        var signature = key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

        Assert.True(pub.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
    }

    [Theory]
    [InlineData("cosign/keys/sigstore-label_pw-hello.key", "hello!")]
    [InlineData("cosign/keys/cosign-label_pw-hello.key", "")]
    [InlineData("sigstore-rs/keys/cosign_generated_encrypted_pw-empty.key", "123")]
    public void LoadPrivateKey_WrongPassword_ThrowsWrongPassword(string file, string password)
    {
        var ex = Assert.Throws<KeyFileException>(() => SigningKeyFiles.LoadPrivateKey(Text(file.Split('/')), password));

        Assert.Equal(KeyFileError.WrongPassword, ex.Error);
        Assert.Contains("wrong password", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadPrivateKey_Sec1InsideEncryptedKey_ThrowsNotPkcs8()
    {
        var ex = Assert.Throws<KeyFileException>(() =>
            SigningKeyFiles.LoadPrivateKey(Text("cosign", "keys", "cosign-label_pw-hello_SEC1-inside_NEGATIVE.key"), "hello"));

        Assert.Equal(KeyFileError.NotPkcs8, ex.Error);
        Assert.Contains("SEC1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadPrivateKey_FileCutInHalf_ThrowsNotPem()
    {
        var text = Text("cosign", "keys", "sigstore-label_pw-hello.key");

        var ex = Assert.Throws<KeyFileException>(() => SigningKeyFiles.LoadPrivateKey(text[..(text.Length / 2)], "hello"));

        Assert.Equal(KeyFileError.NotPem, ex.Error);
    }

    [Fact]
    public void LoadPrivateKey_JsonBodyCutShort_ThrowsMalformed()
    {
        var body = PemBody(Text("cosign", "keys", "sigstore-label_pw-hello.key"));
        var pem = PemOf("ENCRYPTED SIGSTORE PRIVATE KEY", body[..(body.Length - 40)]);

        var ex = Assert.Throws<KeyFileException>(() => SigningKeyFiles.LoadPrivateKey(pem, "hello"));

        Assert.Equal(KeyFileError.Malformed, ex.Error);
    }

    [Fact]
    public void LoadPrivateKey_ScryptCostCosignRefuses_ThrowsUnsupportedEncryption()
    {
        var json = Encoding.UTF8.GetString(PemBody(Text("cosign", "keys", "sigstore-label_pw-hello.key")))
            .Replace("\"N\":32768", "\"N\":1048576", StringComparison.Ordinal);
        var pem = PemOf("ENCRYPTED SIGSTORE PRIVATE KEY", Encoding.UTF8.GetBytes(json));

        var ex = Assert.Throws<KeyFileException>(() => SigningKeyFiles.LoadPrivateKey(pem, "hello"));

        Assert.Equal(KeyFileError.UnsupportedEncryption, ex.Error);
        Assert.Contains("N=1048576", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadPrivateKey_CiphertextAltered_ThrowsWrongPassword()
    {
        var json = Encoding.UTF8.GetString(PemBody(Text("cosign", "keys", "sigstore-label_pw-hello.key")))
            .Replace("\"ciphertext\":\"2", "\"ciphertext\":\"3", StringComparison.Ordinal);
        var pem = PemOf("ENCRYPTED SIGSTORE PRIVATE KEY", Encoding.UTF8.GetBytes(json));

        var ex = Assert.Throws<KeyFileException>(() => SigningKeyFiles.LoadPrivateKey(pem, "hello"));

        Assert.Equal(KeyFileError.WrongPassword, ex.Error);
    }

    [Theory]
    [InlineData("containers-image/fulcio_v1.crt.pem", KeyFileError.UnsupportedPemType)]
    [InlineData("containers-image/cosign.pub", KeyFileError.UnsupportedPemType)]
    [InlineData("containers-image/dir-img-cosign-valid/payload.json", KeyFileError.NotPem)]
    public void LoadPrivateKey_ForeignFile_ThrowsTypedError(string file, KeyFileError expected)
    {
        var ex = Assert.Throws<KeyFileException>(() => SigningKeyFiles.LoadPrivateKey(Text(file.Split('/')), "hello"));

        Assert.Equal(expected, ex.Error);
    }

    [Fact]
    public void LoadPrivateKey_PlainPkcs8AndSec1Pem_BothLoadTheSameKey()
    {
        using var original = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        using var fromPkcs8 = SigningKeyFiles.LoadPrivateKey(original.ExportPkcs8PrivateKeyPem(), string.Empty);
        using var fromSec1 = SigningKeyFiles.LoadPrivateKey(original.ExportECPrivateKeyPem(), string.Empty);

        Assert.Equal(original.ExportSubjectPublicKeyInfo(), fromPkcs8.ExportSubjectPublicKeyInfo());
        Assert.Equal(original.ExportSubjectPublicKeyInfo(), fromSec1.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public void LoadPrivateKey_P384Key_ThrowsUnsupportedAlgorithm()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);

        var ex = Assert.Throws<KeyFileException>(() => SigningKeyFiles.LoadPrivateKey(p384.ExportPkcs8PrivateKeyPem(), string.Empty));

        Assert.Equal(KeyFileError.UnsupportedAlgorithm, ex.Error);
    }

    [Fact]
    public void LoadPrivateKey_RsaKey_ThrowsUnsupportedAlgorithm()
    {
        using var rsa = RSA.Create(2048);

        var ex = Assert.Throws<KeyFileException>(() => SigningKeyFiles.LoadPrivateKey(rsa.ExportPkcs8PrivateKeyPem(), string.Empty));

        Assert.Equal(KeyFileError.UnsupportedAlgorithm, ex.Error);
    }

    [Theory]
    [InlineData("pässwörd")]
    [InlineData("")]
    public void WriteEncryptedPrivateKey_ReadBack_SameKey(string password)
    {
        using var original = SigningKeyFiles.Generate();

        var pem = SigningKeyFiles.WriteEncryptedPrivateKey(original, Encoding.UTF8.GetBytes(password), scryptN: 32768);
        using var loaded = SigningKeyFiles.LoadPrivateKey(pem, password);

        Assert.Equal(original.ExportSubjectPublicKeyInfo(), loaded.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public void WriteEncryptedPrivateKey_Defaults_CosignFormatWithScrypt65536AndPkcs8Inside()
    {
        using var key = SigningKeyFiles.Generate();

        var pem = SigningKeyFiles.WriteEncryptedPrivateKey(key, "pw"u8);

        var lines = pem.Split('\n');
        Assert.Equal("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----", lines[0]);
        Assert.All(lines[1..^3], l => Assert.Equal(64, l.Length));
        using var json = System.Text.Json.JsonDocument.Parse(PemBody(pem));
        var root = json.RootElement;
        Assert.Equal("scrypt", root.GetProperty("kdf").GetProperty("name").GetString());
        Assert.Equal(65536, root.GetProperty("kdf").GetProperty("params").GetProperty("N").GetInt32());
        Assert.Equal(8, root.GetProperty("kdf").GetProperty("params").GetProperty("r").GetInt32());
        Assert.Equal(1, root.GetProperty("kdf").GetProperty("params").GetProperty("p").GetInt32());
        Assert.Equal(32, Convert.FromBase64String(root.GetProperty("kdf").GetProperty("salt").GetString()!).Length);
        Assert.Equal("nacl/secretbox", root.GetProperty("cipher").GetProperty("name").GetString());
        Assert.Equal(24, Convert.FromBase64String(root.GetProperty("cipher").GetProperty("nonce").GetString()!).Length);
        // 16-byte Poly1305 tag + the PKCS#8 DER of a P-256 key.
        var ciphertext = Convert.FromBase64String(root.GetProperty("ciphertext").GetString()!);
        Assert.Equal(16 + key.ExportPkcs8PrivateKey().Length, ciphertext.Length);
    }

    [Fact]
    public void WritePublicKey_LoadPublicKey_RoundTripsAndMatchesSpki()
    {
        using var key = SigningKeyFiles.Generate();

        var pem = SigningKeyFiles.WritePublicKey(key);
        using var loaded = SigningKeyFiles.LoadPublicKey(pem);

        Assert.StartsWith("-----BEGIN PUBLIC KEY-----\n", pem, StringComparison.Ordinal);
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), PemBody(pem));
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), loaded.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public void LoadPublicKey_PrivateKeyFile_ThrowsUnsupportedPemType()
    {
        var ex = Assert.Throws<KeyFileException>(() => SigningKeyFiles.LoadPublicKey(Text("cosign", "keys", "sigstore-label_pw-hello.key")));

        Assert.Equal(KeyFileError.UnsupportedPemType, ex.Error);
    }

    [Fact]
    public void PublicKeyHint_IsBase64OfSha256OfSpki()
    {
        using var key = PublicKey("generated-here", "sigstore-oci-referrer", "bundle-signer.pub");

        // The hint @sigstore/oci's bundle carries for this key.
        Assert.Equal("FttEbcF5oHeRA1wtcguNkZLG3MsD+dmDZSZiKFT/Jcc=", SigningKeyFiles.PublicKeyHint(key));
    }

    private static string PemOf(string label, byte[] body) => new(PemEncoding.Write(label, body));
}

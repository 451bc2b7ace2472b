namespace HarborBridge.Signing.Keys;

/// <summary>Why a key file could not be used. Each value has a message a user can act on.</summary>
public enum KeyFileError
{
    /// <summary>No PEM block, or a PEM block whose body is cut short or not base64.</summary>
    NotPem,

    /// <summary>A PEM block of a type this code does not read (certificate, RSA key, ...).</summary>
    UnsupportedPemType,

    /// <summary>The encrypted key's JSON is malformed or lacks a field.</summary>
    Malformed,

    /// <summary>KDF or cipher other than scrypt + nacl/secretbox, or scrypt parameters cosign refuses.</summary>
    UnsupportedEncryption,

    /// <summary>Decryption failed: wrong password, or the ciphertext was altered.</summary>
    WrongPassword,

    /// <summary>The decrypted or plain key is not PKCS#8 where cosign demands PKCS#8 (e.g. SEC1 inside an encrypted key).</summary>
    NotPkcs8,

    /// <summary>The key is not an ECDSA P-256 key.</summary>
    UnsupportedAlgorithm,
}

/// <summary>A key file could not be read or written; <see cref="Error"/> says why.</summary>
public sealed class KeyFileException : Exception
{
    public KeyFileException(KeyFileError error, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
    }

    public KeyFileError Error { get; }
}

namespace HarborBridge.Signing.Keyless;

/// <summary>Keyless signing failed (identity token, Fulcio or Rekor); the message is a sentence for the user and never
/// contains the identity token or URL credentials.</summary>
public sealed class KeylessException : Exception
{
    public KeylessException(string message)
        : base(message)
    {
    }

    public KeylessException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

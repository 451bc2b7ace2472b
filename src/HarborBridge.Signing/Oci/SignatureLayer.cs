namespace HarborBridge.Signing.Oci;

/// <summary>
/// One layer of a <c>.sig</c> or <c>.att</c> manifest together with its blob: the unit cosign calls a signature.
/// <paramref name="DeclaredDigest"/> is the descriptor's digest, checked against the blob when present.
/// </summary>
public sealed record SignatureLayer(
    string MediaType,
    byte[] Blob,
    IReadOnlyDictionary<string, string> Annotations,
    string? DeclaredDigest = null)
{
    public string? Signature => Annotations.GetValueOrDefault(CosignMediaTypes.SignatureAnnotation);
}

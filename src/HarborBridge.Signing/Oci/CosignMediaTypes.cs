namespace HarborBridge.Signing.Oci;

/// <summary>Media types, annotation keys and predicate types that cosign-compatible tools look for.</summary>
public static class CosignMediaTypes
{
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string OciEmpty = "application/vnd.oci.empty.v1+json";

    /// <summary>Layer of a legacy <c>.sig</c> manifest: the simple-signing payload.</summary>
    public const string SimpleSigning = "application/vnd.dev.cosign.simplesigning.v1+json";

    /// <summary>Layer of a legacy <c>.att</c> manifest: a DSSE envelope.</summary>
    public const string DsseEnvelope = "application/vnd.dsse.envelope.v1+json";

    public const string SigstoreBundleV03 = "application/vnd.dev.sigstore.bundle.v0.3+json";

    public const string SignatureAnnotation = "dev.cosignproject.cosign/signature";
    public const string PredicateTypeAnnotation = "predicateType";

    /// <summary>cosign refuses <c>.sig</c>/<c>.att</c> manifests with more layers than this.</summary>
    public const int MaxLayers = 1000;
}

using System.Security.Cryptography;
using HarborBridge.Core.Policy;
using HarborBridge.Harbor.Oci;
using HarborBridge.Signing.Bundles;
using HarborBridge.Signing.Dsse;
using HarborBridge.Signing.Keys;
using HarborBridge.Signing.Oci;
using HarborBridge.Signing.Transparency;
using HarborBridge.Signing.Verification;

namespace HarborBridge.Signing.Registry;

/// <summary>
/// Verifies what is already attached to an image with the signers a trust policy names (verify before co-signing): the
/// <c>.sig</c> layers (key: <see cref="SimpleSigningVerifier"/>; keyless: <see cref="KeylessSignatureVerifier"/>), the
/// <c>.att</c> layers (key: <see cref="AttestationVerifier"/>; keyless: <see cref="KeylessAttestationLayer"/>) and the Sigstore bundle referrers (key:
/// <see cref="SigstoreBundle"/>; keyless: <see cref="KeylessBundleVerifier"/>). Keyless items are verified against the
/// trusted root without an identity, and the identity found is returned for the policy to judge (exact or regex).
/// Bundles whose statement is cosign's signature predicate count as signatures, every other bundle as an attestation.
/// The signed payload's <c>docker-reference</c> is not compared: upstream images are often signed under another name
/// before they are copied into Harbor; the digest binding is what counts.
/// </summary>
public sealed class UpstreamSignatureVerifier(IOciRegistryClient registry, TimeProvider time)
{
    public async Task<UpstreamEvidence> CollectAsync(OciRepository repository, string digest, RequireRules rules, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var keys = new List<(string Path, ECDsa Key)>();
        var trusts = new List<(string Path, KeylessTrust Trust)>();
        try
        {
            foreach (var path in rules.Signers.Select(s => s.Key).OfType<string>().Distinct(StringComparer.Ordinal))
            {
                keys.Add((path, LoadKey(path)));
            }

            foreach (var path in rules.Signers.Select(s => s.Keyless?.TrustedRoot).OfType<string>().Distinct(StringComparer.Ordinal))
            {
                trusts.Add((path, LoadTrust(path)));
            }

            var attached = await new RegistrySignatureVerifier(registry).ReadAttachedAsync(repository, digest, cancellationToken);
            var verified = new List<UpstreamItem>();
            var rejected = new List<string>();
            Signatures(digest, attached.Signatures, keys, trusts, verified, rejected);
            Attestations(digest, attached.Attestations, keys, trusts, verified, rejected);
            Bundles(digest, attached.Bundles, keys, trusts, verified, rejected);
            return new UpstreamEvidence(verified, rejected);
        }
        catch (RequirementSetupException e)
        {
            return UpstreamEvidence.Unavailable(e.Message);
        }
        finally
        {
            foreach (var (_, key) in keys)
            {
                key.Dispose();
            }
        }
    }

    private static void Signatures(string digest, IReadOnlyList<SignatureLayer> layers, List<(string Path, ECDsa Key)> keys,
        List<(string Path, KeylessTrust Trust)> trusts, List<UpstreamItem> verified, List<string> rejected)
    {
        var problems = new Dictionary<int, List<string>>();
        var ok = new HashSet<int>();
        foreach (var (path, key) in keys)
        {
            var result = SimpleSigningVerifier.Verify(digest, null, [key], layers);
            foreach (var v in result.Verified)
            {
                ok.Add(v.LayerIndex);
                verified.Add(new UpstreamItem($".sig layer {v.LayerIndex}", path, null, null, null, null, null));
            }

            AddProblems(problems, result.Rejected.Where(r => !IsKeyless(layers[r.LayerIndex])).Select(r => (r.LayerIndex, $"{r.Message} (key {path})")));
        }

        foreach (var (path, trust) in trusts)
        {
            var result = KeylessSignatureVerifier.Verify(digest, null, KeylessPolicy.AnyIdentity(trust), layers);
            foreach (var v in result.Verified.Where(v => v.Signer is not null))
            {
                ok.Add(v.LayerIndex);
                verified.Add(new UpstreamItem($".sig layer {v.LayerIndex}", null, path, v.Signer!.Issuer, v.Signer.Subject, null, null));
            }

            AddProblems(problems, result.Rejected.Where(r => IsKeyless(layers[r.LayerIndex])).Select(r => (r.LayerIndex, $"{r.Message} (trusted root {path})")));
        }

        Reject(rejected, ".sig layer", layers.Count, ok, problems, i => NoSignerFor(IsKeyless(layers[i])));
    }

    private void Attestations(string digest, IReadOnlyList<SignatureLayer> layers, List<(string Path, ECDsa Key)> keys,
        List<(string Path, KeylessTrust Trust)> trusts, List<UpstreamItem> verified, List<string> rejected)
    {
        var problems = new Dictionary<int, List<string>>();
        var ok = new HashSet<int>();
        foreach (var (path, key) in keys)
        {
            var (accepted, failed) = AttestationVerifier.Verify(digest, [key], layers);
            foreach (var a in accepted)
            {
                ok.Add(a.LayerIndex);
                verified.Add(new UpstreamItem($".att layer {a.LayerIndex}", path, null, null, null, a.PredicateType, a.Statement));
            }

            AddProblems(problems, failed.Where(r => !IsKeyless(layers[r.LayerIndex])).Select(r => (r.LayerIndex, $"{r.Message} (key {path})")));
        }

        foreach (var (path, trust) in trusts)
        {
            for (var i = 0; i < layers.Count; i++)
            {
                if (!IsKeyless(layers[i]))
                {
                    continue;
                }

                var result = KeylessAttestationLayer.Verify(layers[i], digest, KeylessPolicy.AnyIdentity(trust), time);
                if (result.IsVerified && result.Signer is { } signer && result.PredicateType is { } predicateType)
                {
                    ok.Add(i);
                    verified.Add(new UpstreamItem($".att layer {i}", null, path, signer.Issuer, signer.Subject, predicateType, result.Payload));
                }
                else
                {
                    AddProblems(problems, [(i, $"{result.FailureReason ?? "not an attestation"} (trusted root {path})")]);
                }
            }
        }

        Reject(rejected, ".att layer", layers.Count, ok, problems, i => NoSignerFor(IsKeyless(layers[i])));
    }

    private void Bundles(string digest, IReadOnlyList<(string ManifestDigest, byte[]? Bundle)> bundles, List<(string Path, ECDsa Key)> keys,
        List<(string Path, KeylessTrust Trust)> trusts, List<UpstreamItem> verified, List<string> rejected)
    {
        foreach (var (manifest, blob) in bundles)
        {
            var location = $"bundle referrer {manifest}";
            if (blob is null)
            {
                rejected.Add($"{location}: the referrer has no readable bundle layer");
                continue;
            }

            bool keyBased;
            try
            {
                keyBased = SigstoreBundleDocument.Parse(blob).IsKeyBased;
            }
            catch (BundleFormatException e)
            {
                rejected.Add($"{location}: {e.Message}");
                continue;
            }

            var problems = new List<string>();
            var found = false;
            if (keyBased)
            {
                foreach (var (path, key) in keys)
                {
                    var result = SigstoreBundle.Verify(blob, digest, [key]);
                    if (result.IsVerified)
                    {
                        found = true;
                        verified.Add(new UpstreamItem(location, path, null, null, null, AttestationType(result.PredicateType), result.Statement));
                    }
                    else
                    {
                        problems.Add($"{result.FailureReason} (key {path})");
                    }
                }
            }
            else
            {
                foreach (var (path, trust) in trusts)
                {
                    var result = KeylessBundleVerifier.Verify(blob, null, digest, KeylessPolicy.AnyIdentity(trust), time);
                    if (result.IsVerified && result.Signer is { } signer)
                    {
                        found = true;
                        verified.Add(new UpstreamItem(location, null, path, signer.Issuer, signer.Subject, AttestationType(result.PredicateType), result.Payload));
                    }
                    else
                    {
                        problems.Add($"{result.FailureReason} (trusted root {path})");
                    }
                }
            }

            if (!found)
            {
                rejected.Add($"{location}: " + (problems.Count > 0
                    ? string.Join("; ", problems.Distinct(StringComparer.Ordinal))
                    : NoSignerFor(keyless: !keyBased)));
            }
        }
    }

    // cosign v3 signs an image as a statement with its own predicate type: that is a signature, not an attestation.
    private static string? AttestationType(string? predicateType) => predicateType == Predicates.CosignSignV1 ? null : predicateType;

    /// <summary>Why an item that no named signer tried was rejected.</summary>
    private static string NoSignerFor(bool keyless) =>
        keyless ? "keyless, and the policy names no keyless signer" : "key-signed, and the policy names no key";

    private static bool IsKeyless(SignatureLayer layer) => layer.Annotations.ContainsKey(KeylessSignatureVerifier.CertificateAnnotation);

    private static void AddProblems(Dictionary<int, List<string>> problems, IEnumerable<(int Index, string Message)> found)
    {
        foreach (var (index, message) in found)
        {
            (problems.TryGetValue(index, out var list) ? list : problems[index] = []).Add(message);
        }
    }

    private static void Reject(List<string> rejected, string what, int count, HashSet<int> ok, Dictionary<int, List<string>> problems, Func<int, string> noSigner)
    {
        for (var i = 0; i < count; i++)
        {
            if (!ok.Contains(i))
            {
                rejected.Add($"{what} {i}: " + (problems.TryGetValue(i, out var list) ? string.Join("; ", list.Distinct(StringComparer.Ordinal)) : noSigner(i)));
            }
        }
    }

    private static ECDsa LoadKey(string path)
    {
        try
        {
            return SigningKeyFiles.LoadPublicKey(File.ReadAllText(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or KeyFileException)
        {
            throw new RequirementSetupException($"the policy's key file {path} cannot be used: {e.Message}");
        }
    }

    private static KeylessTrust LoadTrust(string path)
    {
        try
        {
            return KeylessTrust.FromTrustedRoot(File.ReadAllBytes(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or TrustedRootException)
        {
            throw new RequirementSetupException($"the policy's trusted root {path} cannot be used: {e.Message}");
        }
    }

    private sealed class RequirementSetupException(string message) : Exception(message);
}

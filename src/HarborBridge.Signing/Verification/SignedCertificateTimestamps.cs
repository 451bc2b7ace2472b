using System.Buffers.Binary;
using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using HarborBridge.Signing.Transparency;

namespace HarborBridge.Signing.Verification;

/// <summary>
/// Checks the SCTs (signed certificate timestamps, RFC 6962 §3.3) that Fulcio embeds in its certificates: at least one
/// must be signed by a trusted CT log (chosen by log ID) whose <c>validFor</c> covers the SCT's time. The signed data is the
/// precertificate entry: the leaf's TBSCertificate without the SCT list extension, bound to the issuer by SHA-256 of the
/// issuer's SubjectPublicKeyInfo. SCT extensions (used by static CT logs) are signed as they are.
/// </summary>
public static class SignedCertificateTimestamps
{
    public const string ExtensionOid = "1.3.6.1.4.1.11129.2.4.2";

    /// <summary>Null when an embedded SCT verifies, else the problem.</summary>
    public static string? Verify(X509Certificate2 leaf, X509Certificate2 issuer, IReadOnlyList<TransparencyLogKey> ctLogs)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        ArgumentNullException.ThrowIfNull(issuer);
        ArgumentNullException.ThrowIfNull(ctLogs);
        if (leaf.Extensions[ExtensionOid] is not { } extension)
        {
            return "the certificate has no embedded SCT (certificate transparency proof)";
        }

        List<Sct> scts;
        byte[] tbs;
        try
        {
            scts = ReadList(new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadOctetString());
            tbs = TbsWithoutScts(leaf.RawData);
        }
        catch (Exception e) when (e is AsnContentException or ArgumentOutOfRangeException or IndexOutOfRangeException or FormatException)
        {
            return "the certificate's SCT list is malformed";
        }

        var issuerKeyHash = SHA256.HashData(issuer.PublicKey.ExportSubjectPublicKeyInfo());
        foreach (var sct in scts)
        {
            var time = DateTimeOffset.FromUnixTimeMilliseconds(sct.Timestamp);
            var logs = ctLogs.Where(l => l.LogId == Convert.ToHexStringLower(sct.LogId) && l.CoversTime(time)).ToList();
            var signed = SignedData(sct, issuerKeyHash, tbs);
            if (sct.HashAlgorithm == 4 && logs.Any(l => l.VerifySignature(signed, sct.Signature)))
            {
                return null;
            }
        }

        return scts.Count == 0
            ? "the certificate's SCT list is empty"
            : "no SCT of the certificate is signed by a trusted CT log valid at its time";
    }

    private sealed record Sct(byte[] LogId, long Timestamp, byte[] Extensions, byte HashAlgorithm, byte[] Signature);

    // TLS encoding: uint16 list length, then per SCT uint16 length + version(1) log_id(32) timestamp(8) extensions(uint16 + bytes)
    // + digitally-signed: hash(1) signature algorithm(1) signature(uint16 + bytes).
    private static List<Sct> ReadList(byte[] list)
    {
        var span = list.AsSpan();
        var total = BinaryPrimitives.ReadUInt16BigEndian(span);
        if (total != span.Length - 2)
        {
            throw new FormatException("SCT list length");
        }

        var result = new List<Sct>();
        var rest = span[2..];
        while (rest.Length > 0)
        {
            var length = BinaryPrimitives.ReadUInt16BigEndian(rest);
            var sct = rest.Slice(2, length);
            rest = rest[(2 + length)..];
            if (sct[0] != 0)
            {
                continue;
            }

            var extensionsLength = BinaryPrimitives.ReadUInt16BigEndian(sct[41..]);
            var afterExtensions = sct[(43 + extensionsLength)..];
            var signatureLength = BinaryPrimitives.ReadUInt16BigEndian(afterExtensions[2..]);
            result.Add(new Sct(
                sct.Slice(1, 32).ToArray(),
                BinaryPrimitives.ReadInt64BigEndian(sct[33..]),
                sct.Slice(43, extensionsLength).ToArray(),
                afterExtensions[0],
                afterExtensions.Slice(4, signatureLength).ToArray()));
        }

        return result;
    }

    // version 0, signature type certificate_timestamp (0), timestamp, entry type precert_entry (1), issuer key hash,
    // uint24 length + TBS, uint16 length + extensions.
    private static byte[] SignedData(Sct sct, byte[] issuerKeyHash, byte[] tbs)
    {
        var data = new byte[2 + 8 + 2 + 32 + 3 + tbs.Length + 2 + sct.Extensions.Length];
        var span = data.AsSpan();
        BinaryPrimitives.WriteInt64BigEndian(span[2..], sct.Timestamp);
        span[11] = 1;
        issuerKeyHash.CopyTo(span[12..]);
        span[44] = (byte)(tbs.Length >> 16);
        span[45] = (byte)(tbs.Length >> 8);
        span[46] = (byte)tbs.Length;
        tbs.CopyTo(span[47..]);
        BinaryPrimitives.WriteUInt16BigEndian(span[(47 + tbs.Length)..], (ushort)sct.Extensions.Length);
        sct.Extensions.CopyTo(span[(49 + tbs.Length)..]);
        return data;
    }

    // The TBSCertificate re-encoded in DER with the SCT list extension left out (the precertificate the log signed).
    private static byte[] TbsWithoutScts(byte[] certificate)
    {
        var tbs = new AsnReader(certificate, AsnEncodingRules.DER).ReadSequence().ReadSequence();
        var extensionsTag = new Asn1Tag(TagClass.ContextSpecific, 3, isConstructed: true);
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            while (tbs.HasData)
            {
                if (!tbs.PeekTag().HasSameClassAndValue(extensionsTag))
                {
                    writer.WriteEncodedValue(tbs.ReadEncodedValue().Span);
                    continue;
                }

                var extensions = tbs.ReadSequence(extensionsTag).ReadSequence();
                using (writer.PushSequence(extensionsTag))
                using (writer.PushSequence())
                {
                    while (extensions.HasData)
                    {
                        var encoded = extensions.ReadEncodedValue();
                        var oid = new AsnReader(encoded, AsnEncodingRules.DER).ReadSequence().ReadObjectIdentifier();
                        if (oid != ExtensionOid)
                        {
                            writer.WriteEncodedValue(encoded.Span);
                        }
                    }
                }
            }
        }

        return writer.Encode();
    }
}

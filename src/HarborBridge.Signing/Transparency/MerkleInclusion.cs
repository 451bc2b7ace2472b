using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace HarborBridge.Signing.Transparency;

/// <summary>
/// RFC 6962 Merkle audit paths (the algorithm of RFC 9162 §2.1.3.2) and Rekor checkpoints (signed notes). Leaf hash =
/// SHA-256(0x00 || entry), inner node = SHA-256(0x01 || left || right).
/// </summary>
public static class MerkleInclusion
{
    public static byte[] LeafHash(ReadOnlySpan<byte> entry)
    {
        var buffer = new byte[entry.Length + 1];
        entry.CopyTo(buffer.AsSpan(1));
        return SHA256.HashData(buffer);
    }

    /// <summary>True when <paramref name="path"/> leads from the leaf at <paramref name="index"/> to <paramref name="rootHash"/> in a tree of <paramref name="treeSize"/> leaves.</summary>
    public static bool Verify(byte[] leafHash, long index, long treeSize, IReadOnlyList<byte[]> path, byte[] rootHash)
    {
        ArgumentNullException.ThrowIfNull(leafHash);
        ArgumentNullException.ThrowIfNull(path);
        if (index < 0 || index >= treeSize || path.Any(p => p.Length != 32))
        {
            return false;
        }

        var fn = index;
        var sn = treeSize - 1;
        var r = leafHash;
        foreach (var p in path)
        {
            if (sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                r = Node(p, r);
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                r = Node(r, p);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && CryptographicOperations.FixedTimeEquals(r, rootHash);
    }

    /// <summary>
    /// Checks a Rekor checkpoint (<c>origin\nsize\nbase64 root\n[more lines]\n\n— name base64(4-byte key hint || signature)\n</c>):
    /// a signature line by a key whose hint (first 4 bytes of its log ID) matches verifies over the note text (ECDSA for
    /// Rekor v1, Ed25519 for Rekor v2; other lines such as witness cosignatures are ignored), and the note names <paramref name="treeSize"/> and <paramref name="rootHash"/>. Null when it holds, else the problem.
    /// </summary>
    public static string? VerifyCheckpoint(string envelope, long treeSize, byte[] rootHash, IReadOnlyList<TransparencyLogKey> rekorKeys)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(rekorKeys);
        var split = envelope.IndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0)
        {
            return "the checkpoint is not a signed note";
        }

        var text = envelope[..(split + 1)];
        var lines = text.Split('\n');
        if (lines.Length < 4 || lines[0].Length == 0 ||
            !long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size) ||
            !TryBase64(lines[2], out var checkpointRoot) || checkpointRoot.Length != 32)
        {
            return "the checkpoint is malformed (it needs an origin line, the tree size and the base64 root hash)";
        }

        if (size != treeSize || !checkpointRoot.AsSpan().SequenceEqual(rootHash))
        {
            return "the checkpoint names another tree size or root hash than the inclusion proof";
        }

        var signed = Encoding.UTF8.GetBytes(text);
        foreach (var line in envelope[(split + 2)..].Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var space = line.LastIndexOf(' ');
            if (!line.StartsWith("\u2014 ", StringComparison.Ordinal) || space < 2)
            {
                continue;
            }

            if (!TryBase64(line[(space + 1)..], out var blob) || blob.Length <= 4)
            {
                continue;
            }

            // Lines by keys we do not know (witness cosignatures, other logs) are skipped; one by a trusted log suffices.
            var hint = Convert.ToHexStringLower(blob.AsSpan(0, 4));
            if (rekorKeys.Any(k => k.LogId.StartsWith(hint, StringComparison.Ordinal) && k.VerifySignature(signed, blob.AsSpan(4))))
            {
                return null;
            }
        }

        return "the checkpoint is not signed by a trusted Rekor key";
    }

    private static bool TryBase64(string text, out byte[] bytes)
    {
        bytes = new byte[text.Length];
        if (Convert.TryFromBase64String(text, bytes, out var written))
        {
            bytes = bytes[..written];
            return true;
        }

        return false;
    }

    private static byte[] Node(byte[] left, byte[] right)
    {
        var buffer = new byte[65];
        buffer[0] = 1;
        left.CopyTo(buffer, 1);
        right.CopyTo(buffer, 33);
        return SHA256.HashData(buffer);
    }
}

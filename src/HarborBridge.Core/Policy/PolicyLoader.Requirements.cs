using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace HarborBridge.Core.Policy;

/// <summary>The policy's <c>require</c> block (signers, provenance, base images) and its <c>quarantine</c> override.</summary>
public static partial class PolicyLoader
{
    private sealed partial class Reader
    {
        private RequireRules? RequireBlock(YamlNode? node, string path)
        {
            if (IsNull(node))
            {
                return null;
            }

            var map = Mapping(node!, path, RequireKeys);
            var signatures = new List<SignerRequirement>();
            foreach (var (item, itemPath) in Sequence(map.Get("signatures"), path + ".signatures"))
            {
                signatures.Add(Signer(Mapping(item, itemPath, SignerKeys), item, itemPath));
            }

            var attestations = new List<AttestationRequirement>();
            foreach (var (item, itemPath) in Sequence(map.Get("attestations"), path + ".attestations"))
            {
                var entry = Mapping(item, itemPath, AttestationKeys);
                var predicateType = OptionalScalar(entry.Get("predicateType"), itemPath + ".predicateType") is { Length: > 0 } type
                    ? type
                    : throw new PolicyFileException(At(item, itemPath + ".predicateType",
                        $"missing; name the predicate type, e.g. {SlsaProvenance.V1} or {SlsaProvenance.V02}"));
                var builderId = OptionalScalar(entry.Get("builderId"), itemPath + ".builderId");
                var source = OptionalScalar(entry.Get("sourceRepository"), itemPath + ".sourceRepository");
                if ((builderId is not null || source is not null) && !SlsaProvenance.IsProvenance(predicateType))
                {
                    throw new PolicyFileException(At(item, itemPath,
                        $"builderId and sourceRepository apply to SLSA provenance only ({SlsaProvenance.V02} or {SlsaProvenance.V1}), not to {predicateType}"));
                }

                attestations.Add(new AttestationRequirement(predicateType, Signer(entry, item, itemPath), builderId, source));
            }

            if (signatures.Count + attestations.Count == 0)
            {
                throw new PolicyFileException(At(node!, path, "names no signature and no attestation; list at least one, or remove the block"));
            }

            return new RequireRules(Choice(map.Get("action"), path + ".action", RequirementActionWords) ?? RequirementAction.Block, signatures, attestations);
        }

        private static readonly Dictionary<string, RequirementAction> RequirementActionWords = new()
        {
            ["block"] = RequirementAction.Block,
            ["warn"] = RequirementAction.Warn,
        };

        // key: PATH or keyless: { issuer | issuerRegex, subject | subjectRegex, trustedRoot }, exactly one of the two.
        private SignerRequirement Signer(YamlMappingNode map, YamlNode node, string path)
        {
            var key = OptionalScalar(map.Get("key"), path + ".key");
            var keylessNode = map.Get("keyless");
            if ((key is null) == IsNull(keylessNode))
            {
                throw new PolicyFileException(At(node, path, "give exactly one of key (a PEM public key file) and keyless (issuer, subject, trustedRoot)"));
            }

            if (key is not null)
            {
                return key.Length > 0 ? new SignerRequirement(key, null) : throw new PolicyFileException(At(map.Get("key")!, path + ".key", "empty; name a PEM public key file"));
            }

            var keylessPath = path + ".keyless";
            var keyless = Mapping(keylessNode!, keylessPath, KeylessKeys);
            var (issuer, issuerRegex) = ExactOrRegex(keyless, keylessNode!, keylessPath, "issuer");
            var (subject, subjectRegex) = ExactOrRegex(keyless, keylessNode!, keylessPath, "subject");
            var trustedRoot = OptionalScalar(keyless.Get("trustedRoot"), keylessPath + ".trustedRoot") is { Length: > 0 } root
                ? root
                : throw new PolicyFileException(At(keylessNode!, keylessPath + ".trustedRoot",
                    "missing; name the Sigstore trusted root JSON file (Fulcio CAs and Rekor keys) the certificate is checked with"));
            return new SignerRequirement(null, new KeylessIdentity(issuer, issuerRegex, subject, subjectRegex, trustedRoot));
        }

        private (string? Exact, string? Regex) ExactOrRegex(YamlMappingNode map, YamlNode node, string path, string name)
        {
            var exact = OptionalScalar(map.Get(name), $"{path}.{name}");
            var regex = OptionalScalar(map.Get(name + "Regex"), $"{path}.{name}Regex");
            if ((exact is null) == (regex is null))
            {
                throw new PolicyFileException(At(node, $"{path}.{name}", $"give exactly one of {name} (exact) and {name}Regex (a regular expression for the whole value)"));
            }

            if (regex is not null && KeylessIdentity.CheckPattern(regex) is { } problem)
            {
                throw new PolicyFileException(At(map.Get(name + "Regex")!, $"{path}.{name}Regex", $"bad regular expression '{regex}': {problem}"));
            }

            return (exact, regex);
        }

        private Quarantine.QuarantineOverride? QuarantineBlock(YamlNode? node, string path)
        {
            if (IsNull(node))
            {
                return null;
            }

            var map = Mapping(node!, path, QuarantineKeys);
            List<string>? strategies = null;
            if (map.Get("strategies") is { } list && !IsNull(list))
            {
                strategies = [];
                foreach (var (item, itemPath) in Sequence(list, path + ".strategies"))
                {
                    var name = Scalar(item, itemPath).Trim().ToLowerInvariant();
                    if (!Quarantine.QuarantineStrategies.All.Contains(name, StringComparer.Ordinal))
                    {
                        throw new PolicyFileException(At(item, itemPath,
                            $"unknown strategy '{name}' (use {string.Join(", ", Quarantine.QuarantineStrategies.All)})"));
                    }

                    if (strategies.Contains(name, StringComparer.Ordinal))
                    {
                        throw new PolicyFileException(At(item, itemPath, $"strategy '{name}' is listed twice"));
                    }

                    strategies.Add(name);
                }

                if (strategies.Count == 0)
                {
                    throw new PolicyFileException(At(list, path + ".strategies", "the list is empty; name at least one strategy"));
                }
            }

            var label = OptionalScalar(map.Get("label"), path + ".label");
            if (label is not null && !LabelPattern().IsMatch(label))
            {
                throw new PolicyFileException(At(map.Get("label")!, path + ".label",
                    $"'{label}' is not a usable Harbor label name (1-128 letters, digits, '.', '_', '-', ' ')"));
            }

            var project = OptionalScalar(map.Get("project"), path + ".project");
            if (project is not null && !ProjectPattern().IsMatch(project))
            {
                throw new PolicyFileException(At(map.Get("project")!, path + ".project",
                    $"'{project}' is not a Harbor project name (lower-case letters, digits, '.', '_', '-'; 1-255 characters)"));
            }

            return new Quarantine.QuarantineOverride(strategies, label, Choice(map.Get("labelScope"), path + ".labelScope", LabelScopeWords), project);
        }

        private static readonly Dictionary<string, Quarantine.LabelScope> LabelScopeWords = new()
        {
            ["global"] = Quarantine.LabelScope.Global,
            ["project"] = Quarantine.LabelScope.Project,
        };
    }
}

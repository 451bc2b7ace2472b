using System.Text;
using HarborBridge.Contracts;
using HarborBridge.Core.Findings;
using HarborBridge.Core.Policy;

namespace HarborBridge.UnitTests.Policy;

/// <summary>The policy's <c>require</c> block: parsing (with errors naming line and field), scope inheritance, and how the
/// signatures and attestations found decide the verdict.</summary>
public sealed class RequirementTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);
    private static readonly ArtifactRef App = new("team", "app", "sha256:" + new string('a', 64));
    private const string Issuer = "https://token.actions.githubusercontent.com";
    private const string Workflow = "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main";
    private const string Builder = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/tags/v2.1.0";

    private const string Policy = $$"""
        version: 1
        defaults:
          require:
            signatures:
              - key: keys/ci.pub
        projects:
          - match: { project: "team" }
            require:
              action: warn
              signatures:
                - keyless:
                    issuer: {{Issuer}}
                    subjectRegex: "https://github\\.com/acme/.+"
                    trustedRoot: trust/root.json
              attestations:
                - predicateType: https://slsa.dev/provenance/v1
                  keyless:
                    issuer: {{Issuer}}
                    subject: {{Workflow}}
                    trustedRoot: trust/root.json
                  builderId: {{Builder}}
                  sourceRepository: https://github.com/acme/app
          - match: { project: "open" }
            warn: { severity: HIGH }
        """;

    [Fact]
    public void Load_RequireBlocks_ParsedPerScopeAndReplacedNotMerged()
    {
        var policy = PolicyLoader.Load(Policy);

        var defaults = policy.Resolve("other", "x").Rules.Require;
        var team = policy.Resolve("team", "app").Rules.Require;
        var open = policy.Resolve("open", "x").Rules.Require;

        Assert.Equal(RequirementAction.Block, defaults.Action);
        Assert.Equal("keys/ci.pub", Assert.Single(defaults.Signatures).Key);
        Assert.Equal(RequirementAction.Warn, team.Action);
        var keyless = Assert.Single(team.Signatures).Keyless!;
        Assert.Equal((Issuer, null, null, "https://github\\.com/acme/.+"), (keyless.Issuer, keyless.IssuerRegex, keyless.Subject, keyless.SubjectRegex));
        var attestation = Assert.Single(team.Attestations);
        Assert.Equal((SlsaProvenance.V1, Builder, "https://github.com/acme/app"), (attestation.PredicateType, attestation.BuilderId, attestation.SourceRepository));
        // A scope without require inherits the defaults' block.
        Assert.Equal("keys/ci.pub", Assert.Single(open.Signatures).Key);
    }

    [Fact]
    public void WithPathsRelativeTo_MakesKeyAndTrustedRootAbsolute_PolicyVersionUnchanged()
    {
        var policy = PolicyLoader.Load(Policy);

        var resolved = policy.WithPathsRelativeTo("/etc/harborbridge");

        Assert.Equal("/etc/harborbridge/keys/ci.pub", resolved.Resolve("other", "x").Rules.Require.Signatures[0].Key);
        Assert.Equal("/etc/harborbridge/trust/root.json", resolved.Resolve("team", "app").Rules.Require.Attestations[0].Signer.Keyless!.TrustedRoot);
        Assert.Equal(policy.PolicyVersion, resolved.PolicyVersion);
    }

    [Theory]
    [InlineData("require:\n    action: maybe\n    signatures: [{ key: a.pub }]", "line 4, column 13: defaults.require.action: 'maybe' is not one of: block, warn")]
    [InlineData("require:\n    signatures: [{ key: a.pub, keyless: { issuer: i, subject: s, trustedRoot: r } }]",
        "defaults.require.signatures[0]: give exactly one of key (a PEM public key file) and keyless")]
    [InlineData("require:\n    signatures: [{ keyless: { issuer: i, subject: s } }]", "defaults.require.signatures[0].keyless.trustedRoot: missing")]
    [InlineData("require:\n    signatures: [{ keyless: { issuer: i, subject: s, subjectRegex: s, trustedRoot: r } }]",
        "defaults.require.signatures[0].keyless.subject: give exactly one of subject (exact) and subjectRegex")]
    [InlineData("require:\n    signatures: [{ keyless: { issuer: i, subjectRegex: \"(\", trustedRoot: r } }]",
        "defaults.require.signatures[0].keyless.subjectRegex: bad regular expression '('")]
    [InlineData("require:\n    attestations: [{ key: a.pub }]", "defaults.require.attestations[0].predicateType: missing")]
    [InlineData("require:\n    attestations: [{ predicateType: https://spdx.dev/Document, key: a.pub, builderId: b }]",
        "builderId and sourceRepository apply to SLSA provenance only")]
    [InlineData("require:\n    action: warn", "defaults.require: names no signature and no attestation")]
    [InlineData("require:\n    signatures: [{ key: a.pub, kye: b }]", "defaults.require.signatures[0].kye: unknown key")]
    public void Load_BadRequireBlock_ErrorNamesTheField(string block, string expected)
    {
        var e = Assert.Throws<PolicyFileException>(() => PolicyLoader.Load($"version: 1\ndefaults:\n  {block}\n", "p.yaml"));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.StartsWith("p.yaml: line ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_RequiredKeySignatureFound_PassesAndRecordsIt()
    {
        var evidence = new UpstreamEvidence([Signature("keys/ci.pub")], []);

        var decision = Evaluate("other", evidence);

        Assert.Equal(Verdict.Pass, decision.Verdict);
        var result = Assert.Single(decision.Requirements);
        Assert.True(result.Met);
        Assert.Equal(["signature (.sig layer 0) by key keys/ci.pub"], result.Verified);
    }

    [Fact]
    public void Evaluate_SignatureByAnotherKeyOnly_BlocksSayingWhatWasExpectedAndFound()
    {
        var evidence = new UpstreamEvidence([Signature("keys/other.pub")], [".sig layer 1: the signature does not verify (key keys/ci.pub)"]);

        var decision = Evaluate("other", evidence);

        Assert.Equal(Verdict.Block, decision.Verdict);
        Assert.Equal("require.signatures[0]: expected a signature by key keys/ci.pub; found signature (.sig layer 0) by key keys/other.pub; " +
                     ".sig layer 1: the signature does not verify (key keys/ci.pub)", Assert.Single(decision.UnmetRequirements).Explain());
    }

    [Fact]
    public void Evaluate_NothingAttachedOrNotChecked_Blocks()
    {
        Assert.Equal("no signatures or attestations attached", Assert.Single(Evaluate("other", new UpstreamEvidence([], [])).Requirements).Found);
        Assert.Equal("the attached signatures were not checked", Assert.Single(Evaluate("other", null).Requirements).Found);
        Assert.Equal(Verdict.Block, Evaluate("other", null).Verdict);
    }

    [Fact]
    public void Evaluate_KeylessIdentityRegexIsWholeValue_AndWarnActionWarns()
    {
        var right = Keyless(Issuer, "https://github.com/acme/app/.github/workflows/ci.yml@refs/heads/main");
        var lookalike = Keyless(Issuer, "https://github.com/acme-evil/x@refs/heads/main");
        var prefixed = Keyless(Issuer, "evil https://github.com/acme/app");
        var wrongIssuer = Keyless("https://accounts.google.com", "https://github.com/acme/app/.github/workflows/ci.yml@refs/heads/main");

        Assert.True(Evaluate("team", new UpstreamEvidence([right, Provenance(Builder, "git+https://github.com/acme/app@refs/heads/main")], [])).Requirements.All(r => r.Met));
        foreach (var wrong in new[] { lookalike, prefixed, wrongIssuer })
        {
            var decision = Evaluate("team", new UpstreamEvidence([wrong, Provenance(Builder, "https://github.com/acme/app")], []));
            Assert.Equal(Verdict.Warn, decision.Verdict);
            Assert.Equal("require.signatures[0]", Assert.Single(decision.UnmetRequirements).Requirement);
        }
    }

    [Fact]
    public void Evaluate_ProvenanceWithWrongBuilderOrSource_FailsNamingWhatItSays()
    {
        var signer = Keyless(Issuer, "https://github.com/acme/app/.github/workflows/ci.yml@refs/heads/main");

        var wrongBuilder = Evaluate("team", new UpstreamEvidence([signer, Provenance("https://example.com/other-builder", "https://github.com/acme/app")], []));
        var wrongSource = Evaluate("team", new UpstreamEvidence([signer, Provenance(Builder, "https://github.com/evil/app")], []));

        Assert.Contains($"builder id is 'https://example.com/other-builder', not '{Builder}'", Assert.Single(wrongBuilder.UnmetRequirements).Found, StringComparison.Ordinal);
        Assert.Contains("source repository is 'https://github.com/evil/app', not 'https://github.com/acme/app'", Assert.Single(wrongSource.UnmetRequirements).Found,
            StringComparison.Ordinal);
    }

    [Fact]
    public void SlsaProvenance_V02_ReadsBuilderAndConfigSource()
    {
        var statement = Encoding.UTF8.GetBytes("""
            {"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://slsa.dev/provenance/v0.2","subject":[],
             "predicate":{"builder":{"id":"https://ci.example.com/builder"},"invocation":{"configSource":{"uri":"git+https://git.example.com/team/app.git@refs/heads/main"}}}}
            """);

        Assert.True(SlsaProvenance.TryRead(statement, out var builder, out var source));
        Assert.Equal(("https://ci.example.com/builder", "git+https://git.example.com/team/app.git@refs/heads/main"), (builder, source));
        Assert.Null(SlsaProvenance.Check(statement, new AttestationRequirement(SlsaProvenance.V02, new SignerRequirement("k", null),
            "https://ci.example.com/builder", "https://git.example.com/team/app")));
    }

    private static Decision Evaluate(string project, UpstreamEvidence? evidence) =>
        PolicyEvaluator.Evaluate(App with { Project = project }, ReportReader.Read(CleanReport), PolicyLoader.Load(Policy),
            null, Now, evidence);

    // A Trivy report without findings.
    private static byte[] CleanReport => Encoding.UTF8.GetBytes("""{"SchemaVersion":2,"ArtifactName":"x","Results":[]}""");

    private static UpstreamItem Signature(string key) => new(".sig layer 0", key, null, null, null, null, null);

    private static UpstreamItem Keyless(string issuer, string subject) => new("bundle referrer sha256:1", null, "trust/root.json", issuer, subject, null, null);

    private static UpstreamItem Provenance(string builder, string source) => new("bundle referrer sha256:2", null, "trust/root.json", Issuer, Workflow,
        SlsaProvenance.V1, Encoding.UTF8.GetBytes($$"""
            {"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"https://slsa.dev/provenance/v1","predicate":{
             "buildDefinition":{"buildType":"https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
              "externalParameters":{"workflow":{"ref":"refs/heads/main","repository":"{{source}}","path":".github/workflows/release.yml"} } },
             "runDetails":{"builder":{"id":"{{builder}}"} } } }
            """));
}

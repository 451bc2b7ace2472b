using System.Text;
using HarborBridge.Signing.SimpleSigning;
using static HarborBridge.UnitTests.Signing.SigningFixtures;

namespace HarborBridge.UnitTests.Signing;

public sealed class SimpleSigningPayloadTests
{
    private const string Digest = "sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00";

    [Fact]
    public void Create_NoAnnotations_ByteEqualToCosignsPayload()
    {
        var payload = SimpleSigningPayload.Create("192.168.64.2:5000/cosign-signed-single-sample", Digest);

        // cosign wrote exactly these bytes for the containers/image fixture.
        Assert.Equal(Bytes("containers-image", "dir-img-cosign-valid", "payload.json"), payload);
    }

    [Fact]
    public void Create_Annotations_OptionalHoldsThemSortedByKey()
    {
        var payload = SimpleSigningPayload.Create("harbor.example.com/team/app", Digest,
            new Dictionary<string, string> { ["verdict"] = "pass", ["policy"] = "v3+1" });

        Assert.Equal(
            "{\"critical\":{\"identity\":{\"docker-reference\":\"harbor.example.com/team/app\"},\"image\":{\"docker-manifest-digest\":\"" + Digest +
            "\"},\"type\":\"cosign container image signature\"},\"optional\":{\"policy\":\"v3+1\",\"verdict\":\"pass\"}}",
            Encoding.UTF8.GetString(payload));
    }

    [Fact]
    public void Create_DigestNotSha256_Throws()
    {
        Assert.Throws<ArgumentException>(() => SimpleSigningPayload.Create("harbor.example.com/team/app", "sha256:ABC"));
    }

    [Fact]
    public void Parse_SkopeoPayloadWithCreatorAndTimestamp_ReadsAllFields()
    {
        var payload = SimpleSigningPayload.Parse(Bytes("generated-here", "skopeo-1.18-sig", "payload-1.json"));

        Assert.Equal("127.0.0.1:5000/demo/app:1", payload.DockerReference);
        Assert.Equal("sha256:b04acaf47c8b4912c90ca20575d04614034794ec072e66a669089ff83d949f1e", payload.ManifestDigest);
        Assert.Equal("containers/image 5.34.2", payload.Optional!["creator"].GetString());
        Assert.Equal(1795800852, payload.Optional["timestamp"].GetInt64());
    }

    [Theory]
    [InlineData("{\"critical\":{\"identity\":{\"docker-reference\":\"r/a\"},\"image\":{\"docker-manifest-digest\":\"d\"},\"type\":\"cosign container image signature\"}}", "key \"optional\" missing")]
    [InlineData("{\"critical\":{\"identity\":{\"docker-reference\":\"r/a\"},\"image\":{\"docker-manifest-digest\":\"d\"},\"type\":\"cosign container image signature\",\"x\":1},\"optional\":null}", "unexpected key \"x\"")]
    [InlineData("{\"critical\":{\"identity\":{\"docker-reference\":\"r/a\"},\"image\":{\"docker-manifest-digest\":\"d\"},\"type\":\"atomic container signature\"},\"optional\":null}", "critical.type")]
    [InlineData("{\"critical\":{\"identity\":{\"docker-reference\":\"r/a\"},\"image\":{\"docker-manifest-digest\":\"d\"},\"type\":\"cosign container image signature\"},\"optional\":{\"timestamp\":\"soon\"}}", "timestamp")]
    [InlineData("{\"critical\":{\"identity\":{\"docker-reference\":\"r/a\"},\"image\":{\"docker-manifest-digest\":\"d\"},\"type\":\"cosign container image signature\"},\"optional\":null,\"optional\":null}", "duplicate key")]
    [InlineData("[1,2]", "must be a JSON object")]
    [InlineData("{\"critical\":", "not valid JSON")]
    public void Parse_ShapeContainersImageRejects_ThrowsNamingTheProblem(string json, string expected)
    {
        var ex = Assert.Throws<SimpleSigningPayloadException>(() => SimpleSigningPayload.Parse(Encoding.UTF8.GetBytes(json)));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ubuntu", "docker.io/library/ubuntu", null)]
    [InlineData("index.docker.io/library/ubuntu:22.04", "docker.io/library/ubuntu", "22.04")]
    [InlineData("127.0.0.1:5000/demo/app:1", "127.0.0.1:5000/demo/app", "1")]
    [InlineData("harbor.example.com/team/app", "harbor.example.com/team/app", null)]
    [InlineData("localhost/app:v", "localhost/app", "v")]
    public void DockerReference_TryParse_NormalisesRepository(string text, string repository, string? tag)
    {
        Assert.True(DockerReference.TryParse(text, out var reference));
        Assert.Equal(repository, reference.Repository);
        Assert.Equal(tag, reference.Tag);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Harbor.example.com/Team/App")]
    [InlineData("harbor.example.com//app")]
    [InlineData("app@sha256:123")]
    public void DockerReference_TryParse_Invalid_False(string text)
    {
        Assert.False(DockerReference.TryParse(text, out _));
    }
}

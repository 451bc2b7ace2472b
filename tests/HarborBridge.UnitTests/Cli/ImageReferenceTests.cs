using HarborBridge.Cli;

namespace HarborBridge.UnitTests.Cli;

public sealed class ImageReferenceTests
{
    private const string Digest = "sha256:b04acaf47c8b4912c90ca20575d04614034794ec072e66a669089ff83d949f1e";

    [Theory]
    [InlineData("harbor.example.com/team/app@" + Digest, "harbor.example.com/team/app", Digest, true)]
    [InlineData("127.0.0.1:5000/team/app:1.4.2", "127.0.0.1:5000/team/app", "1.4.2", false)]
    [InlineData("localhost/app:latest", "localhost/app", "latest", false)]
    public void TryParse_ValidReference_SplitsRepositoryAndReference(string text, string repository, string reference, bool isDigest)
    {
        var parsed = ImageReference.TryParse(text, out var problem);

        Assert.Equal("", problem);
        Assert.Equal(new ImageReference(repository, reference), parsed);
        Assert.Equal(isDigest, parsed!.IsDigest);
    }

    [Theory]
    [InlineData("harbor.example.com/team/app", "neither a tag nor a digest")]
    [InlineData("127.0.0.1:5000/team/app", "neither a tag nor a digest")]
    [InlineData("team/app:1", "registry host")]
    [InlineData("harbor.example.com/team/app@sha256:1234", "not a sha256 digest")]
    [InlineData("harbor.example.com/Team/App:1", "not a valid repository name")]
    [InlineData("", "required")]
    public void TryParse_BadReference_NullWithReason(string text, string reason)
    {
        var parsed = ImageReference.TryParse(text, out var problem);

        Assert.Null(parsed);
        Assert.Contains(reason, problem, StringComparison.Ordinal);
    }
}

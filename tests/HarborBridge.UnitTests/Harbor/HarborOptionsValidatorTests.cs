using HarborBridge.Harbor;
using HarborBridge.Harbor.Http;

namespace HarborBridge.UnitTests.Harbor;

public sealed class HarborOptionsValidatorTests
{
    private static IReadOnlyList<string> Failures(HarborOptions options) =>
        new HarborOptionsValidator().Validate(null, options).Failures?.ToList() ?? [];

    [Fact]
    public void Validate_CompleteSettings_Passes() =>
        Assert.Empty(Failures(new HarborOptions { Url = "https://harbor.example.com", Username = "robot$hb", Password = "x" }));

    [Fact]
    public void Validate_NotConfigured_Passes() => Assert.Empty(Failures(new HarborOptions()));

    [Fact]
    public void Validate_UsernameWithoutPassword_NamesBothKeys() =>
        Assert.Contains(Failures(new HarborOptions { Url = "https://harbor.example.com", Username = "robot$hb" }),
            f => f.Contains("HarborBridge:Harbor:Username", StringComparison.Ordinal) && f.Contains("HarborBridge:Harbor:Password", StringComparison.Ordinal));

    [Fact]
    public void Validate_NonHttpUrl_IsRejected() =>
        Assert.Contains(Failures(new HarborOptions { Url = "ftp://harbor.example.com" }), f => f.Contains("HarborBridge:Harbor:Url", StringComparison.Ordinal));

    [Fact]
    public void Validate_MissingCaFile_NamesTheFile() =>
        Assert.Contains(Failures(new HarborOptions { Url = "https://h.example.com", CaFile = "/nonexistent/ca.pem" }), f => f.Contains("/nonexistent/ca.pem", StringComparison.Ordinal));

    [Fact]
    public void Validate_AttemptTimeoutNotShorterThanTotal_IsRejected() =>
        Assert.Contains(Failures(new HarborOptions { AttemptTimeout = TimeSpan.FromSeconds(90), TotalTimeout = TimeSpan.FromSeconds(90) }),
            f => f.Contains("AttemptTimeout", StringComparison.Ordinal));
}

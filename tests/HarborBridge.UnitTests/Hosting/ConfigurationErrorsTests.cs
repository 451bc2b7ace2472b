using System.Net.Sockets;
using HarborBridge.Core.Harbor;
using HarborBridge.Hosting;
using HarborBridge.Policy;
using Microsoft.Extensions.Configuration;

namespace HarborBridge.UnitTests.Hosting;

/// <summary>Issue 23: a setting the binder cannot convert is reported with what it accepts; a failed Harbor call with its cause.</summary>
public sealed class ConfigurationErrorsTests
{
    [Theory]
    [InlineData("HarborBridge:Transport", "Kafka", "HarborBridge:Transport: 'Kafka' is not valid; expected one of InMemory, RabbitMq.")]
    [InlineData("HarborBridge:Policy:ScanTimeout", "15m",
        "HarborBridge:Policy:ScanTimeout: '15m' is not valid; expected a time span written [d.]hh:mm:ss[.fff], e.g. 00:00:30 for 30 seconds, 00:15:00 for 15 minutes, 1.00:00:00 for a day.")]
    [InlineData("HarborBridge:Policy:MaxScanAttempts", "three", "HarborBridge:Policy:MaxScanAttempts: 'three' is not valid; expected a whole number.")]
    public void Describe_BinderCannotConvert_NamesSettingAndWhatItAccepts(string key, string value, string expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();

        var error = Assert.ThrowsAny<InvalidOperationException>(() =>
        {
            _ = configuration.GetSection(HarborBridgeOptions.SectionName).Get<HarborBridgeOptions>();
            _ = configuration.GetSection(PolicyOptions.SectionName).Get<PolicyOptions>();
        });

        Assert.Equal(expected, ConfigurationErrors.Describe(error));
    }

    [Fact]
    public void Describe_OtherFailure_Null() =>
        Assert.Null(ConfigurationErrors.Describe(new InvalidOperationException("something else")));

    [Fact]
    public void Cause_ConnectionRefused_SaysSo() =>
        Assert.Equal("connection refused", ConnectionFailures.Cause(new HarborApiException("ping", null, [], null,
            new HttpRequestException(HttpRequestError.ConnectionError, "refused", new SocketException((int)SocketError.ConnectionRefused)))));

    [Fact]
    public void Cause_Harbor401_NamesTheStatusWithoutCredentials() =>
        Assert.Equal("401 Unauthorized (the username or password is wrong or missing)", ConnectionFailures.Cause(new HarborApiException("ping", 401, [], "id")));
}

using HarborBridge.Core.Signing;
using HarborBridge.Hosting;
using HarborBridge.Signing.Keys;
using HarborBridge.Signing.Registry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace HarborBridge.UnitTests.Hosting;

/// <summary>The signer is registered once for every role, by <c>HarborBridge:Signing:Mode</c>: a release through the API of a
/// webhook-only replica signs as the workers do (it used to sign with a key whatever the mode).</summary>
public sealed class SignerRegistrationTests
{
    private static readonly string KeyFile = WriteKey();

    private static string WriteKey()
    {
        var path = Path.Combine(Path.GetTempPath(), $"hb-signer-{Guid.NewGuid():N}.key");
        using var key = SigningKeyFiles.Generate();
        File.WriteAllText(path, SigningKeyFiles.WriteEncryptedPrivateKey(key, "pw"u8.ToArray()));
        return path;
    }

    private static IArtifactSigner SignerFor(ServerRoles roles, string mode)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["HarborBridge:Harbor:Url"] = "https://harbor.example.com",
            ["HarborBridge:Harbor:Username"] = "robot$harborbridge",
            ["HarborBridge:Harbor:Password"] = "secret",
            ["HarborBridge:Signing:Mode"] = mode,
            ["HarborBridge:Signing:KeyFile"] = mode == "key" ? KeyFile : null,
            ["HarborBridge:Signing:KeyPassword"] = "pw",
            ["HarborBridge:Signing:IdentityTokenFile"] = mode == "keyless" ? KeyFile : null, // exists; read only when signing
            ["HarborBridge:Signing:FulcioUrl"] = "http://127.0.0.1:1",
            ["HarborBridge:Signing:RekorUrl"] = "http://127.0.0.1:1",
            ["HarborBridge:Signing:TrustedRootFile"] = Path.Combine(AppContext.BaseDirectory, "fixtures", "signing", "cosign", "trusted_root_pgi.json"),
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging();
        services.AddHarborBridge(configuration, roles);
        using var provider = services.BuildServiceProvider();
        using var scope = provider.CreateScope();
        return scope.ServiceProvider.GetRequiredService<IArtifactSigner>();
    }

    [Theory]
    [InlineData("webhook")]
    [InlineData("worker")]
    [InlineData("all")]
    public void Keyless_EveryRole_SignsKeyless(string roles) =>
        Assert.IsType<KeylessArtifactSigner>(SignerFor(Roles(roles), "keyless"));

    [Theory]
    [InlineData("webhook")]
    [InlineData("worker")]
    public void Key_EveryRole_SignsWithTheKey(string roles) =>
        Assert.IsType<RegistryArtifactSigner>(SignerFor(Roles(roles), "key"));

    private static ServerRoles Roles(string text) =>
        ServerRolesParser.TryParse(text, out var roles, out var error) ? roles : throw new ArgumentException(error);
}

using System.Text.Json;
using System.Text.RegularExpressions;
using HarborBridge.Core.Policy;
using HarborBridge.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using YamlDotNet.RepresentationModel;

namespace HarborBridge.IntegrationTests.Deploy;

/// <summary>The files an admin deploys with (config/, docker-compose.yml, .env.example, deploy/kubernetes/,
/// the Dockerfile) parse, load with the service's own loaders, and name only settings the service has.</summary>
public sealed partial class DeployFilesTests
{
    // Names of public container registries must not appear: images are set by the admin through variables.
    private static readonly string[] RegistryHosts = ["docker.io", "mcr.microsoft.com", "ghcr.io", "quay.io", "registry.k8s.io", "gcr.io", "public.ecr.aws"];

    [Fact]
    public void ConfigFolder_EveryFileLoadsWithTheServiceLoaders()
    {
        var files = Directory.GetFiles(RepositoryFiles.PathOf("config")).Select(Path.GetFileName).Order().ToList();
        Assert.Contains("policy.yaml", files);
        Assert.Contains("appsettings.example.json", files);
        foreach (var file in files)
        {
            var path = RepositoryFiles.PathOf("config", file!);
            switch (file)
            {
                case "policy.yaml":
                    var policy = PolicyLoader.Load(File.ReadAllText(path), path);
                    Assert.NotEmpty(policy.PolicyVersion);
                    break;
                case "appsettings.example.json":
                    ResolveAllSettings(new ConfigurationBuilder().AddJsonFile(path).AddInMemoryCollection(Secrets).Build());
                    break;
                case "routing.yaml":
                    var routing = HarborBridge.Core.Notifications.RoutingLoader.Load(File.ReadAllText(path), path);
                    Assert.NotEmpty(routing.Teams);
                    break;
                default:
                    Assert.Fail($"config/{file} has no check in {nameof(DeployFilesTests)}: add one that loads it as the service does");
                    break;
            }
        }
    }

    [Fact]
    public void AppSettingsExample_NamesOnlyRealSettings()
    {
        var configuration = new ConfigurationBuilder().AddJsonFile(RepositoryFiles.PathOf("config", "appsettings.example.json")).Build();
        var keys = configuration.AsEnumerable().Where(kv => kv.Value is not null).Select(kv => kv.Key)
            .Where(k => k.StartsWith("HarborBridge:", StringComparison.Ordinal)).ToList();
        Assert.True(keys.Count >= 25, $"only {keys.Count} HarborBridge settings in the example");
        Assert.Empty(keys.Select(SettingsCatalog.Problem).OfType<string>());
        // No secret has a value in the example file.
        Assert.DoesNotContain(keys, k => Regex.IsMatch(k, "(Password|AuthHeader|Token|KeyPassword)$"));
    }

    [Fact]
    public void SettingsCatalog_RejectsMadeUpSettings()
    {
        Assert.Null(SettingsCatalog.Problem("HarborBridge:Harbor:Url"));
        Assert.Null(SettingsCatalog.Problem("HarborBridge:Webhook:IgnoredOperators:0"));
        Assert.NotNull(SettingsCatalog.Problem("HarborBridge:Harbor:Adress"));
        Assert.NotNull(SettingsCatalog.Problem("HarborBridge:Nothing:Here"));
        Assert.NotNull(SettingsCatalog.Problem("HarborBridge:Harbor:Url:0"));
    }

    [Fact]
    public void Compose_ParsesAndEveryVariableIsASettingOrDefinedInEnvExample()
    {
        var compose = Assert.Single(RepositoryFiles.LoadYaml(RepositoryFiles.PathOf("docker-compose.yml")));
        var services = Assert.IsType<YamlMappingNode>(compose.Child("services"));
        Assert.Equal(["harborbridge", "postgres", "rabbitmq"], services.Children.Keys.Select(k => k.ToString()).Order());

        var bridge = services.Child("harborbridge")!;
        var environment = Assert.IsType<YamlMappingNode>(bridge.Child("environment"));
        var names = environment.Children.Keys.Select(k => k.ToString()).ToList();
        Assert.Empty(names.Select(n => SettingsCatalog.Problem(SettingsCatalog.FromEnvironmentName(n))).OfType<string>());
        foreach (var required in new[] { "HarborBridge__Harbor__Url", "HarborBridge__Harbor__Username", "HarborBridge__Harbor__Password",
                     "HarborBridge__Webhook__AuthHeader", "HarborBridge__Signing__KeyFile", "HarborBridge__Admin__Token" })
        {
            Assert.Contains(required, names);
        }

        Assert.Equal("true", bridge.Text("read_only"));
        Assert.NotEqual("0", bridge.Text("user")?.Split(':')[0]);

        // Every ${VARIABLE} the compose file uses is documented in .env.example.
        var text = File.ReadAllText(RepositoryFiles.PathOf("docker-compose.yml"));
        var used = ComposeVariable().Matches(text).Select(m => m.Groups[1].Value).ToHashSet();
        var defined = File.ReadAllLines(RepositoryFiles.PathOf(".env.example"))
            .Where(l => l.Contains('=', StringComparison.Ordinal) && !l.TrimStart().StartsWith('#'))
            .Select(l => l[..l.IndexOf('=', StringComparison.Ordinal)].Trim()).ToHashSet();
        Assert.Empty(used.Except(defined));
        Assert.All(new[] { "rabbitmq", "postgres", "harborbridge" }, s => Assert.StartsWith("${", services.Child(s).Text("image"), StringComparison.Ordinal));
    }

    [Fact]
    public void KubernetesManifests_ParseAndReferenceOnlyExistingSettingsSecretsAndProbes()
    {
        var directory = RepositoryFiles.PathOf("deploy", "kubernetes");
        var documents = Directory.GetFiles(directory, "*.yaml").SelectMany(RepositoryFiles.LoadYaml).ToList();
        var byKind = documents.ToLookup(d => d.Text("kind"));
        var secret = Assert.Single(byKind["Secret"]);
        var secretKeys = ((YamlMappingNode)secret.Child("stringData")!).Children.Keys.Select(k => k.ToString()).ToHashSet();
        var configMaps = byKind["ConfigMap"].ToDictionary(c => c.Child("metadata").Text("name")!);

        // Kustomization lists every manifest except the secret example.
        var kustomization = Assert.Single(byKind["Kustomization"]);
        var listed = kustomization.Child("resources").Items().Select(i => i.ToString()).Order();
        var manifests = Directory.GetFiles(directory, "*.yaml").Select(Path.GetFileName).Except(["kustomization.yaml", "secret.example.yaml"]).Order();
        Assert.Equal(manifests, listed);

        // Settings held in ConfigMaps are real settings; the policy in the ConfigMap loads.
        var settingKeys = configMaps.Values.SelectMany(c => ((YamlMappingNode)c.Child("data")!).Children.Keys.Select(k => k.ToString()))
            .Where(k => k.StartsWith("HarborBridge__", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(settingKeys);
        Assert.Empty(settingKeys.Select(k => SettingsCatalog.Problem(SettingsCatalog.FromEnvironmentName(k))).OfType<string>());
        var policyMap = configMaps.Values.Single(c => c.Child("data").Text("policy.yaml") is not null);
        Assert.NotEmpty(PolicyLoader.Load(policyMap.Child("data").Text("policy.yaml")!, "configmap policy.yaml").PolicyVersion);

        var deployments = byKind["Deployment"].ToDictionary(d => d.Child("metadata").Text("name")!);
        Assert.Equal(["harborbridge-webhook", "harborbridge-worker"], deployments.Keys.Order());
        foreach (var (name, deployment) in deployments)
        {
            var spec = deployment.Child("spec")!;
            Assert.True(int.Parse(spec.Text("replicas")!, System.Globalization.CultureInfo.InvariantCulture) >= 2, $"{name}: fewer than 2 replicas");
            var pod = spec.Child("template")!.Child("spec")!;
            var container = Assert.Single(pod.Child("containers").Items());
            var args = container.Child("args").Items().Select(a => a.ToString()).ToList();
            Assert.Equal("serve", args[0]);
            Assert.Equal(name["harborbridge-".Length..], args[args.IndexOf("--roles") + 1].Split(',')[0]);
            Assert.Equal("/healthz", container.Child("livenessProbe")!.Child("httpGet").Text("path"));
            Assert.Equal("/readyz", container.Child("readinessProbe")!.Child("httpGet").Text("path"));
            Assert.NotNull(container.Child("resources")!.Child("requests")!.Child("memory"));
            Assert.Equal("true", container.Child("securityContext").Text("readOnlyRootFilesystem"));
            Assert.Equal("true", pod.Child("securityContext").Text("runAsNonRoot"));

            foreach (var env in container.Child("env").Items())
            {
                Assert.Null(SettingsCatalog.Problem(SettingsCatalog.FromEnvironmentName(env.Text("name")!)));
                var secretRef = env.Child("valueFrom")?.Child("secretKeyRef");
                Assert.True(secretRef is null || secretKeys.Contains(secretRef.Text("key")!), $"{name}: secret key {secretRef.Text("key")} is not in secret.example.yaml");
            }

            foreach (var from in container.Child("envFrom").Items())
            {
                Assert.Contains(from.Child("configMapRef").Text("name")!, configMaps.Keys);
            }

            foreach (var volume in pod.Child("volumes").Items())
            {
                var configMap = volume.Child("configMap").Text("name");
                Assert.True(configMap is null || configMaps.ContainsKey(configMap), $"{name}: ConfigMap {configMap} is not defined");
                foreach (var item in volume.Child("secret")?.Child("items").Items() ?? [])
                {
                    Assert.Contains(item.Text("key")!, secretKeys);
                }
            }

            // The signing key file the settings point at is where the secret volume is mounted.
            var keyFile = configMaps.Values.Select(c => c.Child("data").Text("HarborBridge__Signing__KeyFile")).Single(v => v is not null)!;
            Assert.Contains(container.Child("volumeMounts").Items(), m => keyFile.StartsWith(m.Text("mountPath") + "/", StringComparison.Ordinal));
        }

        // Each PodDisruptionBudget and the Service select pods some Deployment makes.
        var podLabels = deployments.Values.Select(d => Labels(d.Child("spec")!.Child("template")!.Child("metadata")!.Child("labels")!)).ToList();
        foreach (var selector in byKind["PodDisruptionBudget"].Select(p => p.Child("spec")!.Child("selector")!.Child("matchLabels")!)
                     .Concat(byKind["Service"].Select(s => s.Child("spec")!.Child("selector")!)))
        {
            var wanted = Labels(selector);
            Assert.Contains(podLabels, labels => wanted.All(w => labels.TryGetValue(w.Key, out var v) && v == w.Value));
        }

        Assert.Equal(2, byKind["PodDisruptionBudget"].Count());
    }

    [Fact]
    public void Dockerfile_EntrypointRunsTheBuiltAssemblyAsNonRoot()
    {
        var lines = File.ReadAllLines(RepositoryFiles.PathOf("src", "HarborBridge", "Dockerfile"))
            .Where(l => !l.TrimStart().StartsWith('#') && l.Trim().Length > 0).ToList();
        var entrypoint = JsonSerializer.Deserialize<string[]>(lines.Single(l => l.StartsWith("ENTRYPOINT ", StringComparison.Ordinal))["ENTRYPOINT ".Length..])!;
        Assert.Equal(["dotnet", typeof(Program).Assembly.GetName().Name + ".dll"], entrypoint);
        Assert.Equal("harborbridge.dll", entrypoint[1]);

        var froms = lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, froms.Count);
        Assert.All(froms, f => Assert.StartsWith("FROM ${", f, StringComparison.Ordinal));
        var user = lines.Last(l => l.StartsWith("USER ", StringComparison.Ordinal))["USER ".Length..].Trim();
        Assert.DoesNotContain(user.Split(':')[0], new[] { "0", "root" });
        Assert.Contains(lines, l => l.Contains("src/HarborBridge/HarborBridge.csproj", StringComparison.Ordinal) && l.Contains("dotnet publish", StringComparison.Ordinal));
    }

    [Fact]
    public void DeployFiles_NameNoPublicRegistry()
    {
        var files = new[] { RepositoryFiles.PathOf("src", "HarborBridge", "Dockerfile"), RepositoryFiles.PathOf("docker-compose.yml"), RepositoryFiles.PathOf(".env.example") }
            .Concat(Directory.GetFiles(RepositoryFiles.PathOf("deploy"), "*", SearchOption.AllDirectories))
            .Concat(Directory.GetFiles(RepositoryFiles.PathOf("config")));
        foreach (var file in files)
        {
            var text = File.ReadAllText(file);
            Assert.DoesNotContain(RegistryHosts, h => text.Contains(h, StringComparison.OrdinalIgnoreCase));
        }
    }

    [Fact]
    public void GrafanaDashboard_IsValidJsonWithAQueryPerPanel()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(RepositoryFiles.PathOf("deploy", "grafana", "harborbridge.json")));
        var panels = dashboard.RootElement.GetProperty("panels").EnumerateArray().ToList();
        Assert.True(panels.Count >= 8);
        Assert.All(panels, p => Assert.NotEmpty(p.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("expr").GetString())));
    }

    /// <summary>What an admin sets in the environment; the example file holds no secrets.</summary>
    private static readonly Dictionary<string, string?> Secrets = new()
    {
        ["HarborBridge:Webhook:AuthHeader"] = "Bearer example",
        ["HarborBridge:Harbor:Password"] = "robot-secret",
        ["HarborBridge:Admin:Token"] = "admin-token-0123456789abcdef-0123456789",
        ["HarborBridge:RabbitMq:Password"] = "rabbit-secret",
    };

    /// <summary>Registers the service as <c>serve</c> does and resolves every settings class, which binds and validates
    /// it exactly as at start (an OptionsValidationException names the bad setting).</summary>
    private static void ResolveAllSettings(IConfiguration configuration)
    {
        var services = new ServiceCollection().AddLogging().AddSingleton(configuration);
        services.AddHarborBridge(configuration, ServerRoles.All);
        using var provider = services.BuildServiceProvider();
        foreach (var type in SettingsCatalog.Sections.Values)
        {
            var options = provider.GetRequiredService(typeof(IOptions<>).MakeGenericType(type));
            Assert.NotNull(options.GetType().GetProperty("Value")!.GetValue(options));
        }
    }

    private static Dictionary<string, string> Labels(YamlNode node) =>
        ((YamlMappingNode)node).Children.ToDictionary(kv => kv.Key.ToString(), kv => kv.Value.ToString());

    [GeneratedRegex(@"\$\{([A-Z_][A-Z0-9_]*)")]
    private static partial Regex ComposeVariable();
}

using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using HarborBridge.Harbor;
using HarborBridge.Harbor.Oci;
using HarborBridge.Signing.Keys;
using HarborBridge.Signing.Registry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace HarborBridge.Benchmarks;

/// <summary>
/// Load driver for registry signing: <c>dotnet run --project tests/HarborBridge.Benchmarks -c Release -- signing HOST:PORT [COUNT] [CONCURRENCY]</c>.
/// Signs COUNT distinct (random) digests in a fresh repository of a plain-HTTP registry with CONCURRENCY parallel
/// signers, and prints signatures per second and HTTP round trips per first signature (write + verifying read-back).
/// </summary>
internal static class SigningLoadDriver
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length < 1)
        {
            await Console.Error.WriteLineAsync("usage: HarborBridge.Benchmarks signing HOST:PORT [COUNT=2000] [CONCURRENCY=16]");
            return 2;
        }

        var count = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2000;
        var concurrency = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 16;
        var counter = new Counter();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["HarborBridge:Harbor:Url"] = $"http://{args[0]}/",
        }).Build();
        var services = new ServiceCollection().AddLogging().AddHarborClients(configuration);
        services.AddHttpClient("oci-registry").AddHttpMessageHandler(() => new CountingHandler(counter));
        await using var provider = services.BuildServiceProvider();
        var registry = provider.GetRequiredService<IOciRegistryClient>();
        var repository = new OciRepository(new Uri($"http://{args[0]}/"), "bench/app-" + Guid.NewGuid().ToString("N")[..8]);
        using var key = SigningKeyFiles.Generate();
        var signer = new CosignSigner(registry, TimeProvider.System);
        var digests = Enumerable.Range(0, count).Select(_ => "sha256:" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32))).ToArray();

        // Warm-up (connections, JIT), then one measured first signature.
        await signer.SignAsync(repository, digests[0], key, null, CancellationToken.None);
        counter.Reset();
        await signer.SignAsync(repository, digests[1], key, null, CancellationToken.None);
        var perFirstSignature = counter.Value;

        var stopwatch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(digests.Skip(2), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (digest, ct) =>
        {
            using var own = ECDsa.Create(key.ExportParameters(includePrivateParameters: true));
            await signer.SignAsync(repository, digest, own, null, ct);
        });
        stopwatch.Stop();
        var signed = count - 2;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"signatures={signed} concurrency={concurrency} seconds={stopwatch.Elapsed.TotalSeconds:F2} signatures_per_second={signed / stopwatch.Elapsed.TotalSeconds:F0} round_trips_per_first_signature={perFirstSignature}"));
        return 0;
    }

    private sealed class Counter
    {
        private int _value;

        public int Value => Volatile.Read(ref _value);

        public void Increment() => Interlocked.Increment(ref _value);

        public void Reset() => Interlocked.Exchange(ref _value, 0);
    }

    private sealed class CountingHandler(Counter counter) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            counter.Increment();
            return base.SendAsync(request, cancellationToken);
        }
    }
}

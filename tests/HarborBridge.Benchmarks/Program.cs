using BenchmarkDotNet.Running;
using HarborBridge.Benchmarks;

// `signing HOST:PORT [COUNT] [CONCURRENCY]` runs the registry signing load driver; anything else goes to
// BenchmarkDotNet (e.g. --filter '*' --job short --inProcess).
if (args.Length > 0 && args[0] == "signing")
{
    return await SigningLoadDriver.RunAsync(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;

/// <summary>Entry point: BenchmarkDotNet benchmarks or the signing load driver.</summary>
public partial class Program;

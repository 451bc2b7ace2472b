using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

/// <summary>Entry point (BenchmarkSwitcher picks the benchmarks from the command line, e.g. --filter '*' --job short).</summary>
public partial class Program;

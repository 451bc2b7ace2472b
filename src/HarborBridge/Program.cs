using HarborBridge.Cli;

return await CliApp.RunAsync(args);

/// <summary>Entry point; public so that integration tests can host it with WebApplicationFactory.</summary>
public partial class Program;

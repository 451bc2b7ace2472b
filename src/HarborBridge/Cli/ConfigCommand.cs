using System.CommandLine;
using HarborBridge.Hosting;

namespace HarborBridge.Cli;

/// <summary><c>harborbridge config reference [--output FILE]</c>: the settings reference made from the settings classes.</summary>
internal static class ConfigCommand
{
    public static Command Create()
    {
        var output = new Option<string?>("--output")
        {
            Description = "Markdown file whose generated part is replaced (e.g. docs/configuration.md); the text before it is kept. " +
                "Without it the reference is printed.",
        };
        var reference = new Command("reference",
            "Print every setting (key, type, default, validation rules, description) as read from the settings classes.")
        {
            output,
        };
        reference.SetAction((parseResult, cancellationToken) =>
            WriteAsync(parseResult.GetValue(output), Console.Out, Console.Error, cancellationToken));
        return new Command("config", "Settings reference.") { reference };
    }

    /// <returns>0 when written, 2 when the documentation comments are missing (nothing written).</returns>
    internal static async Task<int> WriteAsync(string? output, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var docs = ConfigurationReference.Docs.Load();
        if (docs.Count == 0)
        {
            await stderr.WriteLineAsync("error: the XML documentation files beside harborbridge.dll are missing; build with GenerateDocumentationFile.");
            return 2;
        }

        var generated = ConfigurationReference.Markdown(docs);
        if (output is null)
        {
            await stdout.WriteAsync(generated);
            return 0;
        }

        try
        {
            var existing = File.Exists(output) ? await File.ReadAllTextAsync(output, cancellationToken) : "";
            await File.WriteAllTextAsync(output, ConfigurationReference.Update(existing, generated), cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync($"error: cannot write {Path.GetFullPath(output)}: {e.Message}");
            return 2;
        }

        await stdout.WriteLineAsync($"wrote {output}");
        return 0;
    }
}

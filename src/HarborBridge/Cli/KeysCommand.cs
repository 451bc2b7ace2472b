using System.CommandLine;
using System.Text;
using HarborBridge.Signing.Keys;

namespace HarborBridge.Cli;

/// <summary><c>harborbridge keys generate --output-prefix PATH</c>: a cosign-compatible key pair (PATH.key, PATH.pub).</summary>
internal static class KeysCommand
{
    public const string PasswordVariable = "COSIGN_PASSWORD";

    public static Command Create() => Create(() => Environment.GetEnvironmentVariable(PasswordVariable));

    internal static Command Create(Func<string?> readPassword)
    {
        var prefix = new Option<string>("--output-prefix")
        {
            Description = "Path prefix of the key files: writes PREFIX.key (encrypted private key) and PREFIX.pub (public key).",
            Required = true,
        };
        var generate = new Command("generate",
            $"Generate an ECDSA P-256 key pair in cosign's format. The private key is encrypted with the password in {PasswordVariable} (may be empty).")
        {
            prefix,
        };
        generate.SetAction((parseResult, cancellationToken) =>
            GenerateAsync(parseResult.GetValue(prefix)!, readPassword(), Console.Out, Console.Error, cancellationToken));

        return new Command("keys", "Manage signing keys.") { generate };
    }

    /// <returns>0 when both files were written, 2 on bad input (nothing is left behind).</returns>
    internal static async Task<int> GenerateAsync(
        string outputPrefix, string? password, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (password is null)
        {
            await error.WriteLineAsync(
                $"error: set {PasswordVariable} to the password for the private key ({PasswordVariable}= for an empty password).");
            return 2;
        }

        if (string.IsNullOrWhiteSpace(outputPrefix))
        {
            await error.WriteLineAsync("error: --output-prefix must not be empty.");
            return 2;
        }

        var keyPath = Path.GetFullPath(outputPrefix + ".key");
        var pubPath = Path.GetFullPath(outputPrefix + ".pub");
        foreach (var path in new[] { keyPath, pubPath })
        {
            if (File.Exists(path))
            {
                await error.WriteLineAsync($"error: {path} already exists; refusing to overwrite it.");
                return 2;
            }
        }

        var directory = Path.GetDirectoryName(keyPath)!;
        if (!Directory.Exists(directory))
        {
            await error.WriteLineAsync($"error: directory {directory} does not exist.");
            return 2;
        }

        using var key = SigningKeyFiles.Generate();
        var privatePem = SigningKeyFiles.WriteEncryptedPrivateKey(key, Encoding.UTF8.GetBytes(password));
        var publicPem = SigningKeyFiles.WritePublicKey(key);
        try
        {
            await WriteNewFileAsync(keyPath, privatePem, UnixFileMode.UserRead | UnixFileMode.UserWrite, cancellationToken);
            try
            {
                await WriteNewFileAsync(pubPath, publicPem,
                    UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, cancellationToken);
            }
            catch
            {
                File.Delete(keyPath);
                throw;
            }
        }
        catch (IOException ex)
        {
            await error.WriteLineAsync($"error: cannot write the key files: {ex.Message}");
            return 2;
        }
        catch (UnauthorizedAccessException ex)
        {
            await error.WriteLineAsync($"error: cannot write the key files: {ex.Message}");
            return 2;
        }

        await output.WriteLineAsync($"Private key written to {keyPath}");
        await output.WriteLineAsync($"Public key written to {pubPath}");
        return 0;
    }

    // CreateNew: an existing file (also one created meanwhile) is never overwritten.
    private static async Task WriteNewFileAsync(string path, string content, UnixFileMode mode, CancellationToken cancellationToken)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = mode;
        }

        await using var stream = new FileStream(path, options);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(content), cancellationToken);
    }
}

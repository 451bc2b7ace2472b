using System.CommandLine;
using System.Reflection;
using System.Text;
using HarborBridge.Contracts;
using HarborBridge.Core.Findings;
using HarborBridge.Core.Policy;

namespace HarborBridge.Cli;

/// <summary>
/// <c>harborbridge policy check --policy FILE --report FILE [--project P --repository R] [--digest D] [--format text|json|sarif]</c>:
/// judges a Trivy JSON or Harbor vulnerability report against a policy file. Exit 0 pass or warn, 1 block,
/// 2 bad input (a one-line message on stderr).
/// </summary>
internal static class PolicyCheckCommand
{
    public const int ExitPass = 0;
    public const int ExitBlock = 1;
    public const int ExitBadInput = 2;

    private static readonly string[] Formats = ["text", "json", "sarif"];

    public static Command Create()
    {
        var policy = new Option<string>("--policy") { Description = "Policy file (YAML), e.g. config/policy.yaml." };
        var report = new Option<string>("--report")
        {
            Description = "Trivy JSON (SchemaVersion 2) or Harbor vulnerability report; or a folder: every *.json in it is judged " +
                "(one line each, progress on stderr; exit 1 if any is blocked, else 2 if any is unreadable).",
        };
        var project = new Option<string>("--project") { Description = "Harbor project the artifact belongs to (for project rules and exception scopes)." };
        var repository = new Option<string>("--repository") { Description = "Repository inside the project, e.g. team/api." };
        var digest = new Option<string>("--digest") { Description = "Artifact digest (sha256:…), for digest-scoped exceptions." };
        var format = new Option<string>("--format")
        {
            Description = "Output: text (default), json or sarif (SARIF 2.1.0).",
            DefaultValueFactory = _ => "text",
        };
        var requireFrom = new Option<string>("--require-from")
        {
            Description = "Also judge the policy's require rules: verify the signatures and attestations attached to this image " +
                "(host/project/repository@sha256:… or :tag) in its registry. Project and repository default to the image's path.",
        };
        var exceptionsFrom = new Option<string>("--exceptions-from")
        {
            Description = "Also apply the exceptions granted from exception requests: a running HarborBridge's address (GET /api/v1/exceptions, " +
                "admin token from HARBORBRIDGE_ADMIN_TOKEN) or a file holding that answer.",
        };
        var insecure = new Option<bool>("--allow-insecure-registry") { Description = "With --require-from: plain HTTP to the registry (test registries only)." };
        var check = new Command("check", "Judge a scan report (or a folder of reports) against a policy file. Exit 0 pass/warn (or a block in " +
            "a dry-run scope), 1 block, 2 bad input. Example: harborbridge policy check --policy config/policy.yaml --report trivy.json")
        {
            policy, report, project, repository, digest, format, requireFrom, insecure, exceptionsFrom,
        };
        check.TreatUnmatchedTokensAsErrors = false;
        check.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            if (parseResult.UnmatchedTokens.Count > 0)
            {
                await error.WriteLineAsync($"policy check: unexpected argument '{parseResult.UnmatchedTokens[0]}' (see --help).");
                return ExitBadInput;
            }

            var request = new Request(parseResult.GetValue(policy), parseResult.GetValue(report), parseResult.GetValue(project),
                parseResult.GetValue(repository), parseResult.GetValue(digest), parseResult.GetValue(format) ?? "text",
                parseResult.GetValue(requireFrom), parseResult.GetValue(insecure), parseResult.GetValue(exceptionsFrom));
            return await RunAsync(request, output, error, TimeProvider.System, cancellationToken);
        });

        return new Command("policy", "Policy tools.") { check, PolicyPreviewCommand.CreatePreview(), PolicyPreviewCommand.CreateApply() };
    }

    internal sealed record Request(string? Policy, string? Report, string? Project, string? Repository, string? Digest, string Format,
        string? RequireFrom = null, bool PlainHttp = false, string? ExceptionsFrom = null);

    internal static async Task<int> RunAsync(Request request, TextWriter output, TextWriter error, TimeProvider time, CancellationToken cancellationToken)
    {
        try
        {
            if (string.IsNullOrWhiteSpace(request.Policy))
            {
                throw new BadInputException("--policy FILE is required.");
            }

            if (string.IsNullOrWhiteSpace(request.Report))
            {
                throw new BadInputException("--report FILE is required.");
            }

            var format = request.Format.ToLowerInvariant();
            if (!Formats.Contains(format))
            {
                throw new BadInputException($"--format must be text, json or sarif, not '{request.Format}'.");
            }

            var policyText = await ReadTextAsync(request.Policy, "policy", cancellationToken);
            var document = PolicyLoader.Load(policyText, request.Policy).WithPathsRelativeTo(Path.GetDirectoryName(Path.GetFullPath(request.Policy))!);
            var inputs = await PolicyInputLoader.LoadAsync(document, request.Policy, ReadTextAsync, cancellationToken);
            if (request.ExceptionsFrom is { Length: > 0 } from)
            {
                document = document.WithGrantedExceptions(await GrantedExceptionsSource.LoadAsync(from, Environment.GetEnvironmentVariable, null, cancellationToken));
            }

            if (Directory.Exists(request.Report))
            {
                if (format == "sarif")
                {
                    throw new BadInputException("--format sarif takes one report, not a folder; use text or json.");
                }

                return await PolicyCheckBatch.RunAsync(request.Report, document, inputs, request, format, output, error, time, cancellationToken);
            }

            var reportBytes = await ReadBytesAsync(request.Report, cancellationToken);
            ScanReport scan;
            try
            {
                scan = ReportReader.Read(reportBytes);
            }
            catch (ReportFormatException e)
            {
                throw new BadInputException($"{request.Report}: {e.Message}");
            }

            var artifact = new ArtifactRef(request.Project ?? "", request.Repository ?? "", request.Digest ?? "");
            UpstreamEvidence? upstream = null;
            if (request.RequireFrom is not null)
            {
                (artifact, upstream) = await PolicyRequireFrom.CollectAsync(request, document, Environment.GetEnvironmentVariable, time, cancellationToken);
            }

            var decision = PolicyEvaluator.Evaluate(artifact, scan, document, time.GetUtcNow(), inputs, upstream);
            var rendered = format switch
            {
                "json" => DecisionRenderer.ToJson(decision),
                "sarif" => DecisionRenderer.ToSarif(decision, ToolVersion()),
                _ => DecisionRenderer.ToText(decision),
            };
            await output.WriteAsync(rendered.EndsWith('\n') ? rendered : rendered + "\n");
            return decision.Verdict == Verdict.Block && decision.Enforced ? ExitBlock : ExitPass;
        }
        catch (Exception e) when (e is BadInputException or PolicyFileException)
        {
            await error.WriteLineAsync("policy check: " + e.Message);
            return ExitBadInput;
        }
    }

    private static async Task<string> ReadTextAsync(string path, string what, CancellationToken cancellationToken) =>
        Encoding.UTF8.GetString(await ReadBytesAsync(path, cancellationToken, what));

    private static async Task<byte[]> ReadBytesAsync(string path, CancellationToken cancellationToken, string what = "report")
    {
        try
        {
            return await File.ReadAllBytesAsync(path, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BadInputException($"cannot read {what} file '{path}': {e.Message}");
        }
    }

    private static string ToolVersion() =>
        typeof(PolicyCheckCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    internal sealed class BadInputException(string message) : Exception(message);
}

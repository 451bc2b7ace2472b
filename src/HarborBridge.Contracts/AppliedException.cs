namespace HarborBridge.Contracts;

/// <summary>A policy exception that waived a finding in a decision (one entry per exception and vulnerability).</summary>
/// <param name="Id">The exception's <c>id</c> in the policy file (a vulnerability id, package name or package URL).</param>
/// <param name="Vulnerability">The id of the finding it waived, e.g. <c>CVE-2023-44487</c>.</param>
/// <param name="ExpiresAt">When the exception stops applying (00:00 UTC after its last day); null = never.</param>
public sealed record AppliedException(string Id, string Vulnerability, DateTimeOffset? ExpiresAt);

namespace HarborBridge.Contracts;

/// <summary>One finding that shaped a decision, as people need it to act: what, where, and the fix.</summary>
/// <param name="Id">Vulnerability id (e.g. <c>CVE-2023-44487</c>) or secret/misconfiguration rule id.</param>
/// <param name="Outcome">What the policy made of it: <c>Block</c> or <c>Warn</c>.</param>
public sealed record DecidingFinding(
    string Id,
    string Package,
    string? InstalledVersion,
    string? FixedVersion,
    string Severity,
    string? Link,
    string Outcome);

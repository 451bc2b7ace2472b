namespace HarborBridge.Core.Findings;

/// <summary>A report that is neither a Trivy JSON (<c>SchemaVersion: 2</c>) nor a Harbor vulnerability report,
/// or one whose structure is broken. The message says what is wrong and where, in one line.</summary>
public sealed class ReportFormatException(string message) : Exception(message);

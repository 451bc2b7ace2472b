namespace HarborBridge.Contracts;

/// <summary>The Harbor vulnerability report a decision was made from, exactly as Harbor returned it (its SHA-256 over the
/// UTF-8 bytes of <paramref name="Json"/> is the decision's <c>ReportDigest</c>). Carried by the verdict events so that the
/// signer attests this report without reading it from Harbor again.</summary>
/// <param name="MimeType">The report's MIME type (the key of Harbor's <c>additions/vulnerabilities</c> map).</param>
/// <param name="Json">The report object under that key.</param>
public sealed record DecidedReport(string MimeType, string Json);

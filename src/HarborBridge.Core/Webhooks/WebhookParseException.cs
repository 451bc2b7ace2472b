namespace HarborBridge.Core.Webhooks;

/// <summary>A webhook body that is not a Harbor event HarborBridge can act on. The message names the problem
/// and is safe to return to the caller (it never echoes field values).</summary>
public sealed class WebhookParseException(string message) : Exception(message);

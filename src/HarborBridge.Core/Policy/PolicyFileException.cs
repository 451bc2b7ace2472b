namespace HarborBridge.Core.Policy;

/// <summary>A policy file that cannot be used. The message names the line, column and field, in one line.</summary>
public sealed class PolicyFileException(string message) : Exception(message);

namespace HarborBridge.Core.Notifications;

/// <summary>A routing file that cannot be used. The message names the line, column and field, in one line.</summary>
public sealed class RoutingFileException(string message) : Exception(message);

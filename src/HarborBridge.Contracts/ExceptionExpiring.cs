namespace HarborBridge.Contracts;

/// <summary>A policy exception expires soon (a reminder to its owner) or has just expired.</summary>
/// <param name="ExceptionId">The exception's vulnerability or package id as written in the policy.</param>
/// <param name="Scope">Human-readable scope, e.g. <c>web/frontend/*</c> or <c>global</c>.</param>
/// <param name="DaysLeft">Whole days until expiry; 0 or less when it has expired.</param>
public sealed record ExceptionExpiring(
    string ExceptionId,
    string Scope,
    string? Owner,
    string? Ticket,
    string? Reason,
    DateTimeOffset Expires,
    int DaysLeft,
    DateTimeOffset At);

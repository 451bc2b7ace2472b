namespace HarborBridge.Core.Policy;

/// <summary>Port for the exceptions approved from exception requests (kept in the database, not in the policy file). The
/// decision path adds them to the file's with <see cref="PolicyDocument.WithGrantedExceptions"/>.</summary>
public interface IGrantedExceptions
{
    /// <summary>The approved exceptions whose last day is not over at <paramref name="now"/>.</summary>
    Task<IReadOnlyList<PolicyExceptionRule>> InForceAsync(DateTimeOffset now, CancellationToken cancellationToken);
}

/// <summary>No exceptions granted from requests: for hosts and tests that judge with the policy file alone.</summary>
public sealed class NoGrantedExceptions : IGrantedExceptions
{
    public static NoGrantedExceptions Instance { get; } = new();

    public Task<IReadOnlyList<PolicyExceptionRule>> InForceAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<PolicyExceptionRule>>([]);
}

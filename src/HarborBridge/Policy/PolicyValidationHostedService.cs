using HarborBridge.Core.Policy;

namespace HarborBridge.Policy;

/// <summary>Loads the policy at start: a broken policy file stops <c>serve</c> with a message naming the line and field.</summary>
internal sealed class PolicyValidationHostedService(PolicyProvider policies) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            policies.Validate();
        }
        catch (PolicyFileException e)
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(PolicyOptions.SectionName, typeof(PolicyOptions), [$"HarborBridge:Policy:File: {e.Message}"]);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

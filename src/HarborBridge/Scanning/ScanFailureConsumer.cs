using HarborBridge.Contracts;
using MassTransit;

namespace HarborBridge.Scanning;

/// <summary>A scan that failed or was stopped: once Harbor confirms it, hold, quarantine or allow, as the policy's
/// onScanFailure says, for an artifact not yet decided on a report.</summary>
internal sealed class ScanFailureConsumer(ScanFailureHandler failures) : IConsumer<ScanFailed>
{
    public Task Consume(ConsumeContext<ScanFailed> context) =>
        failures.HandleScanFailedEventAsync(context.Message, context, context.CancellationToken);
}

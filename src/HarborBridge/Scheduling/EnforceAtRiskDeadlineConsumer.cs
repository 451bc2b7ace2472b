using HarborBridge.Contracts;
using HarborBridge.Scheduling;
using MassTransit;

namespace HarborBridge.Scheduling;

/// <summary>A fix-by deadline passed: block the artifact unless a fix or an exception arrived.</summary>
internal sealed class EnforceAtRiskDeadlineConsumer(RescanService rescans) : IConsumer<EnforceAtRiskDeadline>
{
    public Task Consume(ConsumeContext<EnforceAtRiskDeadline> context) =>
        rescans.EnforceDeadlineAsync(context.Message, context, context.CancellationToken);
}

using MassTransit;

namespace HarborBridge.Hosting;

/// <summary>
/// Once the process is stopping (SIGTERM), no attempt at a message starts any more: neither the retry that follows a
/// retry delay nor a first attempt. The attempt waits instead until MassTransit cancels the consume token
/// (<c>HarborBridge:Messaging:StopTimeout</c>), and the message goes back to its queue unacknowledged, its retries
/// starting afresh on the next instance. Without this, a message whose last retry fell into the stop window would fail
/// it (Harbor still down) and land in its error queue with an operator alert during a routine restart. Sits inside the
/// message retry (one pass per attempt) and outside the outbox.
/// </summary>
internal sealed class StopGateFilter<T>(IHostApplicationLifetime lifetime) : IFilter<ConsumeContext<T>>
    where T : class
{
    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            // Ends with an OperationCanceledException for the consume token: not a fault, no error queue, no ack.
            await Task.Delay(Timeout.InfiniteTimeSpan, context.CancellationToken);
        }

        await next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("stop-gate");
}

using HarborBridge.Hosting;
using MassTransit;

namespace HarborBridge.Dashboard;

/// <summary>Keeps <c>harborbridge_messages_in_flight</c> up to date: +1 when a consumer starts on a message, −1 when it ends.</summary>
internal sealed class InFlightObserver : IConsumeObserver
{
    public Task PreConsume<T>(ConsumeContext<T> context)
        where T : class
    {
        HarborBridgeMetrics.MessagesInFlight.WithLabels(typeof(T).Name).Inc();
        return Task.CompletedTask;
    }

    public Task PostConsume<T>(ConsumeContext<T> context)
        where T : class
    {
        HarborBridgeMetrics.MessagesInFlight.WithLabels(typeof(T).Name).Dec();
        return Task.CompletedTask;
    }

    public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception)
        where T : class
    {
        HarborBridgeMetrics.MessagesInFlight.WithLabels(typeof(T).Name).Dec();
        return Task.CompletedTask;
    }
}

namespace HarborBridge.Hosting;

/// <summary>What a <c>serve</c> process does; large installs split roles across replicas.</summary>
[Flags]
internal enum ServerRoles
{
    None = 0,
    Webhook = 1,
    Worker = 2,
    Scheduler = 4,
    All = Webhook | Worker | Scheduler,
}

internal static class ServerRolesParser
{
    public static bool TryParse(string text, out ServerRoles roles, out string error)
    {
        roles = ServerRoles.None;
        error = "";
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var role = part.ToLowerInvariant() switch
            {
                "webhook" => ServerRoles.Webhook,
                "worker" => ServerRoles.Worker,
                "scheduler" => ServerRoles.Scheduler,
                "all" => ServerRoles.All,
                _ => ServerRoles.None,
            };
            if (role == ServerRoles.None)
            {
                error = $"Unknown role '{part}' in --roles; use webhook, worker, scheduler or all.";
                return false;
            }

            roles |= role;
        }

        if (roles == ServerRoles.None)
        {
            error = "--roles names no role; use webhook, worker, scheduler or all.";
            return false;
        }

        return true;
    }
}

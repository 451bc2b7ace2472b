namespace HarborBridge.HarborSimulator;

/// <summary>A robot account created through <c>/api/v2.0/robots</c>. <see cref="Name"/> is the name as created;
/// Harbor signs it in as <see cref="FullName"/>: <c>robot$name</c> for a system robot, <c>robot$project+name</c> for a
/// project robot (src/controller/robot/controller.go:120 and :260, prefix from src/common/const.go:143).</summary>
public sealed class SimRobot
{
    public const string Prefix = "robot$";

    public required long Id { get; init; }

    public required string Name { get; init; }

    public required string Level { get; init; }

    /// <summary>The project of a project-level robot, null for a system robot.</summary>
    public string? ProjectName { get; init; }

    public string? Description { get; set; }

    public bool Disabled { get; set; }

    public long Duration { get; set; } = -1;

    public required string Secret { get; set; }

    /// <summary>Kind (<c>project</c>/<c>system</c>), namespace (a project name, or <c>*</c> for every project) and the
    /// <c>resource:action</c> pairs granted there.</summary>
    public List<(string Kind, string Namespace, List<(string Resource, string Action)> Access)> Permissions { get; set; } = [];

    public DateTimeOffset CreatedAt { get; init; }

    public string FullName => Prefix + (ProjectName is null ? Name : $"{ProjectName}+{Name}");

    /// <summary>Whether a project permission on <paramref name="project"/> (or on <c>*</c>) grants <paramref name="resource"/>:<paramref name="action"/>.</summary>
    public bool Can(string project, string resource, string action) =>
        Permissions.Any(p => p.Kind == "project" && (p.Namespace == project || p.Namespace == "*")
            && p.Access.Any(a => a.Resource == resource && a.Action == action));
}

public sealed partial class SimulatorState
{
    public List<SimRobot> Robots { get; } = [];

    /// <summary>The robot a test created through the API, by the name it signs in with (null when none).</summary>
    public SimRobot? FindRobot(string fullName)
    {
        lock (Sync)
        {
            return Robots.FirstOrDefault(r => r.FullName == fullName);
        }
    }
}

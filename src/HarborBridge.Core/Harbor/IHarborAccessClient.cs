namespace HarborBridge.Core.Harbor;

/// <summary>Port to Harbor's robot accounts and RBAC (<c>/robots</c>, <c>/users/current/permissions</c>), used by
/// <c>harborbridge harbor connect</c> (as an admin) and <c>harborbridge harbor check</c> (as the robot). Failures are
/// <see cref="HarborApiException"/>s.</summary>
public interface IHarborAccessClient
{
    /// <summary>System-level robots whose name contains <paramref name="name"/> (Harbor filters with a fuzzy match).</summary>
    Task<IReadOnlyList<HarborRobot>> ListSystemRobotsAsync(string name, CancellationToken cancellationToken);

    /// <summary>Creates a system-level robot; the secret is returned once and only here.</summary>
    Task<HarborRobotCreated> CreateRobotAsync(HarborRobot robot, CancellationToken cancellationToken);

    Task UpdateRobotAsync(HarborRobot robot, CancellationToken cancellationToken);

    /// <summary>What the calling account may do in project <paramref name="projectId"/>, as
    /// <c>resource: action</c> pairs relative to the project (<c>GET /users/current/permissions?scope=/project/{id}&amp;relative=true</c>).</summary>
    Task<IReadOnlyList<HarborAccess>> GetCurrentPermissionsAsync(long projectId, CancellationToken cancellationToken);
}

/// <summary>One permission of a robot: <c>resource: action</c> as Harbor's robot form names them.</summary>
public sealed record HarborAccess(string Resource, string Action)
{
    public override string ToString() => $"{Resource}:{Action}";
}

/// <summary>The permissions of a robot on one namespace (<paramref name="Kind"/> <c>project</c> with a project name,
/// or <c>system</c> with <c>/</c>).</summary>
public sealed record HarborRobotPermission(string Kind, string Namespace, IReadOnlyList<HarborAccess> Access);

/// <summary>A robot account. <paramref name="Name"/> is the name as created (without <c>robot$</c>);
/// <paramref name="FullName"/> the one to sign in with. <paramref name="Duration"/> in days, -1 never expires.</summary>
public sealed record HarborRobot(
    long Id,
    string Name,
    string FullName,
    string Level,
    string? Description,
    bool Disabled,
    long Duration,
    IReadOnlyList<HarborRobotPermission> Permissions);

public sealed record HarborRobotCreated(long Id, string Name, string Secret);

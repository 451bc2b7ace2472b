namespace HarborBridge.UnitTests;

/// <summary>Files of the repository itself (README, docs/), found from the test's folder.</summary>
internal static class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "HarborBridge.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("HarborBridge.sln not found above the test's folder");
    }
}

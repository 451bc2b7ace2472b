using System.Runtime.CompilerServices;

namespace HarborBridge.Core.Harbor;

/// <summary>Walks Harbor's paged lists page by page until the <c>Link</c> header has no next page.</summary>
public static class HarborPages
{
    public const int MaxPageSize = 100;

    /// <summary>Every item of a paged list. <paramref name="maxPages"/> bounds the walk in case a server keeps
    /// announcing a next page.</summary>
    public static async IAsyncEnumerable<T> ReadAllAsync<T>(
        Func<int, int, CancellationToken, Task<HarborPage<T>>> fetchPage,
        int maxPages,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fetchPage);
        for (var page = 1; page <= maxPages; page++)
        {
            var result = await fetchPage(page, MaxPageSize, cancellationToken);
            foreach (var item in result.Items)
            {
                yield return item;
            }

            if (!result.HasNextPage || result.Items.Count == 0)
            {
                yield break;
            }
        }
    }
}

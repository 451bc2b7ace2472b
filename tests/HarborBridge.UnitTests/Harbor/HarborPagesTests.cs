using HarborBridge.Core.Harbor;

namespace HarborBridge.UnitTests.Harbor;

public sealed class HarborPagesTests
{
    [Fact]
    public async Task ReadAll_ThreePages_YieldsEveryItemAndStopsWithoutNext()
    {
        var requested = new List<int>();
        Task<HarborPage<int>> Fetch(int page, int size, CancellationToken _)
        {
            requested.Add(page);
            return Task.FromResult(page switch
            {
                1 => new HarborPage<int>([1, 2], 5, HasNextPage: true),
                2 => new HarborPage<int>([3, 4], 5, HasNextPage: true),
                _ => new HarborPage<int>([5], 5, HasNextPage: false),
            });
        }

        var items = new List<int>();
        await foreach (var item in HarborPages.ReadAllAsync<int>(Fetch, 10, TestTimeout.Token()))
        {
            items.Add(item);
        }

        Assert.Equal([1, 2, 3, 4, 5], items);
        Assert.Equal([1, 2, 3], requested);
    }

    [Fact]
    public async Task ReadAll_ServerAlwaysAnnouncesNext_StopsAtMaxPages()
    {
        var calls = 0;
        var items = new List<int>();
        await foreach (var item in HarborPages.ReadAllAsync<int>((_, _, _) =>
        {
            calls++;
            return Task.FromResult(new HarborPage<int>([calls], null, HasNextPage: true));
        }, 4, TestTimeout.Token()))
        {
            items.Add(item);
        }

        Assert.Equal(4, calls);
        Assert.Equal([1, 2, 3, 4], items);
    }
}

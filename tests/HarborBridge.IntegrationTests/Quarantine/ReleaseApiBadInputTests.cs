using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using HarborBridge.IntegrationTests.Harbor;

namespace HarborBridge.IntegrationTests.Quarantine;

/// <summary>Bad input to <c>POST /api/v1/artifacts/{digest}/release</c>: a clear 4xx problem+json, and the quarantined
/// artifact stays exactly as it was (label attached, state and history unchanged).</summary>
[Collection(QuarantineCollection.Name)]
public sealed class ReleaseApiBadInputTests(QuarantineFixture f)
{
    public static TheoryData<string, string?, string, string?, HttpStatusCode, string> Cases() => new()
    {
        // name, digest (null = the quarantined one), content type, body, expected status, expected title
        { "unknown digest", "sha256:" + new string('e', 64), "application/json", """{"reason":"r"}""", HttpStatusCode.NotFound, "Unknown artifact" },
        { "malformed digest", "sha256:XYZ", "application/json", """{"reason":"r"}""", HttpStatusCode.BadRequest, "Malformed digest" },
        { "missing reason", null, "application/json", """{"actor":"bob"}""", HttpStatusCode.BadRequest, "Bad release request" },
        { "blank reason", null, "application/json", """{"reason":"   "}""", HttpStatusCode.BadRequest, "Bad release request" },
        { "no body", null, "application/json", null, HttpStatusCode.BadRequest, "Bad release request" },
        { "not JSON", null, "application/json", "reason=x", HttpStatusCode.BadRequest, "Bad release request" },
        { "wrong content type", null, "text/plain", """{"reason":"r"}""", HttpStatusCode.BadRequest, "Bad release request" },
        // Audit probe A10: a trailing LF used to slip past the '$' anchor and end in 404.
        { "digest with a trailing LF", "sha256:" + new string('e', 64) + "\n", "application/json", """{"reason":"r"}""", HttpStatusCode.BadRequest, "Malformed digest" },
        // Audit probe A16 (50 MB answered by Kestrel, logged as an error): the release limit is 16 KiB by default.
        { "body larger than MaxReleaseBodyBytes", null, "application/json", "{\"reason\":\"" + new string('x', 20_000) + "\"}", HttpStatusCode.RequestEntityTooLarge, "Payload too large" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Release_BadInput_ClearProblemAndNothingChanged(string name, string? digest, string contentType, string? body, HttpStatusCode expected, string title)
    {
        var ct = TestServices.Timeout(180);
        var (artifact, before) = await QuarantinedAsync(ct);

        using var response = await f.ReleaseAsync(digest ?? artifact.Digest, new StringContent(body ?? "", Encoding.UTF8, contentType));

        Assert.True(expected == response.StatusCode, $"{name}: got {(int)response.StatusCode}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Equal(title, problem.GetProperty("title").GetString());
        Assert.Equal(before, await StateAsync(artifact, ct));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-token")]
    public async Task Release_BadToken_401AndNothingChanged(string? token)
    {
        var ct = TestServices.Timeout(180);
        var (artifact, before) = await QuarantinedAsync(ct);

        using var response = await f.ReleaseAsync(artifact.Digest, new { reason = "let me in" }, token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await StateAsync(artifact, ct));
    }

    [Fact]
    public async Task Release_SecondTime_409NotQuarantined()
    {
        var ct = TestServices.Timeout(180);
        var (artifact, _) = await QuarantinedAsync(ct);
        using (var first = await f.ReleaseAsync(artifact.Digest, new { reason = "fixed" }))
        {
            Assert.True(first.StatusCode == HttpStatusCode.OK, await first.Content.ReadAsStringAsync(ct));
        }

        var released = await StateAsync(artifact, ct);

        using var second = await f.ReleaseAsync(artifact.Digest, new { reason = "again" });

        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Equal(released, await StateAsync(artifact, ct));
    }

    private async Task<(Contracts.ArtifactRef Artifact, string State)> QuarantinedAsync(CancellationToken ct)
    {
        var artifact = await f.QuarantinedAsync("label", ct);
        return (artifact, await StateAsync(artifact, ct));
    }

    private async Task<string> StateAsync(Contracts.ArtifactRef a, CancellationToken ct)
    {
        var artifact = (await f.Harbor.GetArtifactAsync(a.Project, a.Repository, a.Digest, ct))!;
        var transitions = await f.TransitionsAsync(a.Digest);
        return JsonSerializer.Serialize(new
        {
            labels = artifact.Labels.Select(l => l.Name).Order().ToList(),
            transitions = transitions.Select(t => $"{t.ToState} {t.TransitionId}").ToList(),
        });
    }
}

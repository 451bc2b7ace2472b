// HarborBridge dashboard: plain JavaScript, no framework, no CDN. Every value from the API is put into the page as
// text (never as HTML). The admin token lives in sessionStorage (this tab only) and is sent as a Bearer token.
"use strict";

const TOKEN_KEY = "harborbridge.adminToken";
const COLORS = { Pass: "var(--pass)", Warn: "var(--warn)", Block: "var(--block)" };

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "style") el.style.cssText = String(value); // CSSOM: allowed by the CSP, a style attribute is not
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function svg(tag, attrs, ...children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attrs || {})) el.setAttribute(key, String(value));
  for (const child of children.flat()) {
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const token = () => sessionStorage.getItem(TOKEN_KEY);
const when = (iso) => (iso ? new Date(iso).toLocaleString() : "—");
const shortDigest = (digest) => digest.slice(0, 19) + "…";
const badge = (text) => h("span", { class: "badge " + text }, text);

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: { ...(options.headers || {}), Authorization: "Bearer " + token() },
  });
  if (response.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    route();
    throw new ApiError(401, "The admin token was refused; sign in again.");
  }
  const text = await response.text();
  const body = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const detail = body && (body.detail || body.title);
    throw new ApiError(response.status, `HTTP ${response.status}` + (detail ? `: ${detail}` : ""));
  }
  return body;
}

function show(...children) {
  const view = document.getElementById("view");
  view.replaceChildren(...children.filter((c) => c !== null && c !== undefined));
  view.hidden = false;
}

// ---- login --------------------------------------------------------------------------------------------------
async function login(event) {
  event.preventDefault();
  const value = document.getElementById("token").value.trim();
  const error = document.getElementById("login-error");
  error.textContent = "";
  const response = await fetch("/api/v1/artifacts?limit=1", { headers: { Authorization: "Bearer " + value } });
  if (!response.ok) {
    error.textContent = response.status === 401 ? "That token was not accepted." : `The server answered ${response.status}.`;
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, value);
  document.getElementById("token").value = "";
  route();
}

// ---- quarantine board ----------------------------------------------------------------------------------------
function quarantineSince(detail, artifact) {
  const into = detail.transitions.filter((t) => t.toState === "Quarantined"
    && t.artifact.project === artifact.artifact.project && t.artifact.repository === artifact.artifact.repository);
  return into.length ? into[into.length - 1] : null;
}

function latestDecision(detail, artifact) {
  const mine = detail.decisions.filter((d) => d.artifact.project === artifact.artifact.project
    && d.artifact.repository === artifact.artifact.repository);
  return mine.length ? mine[mine.length - 1] : null;
}

async function board() {
  show(h("h1", {}, "Quarantine board"), h("p", { class: "muted" }, "Loading…"));
  const list = await api("/api/v1/artifacts?state=Quarantined&limit=200");
  const details = await Promise.all(list.items.map((a) => api("/api/v1/artifacts/" + encodeURIComponent(a.artifact.digest))));
  const rows = list.items.map((a, i) => {
    const entered = quarantineSince(details[i], a);
    const decision = latestDecision(details[i], a);
    const tags = a.tags.length ? " (" + a.tags.join(", ") + ")" : "";
    return h("tr", { "data-digest": a.artifact.digest },
      h("td", {}, h("a", { href: "#/artifact/" + a.artifact.digest }, a.artifact.repository + tags),
        h("div", { class: "mono muted" }, shortDigest(a.artifact.digest))),
      h("td", {}, a.artifact.project),
      h("td", { class: "why" }, entered ? entered.cause : decision ? decision.reason : "—"),
      h("td", {}, when(entered ? entered.at : a.updatedAt)),
      h("td", { class: "muted" }, a.pusher || "—"));
  });
  show(
    h("h1", {}, "Quarantine board"),
    h("p", { class: "muted" }, `${list.items.length} artifact(s) quarantined. Open one to see why and to release it.`),
    rows.length
      ? h("table", { id: "board" },
          h("thead", {}, h("tr", {}, ["Artifact", "Project", "Why", "Quarantined since", "Pushed by"].map((c) => h("th", {}, c)))),
          h("tbody", {}, rows))
      : h("p", { id: "board-empty", class: "card" }, "Nothing is quarantined."));
}

// ---- all artifacts (paged, most recently changed first, filter by state) ----------------------------------------
const STATES = ["Received", "Scanning", "Approved", "Warned", "AtRisk", "Quarantined", "Released", "ScanFailed", "Deleted"];
const PAGE = 50;

function artifactsHash(state, offset) {
  const query = new URLSearchParams();
  if (state) query.set("state", state);
  if (offset) query.set("offset", String(offset));
  const text = query.toString();
  return "#/artifacts" + (text ? "?" + text : "");
}

async function allArtifacts(query) {
  const state = STATES.includes(query.get("state")) ? query.get("state") : "";
  const offset = Math.max(0, parseInt(query.get("offset") || "0", 10) || 0);
  show(h("h1", {}, "All artifacts"), h("p", { class: "muted" }, "Loading…"));
  const params = new URLSearchParams({ limit: String(PAGE), offset: String(offset) });
  if (state) params.set("state", state);
  const list = await api("/api/v1/artifacts?" + params);
  const filter = h("select", { id: "state-filter", onchange: (e) => { location.hash = artifactsHash(e.target.value, 0); } },
    h("option", { value: "" }, "any state"),
    STATES.map((s) => h("option", { value: s, selected: s === state }, s)));
  const rows = list.items.map((a) => h("tr", { "data-digest": a.artifact.digest },
    h("td", {}, h("a", { href: "#/artifact/" + a.artifact.digest }, a.artifact.repository + (a.tags.length ? " (" + a.tags.join(", ") + ")" : "")),
      h("div", { class: "mono muted" }, shortDigest(a.artifact.digest))),
    h("td", {}, a.artifact.project),
    h("td", {}, badge(a.state)),
    h("td", {}, when(a.updatedAt)),
    h("td", { class: "muted" }, a.pusher || "—")));
  show(
    h("h1", {}, "All artifacts"),
    h("p", {}, h("label", { for: "state-filter" }, "State "), filter),
    rows.length
      ? h("table", { id: "artifacts" },
          h("thead", {}, h("tr", {}, ["Artifact", "Project", "State", "Last change", "Pushed by"].map((c) => h("th", {}, c)))),
          h("tbody", {}, rows))
      : h("p", { id: "artifacts-empty", class: "card" }, offset ? "No more artifacts." : "No artifacts."),
    h("p", { id: "pager" },
      offset > 0 ? h("a", { href: artifactsHash(state, Math.max(0, offset - PAGE)) }, "← newer") : null,
      ` ${list.items.length ? offset + 1 : offset}–${offset + list.items.length} `,
      list.next !== null && list.next !== undefined ? h("a", { href: artifactsHash(state, list.next) }, "older →") : null));
}

// ---- artifact page ------------------------------------------------------------------------------------------
// Links come from scanner reports: only http(s) becomes a link (decisions stored before the server checked it too).
function webLink(url) {
  try { return ["http:", "https:"].includes(new URL(url).protocol); } catch { return false; }
}

function findingsTable(decision) {
  if (!decision || decision.findings.length === 0) return h("p", { class: "muted" }, "No deciding findings.");
  return h("table", { id: "findings" },
    h("thead", {}, h("tr", {}, ["Finding", "Package", "Installed", "Fixed in", "Severity", "Outcome"].map((c) => h("th", {}, c)))),
    h("tbody", {}, decision.findings.map((f) => h("tr", {},
      h("td", {}, webLink(f.link) ? h("a", { href: f.link, rel: "noreferrer noopener", target: "_blank" }, f.id) : f.id),
      h("td", {}, f.package),
      h("td", { class: "mono" }, f.installedVersion || "—"),
      h("td", { class: "mono fix" }, f.fixedVersion || "no fix yet"),
      h("td", {}, f.severity),
      h("td", {}, badge(f.outcome))))));
}

function releaseForm(digest) {
  const reason = h("textarea", { id: "release-reason", rows: 3, required: true, placeholder: "Why is it safe to release? (required, kept in the audit trail)" });
  const button = h("button", { id: "release", type: "submit", disabled: true }, "Release from quarantine");
  const result = h("p", { id: "action-result", role: "status" });
  reason.addEventListener("input", () => { button.disabled = reason.value.trim() === ""; });
  const form = h("form", {
    id: "release-form",
    onsubmit: async (event) => {
      event.preventDefault();
      button.disabled = true;
      result.className = "";
      result.textContent = "Releasing…";
      try {
        await api("/api/v1/artifacts/" + encodeURIComponent(digest) + "/release", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ reason: reason.value.trim() }),
        });
        await artifact(digest, "Released.");
      } catch (e) {
        result.className = "error";
        result.textContent = "Release failed: " + e.message;
        button.disabled = reason.value.trim() === "";
      }
    },
  }, h("label", { for: "release-reason" }, "Reason"), reason, button, result);
  return form;
}

function exceptionRequestForm(d, decision) {
  const a = d.artifacts[0].artifact;
  const blocking = decision ? [...new Set(decision.findings.filter((f) => f.outcome === "Block").map((f) => f.id))] : [];
  const finding = h("input", { id: "exr-finding", list: "exr-findings", required: true, value: blocking[0] || "",
    placeholder: "CVE-…, GHSA-…, pkg:… or a package name" });
  const findings = h("datalist", { id: "exr-findings" }, blocking.map((id) => h("option", { value: id })));
  const repository = h("input", { id: "exr-repository", value: a.repository });
  const onlyThis = h("input", { id: "exr-digest-only", type: "checkbox" });
  const reason = h("textarea", { id: "exr-reason", rows: 3, required: true, placeholder: "Why does the finding not matter here? (required, sent to the owners)" });
  const expires = h("input", { id: "exr-expires", type: "date", required: true });
  const requester = h("input", { id: "exr-requester", required: true, placeholder: "your user name or e-mail" });
  const button = h("button", { id: "exr-submit", type: "submit" }, "Request an exception");
  const result = h("p", { id: "exr-result", role: "status" });
  return h("form", {
    id: "exception-request-form",
    onsubmit: async (event) => {
      event.preventDefault();
      button.disabled = true;
      result.className = "";
      result.textContent = "Sending…";
      try {
        const created = await api("/api/v1/exceptions/requests", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({
            findingId: finding.value.trim(), project: a.project, repository: repository.value.trim() || null,
            digest: onlyThis.checked ? d.digest : null, reason: reason.value.trim(), expires: expires.value, requester: requester.value.trim(),
          }),
        });
        await artifact(d.digest, `Exception requested (${created.requestId}); team ${created.team} was asked to approve it.`);
      } catch (e) {
        result.className = "error";
        result.textContent = "Request refused: " + e.message;
        button.disabled = false;
      }
    },
  },
  h("label", { for: "exr-finding" }, "Finding"), finding, findings,
  h("label", { for: "exr-repository" }, `Repository in ${a.project} (a pattern such as team/* is allowed)`), repository,
  h("label", { for: "exr-digest-only" }, onlyThis, " Only this digest"),
  h("label", { for: "exr-reason" }, "Reason"), reason,
  h("label", { for: "exr-expires" }, "Last day it applies"), expires,
  h("label", { for: "exr-requester" }, "Requested by"), requester,
  button, result);
}

function exceptionHistory(d) {
  const steps = d.events.filter((e) => e.eventType.startsWith("EXCEPTION_"));
  if (steps.length === 0) return null;
  return h("table", { id: "exception-history" },
    h("thead", {}, h("tr", {}, ["When", "Step", "By", "Detail"].map((c) => h("th", {}, c)))),
    h("tbody", {}, steps.map((e) => h("tr", {},
      h("td", {}, when(e.occurredAt)), h("td", {}, e.eventType.slice("EXCEPTION_".length).toLowerCase()), h("td", {}, e.operator || "—"),
      h("td", {}, e.details || "")))));
}

async function artifact(digest, notice) {
  show(h("h1", {}, "Artifact"), h("p", { class: "muted" }, "Loading…"));
  const d = await api("/api/v1/artifacts/" + encodeURIComponent(digest));
  const states = [...new Set(d.artifacts.map((a) => a.state))];
  const quarantined = states.includes("Quarantined");
  const blocked = quarantined || states.includes("AtRisk");
  const latest = d.decisions.length ? d.decisions[d.decisions.length - 1] : null;
  show(
    h("p", {}, h("a", { href: "#/" }, "← Quarantine board")),
    h("h1", {}, d.artifacts.map((a) => `${a.artifact.project}/${a.artifact.repository}`).join(", ")),
    notice ? h("p", { class: "ok", id: "notice" }, notice) : null,
    h("div", { class: "card facts" },
      h("span", {}, "Digest"), h("span", { class: "mono" }, d.digest),
      h("span", {}, "State"), h("span", { id: "state" }, states.map(badge)),
      h("span", {}, "Tags"), h("span", {}, d.artifacts.flatMap((a) => a.tags).join(", ") || "—"),
      h("span", {}, "Pushed"), h("span", {}, d.artifacts.map((a) => `${when(a.pushedAt)} by ${a.pusher || "unknown"}`).join("; "))),
    h("h2", {}, "Actions"),
    quarantined ? releaseForm(d.digest) : blocked ? null : h("p", { class: "muted" }, "No action available in this state."),
    blocked ? h("h3", {}, "Request an exception") : null,
    blocked ? exceptionRequestForm(d, latest) : null,
    exceptionHistory(d) ? h("h2", {}, "Exception requests") : null,
    exceptionHistory(d),
    h("h2", {}, "Findings that decided it"),
    latest ? h("p", {}, badge(latest.verdict), " ", latest.reason) : null,
    findingsTable(latest),
    h("h2", {}, "Decision history"),
    d.decisions.length
      ? h("table", { id: "decisions" },
          h("thead", {}, h("tr", {}, ["When", "Verdict", "Reason", "Policy version", "Cause"].map((c) => h("th", {}, c)))),
          h("tbody", {}, d.decisions.map((x) => h("tr", {},
            h("td", {}, when(x.decidedAt)), h("td", {}, badge(x.verdict), x.enforced ? "" : " (not enforced)"),
            h("td", {}, x.reason), h("td", { class: "mono" }, x.policyVersion), h("td", { class: "mono" }, x.cause)))))
      : h("p", { class: "muted" }, "No decision yet."),
    h("h2", {}, "State changes"),
    h("table", { id: "transitions" },
      h("thead", {}, h("tr", {}, ["When", "From", "To", "Why", "By"].map((c) => h("th", {}, c)))),
      h("tbody", {}, d.transitions.map((t) => h("tr", {},
        h("td", {}, when(t.at)), h("td", {}, t.fromState || "—"), h("td", {}, badge(t.toState)), h("td", {}, t.cause), h("td", {}, t.actor))))),
    h("h2", {}, "HarborBridge's signatures"),
    d.signatures.length
      ? h("table", { id: "signatures" },
          h("thead", {}, h("tr", {}, ["Signed", "Format", "Signature manifest", "Key", "Repository"].map((c) => h("th", {}, c)))),
          h("tbody", {}, d.signatures.map((s) => h("tr", {},
            h("td", {}, when(s.signedAt)), h("td", {}, s.format), h("td", { class: "mono" }, s.digest),
            h("td", { class: "mono" }, s.keyId), h("td", {}, `${s.project}/${s.repository}`)))))
      : null,
    quarantined
      ? h("p", { class: "muted" }, "Quarantined: HarborBridge does not sign it now" + (d.signatures.length ? " (signatures above were written before)." : "."))
      : d.signatures.length ? null : h("p", { class: "muted" }, "No signature recorded by HarborBridge."));
}

// ---- decisions over time --------------------------------------------------------------------------------------
function chart(buckets, bucket) {
  const width = 960, height = 260, left = 36, bottom = 28, top = 10;
  const max = Math.max(1, ...buckets.map((b) => b.pass + b.warn + b.block));
  const slot = (width - left) / buckets.length;
  const scale = (height - bottom - top) / max;
  const bars = [];
  buckets.forEach((b, i) => {
    let y = height - bottom;
    for (const [verdict, n] of [["Pass", b.pass], ["Warn", b.warn], ["Block", b.block]]) {
      if (n === 0) continue;
      y -= n * scale;
      bars.push(svg("rect", { x: left + i * slot + 2, y, width: Math.max(1, slot - 4), height: n * scale, fill: COLORS[verdict], "data-verdict": verdict },
        svg("title", {}, `${new Date(b.start).toLocaleString()}: ${n} ${verdict}`)));
    }
    if (i % Math.ceil(buckets.length / 8) === 0) {
      const start = new Date(b.start);
      const label = bucket === "hour" ? start.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : start.toLocaleDateString();
      bars.push(svg("text", { x: left + i * slot, y: height - 8 }, label));
    }
  });
  return svg("svg", { id: "chart", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "Decisions over time" },
    svg("line", { x1: left, y1: height - bottom, x2: width, y2: height - bottom, stroke: "#999" }),
    svg("text", { x: 0, y: top + 10 }, String(max)),
    svg("text", { x: 0, y: height - bottom }, "0"),
    bars);
}

async function activity(bucket) {
  show(h("h1", {}, "Decisions over time"), h("p", { class: "muted" }, "Loading…"));
  const stats = await api("/api/v1/stats/decisions?bucket=" + bucket);
  const total = (key) => stats.buckets.reduce((sum, b) => sum + b[key], 0);
  show(
    h("h1", {}, "Decisions over time"),
    h("p", {},
      h("a", { href: "#/activity/hour" }, "last 24 hours (hourly)"), " · ", h("a", { href: "#/activity/day" }, "last 30 days (daily)")),
    h("p", { class: "legend", id: "totals" },
      h("span", {}, h("i", { style: "background:var(--pass)" }), `Pass ${total("pass")}`),
      h("span", {}, h("i", { style: "background:var(--warn)" }), `Warn ${total("warn")}`),
      h("span", {}, h("i", { style: "background:var(--block)" }), `Block ${total("block")}`)),
    h("div", { class: "card" }, chart(stats.buckets, bucket)));
}

// ---- policy impact preview ------------------------------------------------------------------------------------
const CHANGE_WORDS = { blocked: "newly blocked", warned: "newly warned", released: "released", cleared: "cleared" };

function impactView(impact) {
  const count = (change) => impact.scopes.reduce((sum, s) => sum + (change === "unchanged" ? s.unchanged : s.changes.filter((c) => c.change === change).length), 0);
  const totals = Object.keys(CHANGE_WORDS).map((c) => `${count(c)} ${CHANGE_WORDS[c]}`).concat(`${count("unchanged")} unchanged`).join(", ");
  return h("div", { id: "preview-result" },
    h("p", { id: "preview-totals" }, `${impact.judged} decided artifact(s) judged on their stored reports: ${totals}. Nothing was changed.`),
    ...impact.notes.map((n) => h("p", { class: "muted" }, "Note: " + n)),
    ...impact.scopes.map((scope) => h("div", { class: "card" },
      h("h2", {}, scope.scope),
      h("p", { class: "muted" }, `${scope.changes.length} change(s), ${scope.unchanged} unchanged`),
      scope.changes.length === 0 ? null : h("table", {},
        h("thead", {}, h("tr", {}, ...["Change", "Artifact", "Now", "Candidate", "Why"].map((t) => h("th", {}, t)))),
        h("tbody", {}, ...scope.changes.map((c) => h("tr", {},
          h("td", {}, badge(CHANGE_WORDS[c.change] || c.change)),
          h("td", {}, h("a", { href: "#/artifact/" + encodeURIComponent(c.artifact.digest) }, `${c.artifact.project}/${c.artifact.repository}@${c.artifact.digest.slice(0, 19)}…`)),
          h("td", {}, c.from),
          h("td", {}, c.verdict.toUpperCase() + (c.fixBy ? ` (quarantined at ${c.fixBy})` : "")),
          h("td", {}, c.reason, ...c.findings.slice(0, 5).map((f) => h("div", { class: "muted" }, `${f.id} ${f.severity} ${f.package} ${f.version}`))))))))));
}

function policyPreview() {
  const yaml = h("textarea", { id: "preview-policy", rows: 14, required: true, placeholder: "Paste the candidate policy file (YAML)" });
  const button = h("button", { id: "preview-run", type: "submit" }, "Preview");
  const result = h("div", { id: "preview-output", role: "status" });
  const form = h("form", {
    id: "preview-form",
    onsubmit: async (event) => {
      event.preventDefault();
      button.disabled = true;
      result.replaceChildren(h("p", { class: "muted" }, "Judging every decided artifact…"));
      try {
        const impact = await api("/api/v1/policy/preview", { method: "POST", headers: { "Content-Type": "application/yaml" }, body: yaml.value });
        result.replaceChildren(impactView(impact));
      } catch (e) {
        result.replaceChildren(h("p", { class: "error", role: "alert" }, "Preview failed: " + e.message));
      } finally {
        button.disabled = false;
      }
    },
  }, h("label", { for: "preview-policy" }, "Candidate policy"), yaml, button);
  show(h("h1", {}, "Policy impact preview"),
    h("p", { class: "muted" }, "What a policy would change if it replaced the one in force: judged on each artifact's stored report, without Harbor or registry calls."),
    form, result);
}

// ---- routing --------------------------------------------------------------------------------------------------
async function route() {
  const signedIn = Boolean(token());
  document.getElementById("login").hidden = signedIn;
  document.getElementById("nav").hidden = !signedIn;
  document.getElementById("view").hidden = !signedIn;
  if (!signedIn) return;
  const hash = location.hash || "#/";
  try {
    if (hash.startsWith("#/artifact/")) await artifact(decodeURIComponent(hash.slice("#/artifact/".length)));
    else if (hash === "#/artifacts" || hash.startsWith("#/artifacts?")) await allArtifacts(new URLSearchParams(hash.split("?")[1] || ""));
    else if (hash === "#/policy-preview") policyPreview();
    else if (hash.startsWith("#/activity")) await activity(hash === "#/activity/day" ? "day" : "hour");
    else await board();
  } catch (e) {
    if (e.status !== 401) show(h("p", { class: "error", role: "alert" }, "Could not load: " + e.message));
  }
}

// `harborbridge demo` prints the dashboard address as /#token=<admin token> (a fragment is never sent to the server):
// keep the token for this tab, take it out of the address bar and history, and show all artifacts.
if (location.hash.startsWith("#token=")) {
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(location.hash.slice("#token=".length)));
  history.replaceState(null, "", location.pathname + location.search + "#/artifacts");
}

document.getElementById("login-form").addEventListener("submit", login);
document.getElementById("logout").addEventListener("click", () => { sessionStorage.removeItem(TOKEN_KEY); route(); });
window.addEventListener("hashchange", route);
route();

/**
 * The dashboard: one self-contained HTML page (no external assets) served at `/` by every
 * node. It polls `/v1/status` of the node that served it, learns the other members' HTTP
 * URLs from its `peers`, and polls each of them too (they answer with
 * `Access-Control-Allow-Origin: *`). It shows roles, terms, leader, commit/applied index,
 * each member's suspicion of each peer, recent leader changes, and an "Availability" panel
 * from every member's `GET /v1/slo` (per member and summed for the cluster; see
 * slo-panel.ts, whose helpers are serialised into the page). A member that does not answer
 * `/v1/slo` shows why in its row; the rest of the page is unaffected.
 */
import { SLO_PANEL_SCRIPT } from './slo-panel.js';

export const DASHBOARD_POLL_MS = 1000;

export function dashboardHtml(): string {
  // Replacer functions: the inserted code must not be read as `$&`-style patterns.
  return PAGE.replace('__POLL_MS__', () => String(DASHBOARD_POLL_MS)).replace('__SLO_PANEL_SCRIPT__', () => SLO_PANEL_SCRIPT);
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>nines — cluster</title>
<style>
  :root { --bg:#0f1419; --panel:#171d24; --line:#26303b; --text:#d7dde4; --dim:#8694a3;
          --leader:#f5c542; --ok:#3ecf8e; --warn:#f0a04b; --bad:#f0604b; }
  * { box-sizing: border-box; }
  body { margin:0; background:var(--bg); color:var(--text); font:14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
  header { display:flex; align-items:baseline; gap:16px; padding:16px 24px; border-bottom:1px solid var(--line); }
  header h1 { margin:0; font-size:18px; letter-spacing:.5px; }
  header .sub { color:var(--dim); }
  main { padding:20px 24px; display:grid; gap:20px; }
  section { background:var(--panel); border:1px solid var(--line); border-radius:8px; padding:14px 16px; }
  section h2 { margin:0 0 10px; font-size:13px; text-transform:uppercase; letter-spacing:1px; color:var(--dim); }
  table { border-collapse:collapse; width:100%; }
  th, td { text-align:left; padding:6px 10px; border-bottom:1px solid var(--line); white-space:nowrap; }
  th { color:var(--dim); font-weight:500; font-size:12px; }
  td.num { font-variant-numeric: tabular-nums; text-align:right; }
  th.num { text-align:right; }
  .role { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; border:1px solid var(--line); }
  .role.leader { color:#1a1400; background:var(--leader); border-color:var(--leader); }
  .role.follower { color:var(--ok); }
  .role.candidate, .role.precandidate { color:var(--warn); }
  .down { color:var(--bad); }
  .cell { display:inline-block; min-width:64px; padding:2px 8px; border-radius:4px; text-align:center; font-variant-numeric:tabular-nums; }
  .s0 { background:#163526; color:var(--ok); } .s1 { background:#3a3115; color:var(--leader); }
  .s2 { background:#41281a; color:var(--warn); } .s3 { background:#4a1e1a; color:var(--bad); }
  .muted { color:var(--dim); }
  ul.changes { list-style:none; margin:0; padding:0; max-height:260px; overflow:auto; }
  ul.changes li { padding:4px 0; border-bottom:1px solid var(--line); }
  tr.cluster td { background:#1b232c; }
  .budget { display:inline-block; width:110px; height:10px; background:var(--line); border-radius:5px; overflow:hidden; vertical-align:middle; }
  .budget .bar { display:block; height:100%; }
  .bar.ok { background:var(--ok); } .bar.warn { background:var(--warn); } .bar.bad { background:var(--bad); }
  .alert { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; font-weight:600; }
  .alert.page { background:var(--bad); color:#1a0604; } .alert.ticket { background:var(--warn); color:#1a1004; }
  code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size:12px; }
</style>
</head>
<body>
<header><h1>nines</h1><span class="sub" id="summary">connecting…</span></header>
<main>
  <section><h2>Members</h2>
    <table><thead><tr><th>name</th><th>role</th><th>leader</th><th class="num">term</th><th class="num">commit</th>
      <th class="num">applied</th><th class="num">revision</th><th>detector</th><th>endpoint</th></tr></thead>
      <tbody id="members"></tbody></table>
  </section>
  <section><h2>Suspicion (row: observer, column: peer)</h2>
    <table><thead id="suspicion-head"></thead><tbody id="suspicion"></tbody></table>
    <p class="muted">0 = trusted; accrual detectors show φ, boolean ones ∞ when suspecting. Colour: green trusted, yellow rising, red suspected.</p>
  </section>
  <section id="availability"><h2>Availability</h2>
    <table><thead><tr><th>member</th><th>objective</th><th class="num">SLI</th><th class="num">target</th><th>error budget left</th>
      <th class="num">burn 5m</th><th class="num">burn 1h</th><th class="num">burn 6h</th><th class="num">burn 3d</th><th>firing alerts</th></tr></thead>
      <tbody id="slo"><tr><td colspan="10" class="muted">waiting for /v1/slo…</td></tr></tbody></table>
    <p class="muted">Over each member's SLO period; cluster = members' counts summed. Burn rate 1 spends the budget exactly over the period;
      colour: green ≤ 1, yellow ≤ 2, orange ≤ 10, red above. Alerts: <span class="alert page">page</span> <span class="alert ticket">ticket</span> (long/short window).</p>
  </section>
  <section><h2>Recent leader changes</h2><ul class="changes" id="changes"></ul></section>
</main>
<script>
"use strict";
const POLL_MS = __POLL_MS__;
const known = new Map();   // httpUrl -> last status or null
known.set(location.origin, null);
const sloKnown = new Map(); // httpUrl -> { doc } or { error }
__SLO_PANEL_SCRIPT__
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;","'":"&#39;"}[c]));
const fmt = (x) => x === null || x === undefined ? "never heard" : (typeof x === "number" ? (x > 1e300 ? "∞" : (Number.isInteger(x) ? String(x) : x.toFixed(2))) : String(x));
function level(p) {
  if (p.suspicion === null) return "s1";
  if (p.suspected) return "s3";
  if (p.suspicion === 0) return "s0";
  return p.suspicion < 1 ? "s1" : "s2";
}
async function fetchStatus(url) {
  try {
    const res = await fetch(url + "/v1/status", { cache: "no-store", signal: AbortSignal.timeout(POLL_MS * 2) });
    if (!res.ok) return null;
    return await res.json();
  } catch { return null; }
}
async function fetchSlo(url) {
  try {
    const res = await fetch(url + "/v1/slo", { cache: "no-store", signal: AbortSignal.timeout(POLL_MS * 2) });
    if (res.status === 404) return { error: "no SLOs served (GET /v1/slo: 404)" };
    if (!res.ok) return { error: "GET /v1/slo: HTTP " + res.status };
    const doc = await res.json();
    if (!doc || doc.format !== "nines-slo-status" || !doc.spec || !doc.snapshot) return { error: "GET /v1/slo: not a nines SLO document" };
    return { doc };
  } catch { return { error: "unreachable" }; }
}
async function poll() {
  const urls = [...known.keys()];
  const [results, slos] = await Promise.all([Promise.all(urls.map(fetchStatus)), Promise.all(urls.map(fetchSlo))]);
  urls.forEach((u, i) => { known.set(u, results[i]); sloKnown.set(u, slos[i]); });
  for (const s of results) {
    if (!s) continue;
    for (const p of s.peers) if (p.httpUrl && !known.has(p.httpUrl)) known.set(p.httpUrl, null);
  }
  render();
}
function render() {
  const rows = [...known.entries()].map(([url, s]) => ({ url, s })).sort((a, b) => (a.s?.name ?? a.url).localeCompare(b.s?.name ?? b.url));
  const up = rows.filter((r) => r.s);
  const leaders = new Set(up.filter((r) => r.s.role === "leader").map((r) => r.s.name));
  const term = Math.max(0, ...up.map((r) => r.s.term));
  document.getElementById("summary").textContent =
    up.length + "/" + rows.length + " members answering · leader " + (leaders.size ? [...leaders].join(", ") : "none") + " · term " + term + " · " + new Date().toLocaleTimeString();
  document.getElementById("members").innerHTML = rows.map(({ url, s }) => s ?
    "<tr><td>" + esc(s.name) + "</td><td><span class='role " + esc(s.role) + "'>" + esc(s.role) + "</span></td><td>" + esc(s.leaderName || "–") +
    "</td><td class='num'>" + s.term + "</td><td class='num'>" + s.commitIndex + "</td><td class='num'>" + s.appliedIndex +
    "</td><td class='num'>" + s.revision + "</td><td>" + esc(s.detector) + "</td><td><code>" + esc(url) + "</code></td></tr>"
    : "<tr><td class='down'>?</td><td class='down'>unreachable</td><td colspan='6'></td><td><code>" + esc(url) + "</code></td></tr>").join("");
  const names = rows.map((r) => r.s?.name).filter(Boolean);
  document.getElementById("suspicion-head").innerHTML = "<tr><th></th>" + names.map((n) => "<th>" + esc(n) + "</th>").join("") + "</tr>";
  document.getElementById("suspicion").innerHTML = up.map(({ s }) => "<tr><th>" + esc(s.name) + "</th>" + names.map((n) => {
    if (n === s.name) return "<td class='muted'>—</td>";
    const p = s.peers.find((q) => q.name === n);
    return p ? "<td><span class='cell " + level(p) + "'>" + fmt(p.suspicion) + "</span></td>" : "<td></td>";
  }).join("") + "</tr>").join("");
  const changes = new Map();
  for (const { s } of up) for (const c of s.leaderChanges) changes.set(c.term + "/" + c.leader, c);
  document.getElementById("changes").innerHTML = [...changes.values()].sort((a, b) => b.at.localeCompare(a.at)).slice(0, 30)
    .map((c) => "<li><code>" + esc(new Date(c.at).toLocaleTimeString()) + "</code> term " + c.term + " → " + (c.leaderName ? "<b>" + esc(c.leaderName) + "</b>" : "<span class='down'>no leader</span>") + "</li>").join("")
    || "<li class='muted'>none seen yet</li>";
  renderSlo(rows);
}
function renderSlo(rows) {
  const sum = (docs) => { try { return sloSummarise(docs, SLO_PANEL_WINDOWS_MS); } catch { return null; } };
  const members = rows.map(({ url, s }) => {
    const r = sloKnown.get(url);
    const label = s?.name ?? r?.doc?.member ?? url;
    if (!r) return { label, isCluster: false, sum: null, error: "waiting…" };
    if (!r.doc) return { label, isCluster: false, sum: null, error: r.error };
    const one = sum([r.doc]);
    return { label, isCluster: false, sum: one, error: one ? "" : "GET /v1/slo: malformed document", doc: one ? r.doc : null };
  });
  const docs = members.map((m) => m.doc).filter(Boolean);
  const answering = docs.length + "/" + members.length + " members";
  const cluster = docs.length
    ? { label: "cluster (" + answering + ")", isCluster: true, sum: sum(docs), error: "GET /v1/slo: malformed document" }
    : { label: "cluster", isCluster: true, sum: null, error: "no member answered GET /v1/slo" };
  document.getElementById("slo").innerHTML = sloPanelRows([cluster, ...members], SLO_PANEL_WINDOWS_MS);
}
poll();
setInterval(poll, POLL_MS);
</script>
</body>
</html>
`;

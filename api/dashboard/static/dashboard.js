// dockform dashboard: plain JavaScript, no build step, no other host. It follows the daemon's
// SSE event stream and swaps in HTML fragments the daemon renders (/ui/rows, /ui/summary, an
// object's /status); every action (diff, apply, delete, sync) goes through the /v1 API, with
// the page's CSRF token when the page came over TCP with the session cookie.
// A module: its names stay its own (a function named `history` would hide window.history).
"use strict";

const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

async function api(method, url, { body, type, headers = {} } = {}) {
  const sent = { ...headers };
  if (csrf) sent["X-CSRF-Token"] = csrf;
  if (type) sent["Content-Type"] = type;
  const response = await fetch(url, { method, headers: sent, body, credentials: "same-origin" });
  const text = await response.text();
  let data;
  try { data = JSON.parse(text); } catch { data = { error: text }; }
  if (response.status === 401) toLogin();
  return { ok: response.ok, status: response.status, data };
}

function toLogin() {
  location.href = "/ui/login?next=" + encodeURIComponent(location.pathname + location.search);
}

function objectRef(kind, name, namespace) {
  const ref = `${kind.toLowerCase()}/${name}`;
  return namespace && namespace !== "default" ? `${ref} -n ${namespace}` : ref;
}

// As the CLI prints a daemon's issue: file:line: document N (Kind/name): path: message
function issueText(issue) {
  let where = issue.file || "";
  if (issue.line) where += `:${issue.line}`;
  const parts = where ? [where] : [];
  if (issue.document) {
    let what = `document ${issue.document}`;
    if (issue.kind && issue.name) what += ` (${issue.kind}/${issue.name})`;
    parts.push(what);
  }
  if (issue.path) parts.push(issue.path);
  parts.push(issue.message || "");
  return parts.join(": ");
}

function errorText(result) {
  const issues = (result.data.issues || []).filter((i) => i.file || i.path);
  const message = String(result.data.error || "request failed");
  const head = (issues.length ? message.split("\n")[0] : message) + ` (HTTP ${result.status})`;
  return [...issues.map(issueText), `error: ${head}`].join("\n");
}

// --- the live connection: the SSE stream, resumed from the last event seen

function follow(url, onEvent, onCatchUp) {
  const live = $("#live");
  let lastId = null;
  let down = false;
  const show = (state, text) => { if (live) { live.dataset.state = state; live.textContent = text; } };
  function open() {
    const resume = lastId === null ? "&limit=1" : `&sinceId=${lastId}`;
    const source = new EventSource(url + resume);
    source.onopen = () => {
      show("live", "live");
      if (down) { down = false; onCatchUp(); }
    };
    source.onmessage = (message) => {
      if (message.lastEventId) lastId = Number(message.lastEventId);
      try { onEvent(JSON.parse(message.data)); } catch (error) { console.error(error); }
    };
    source.onerror = async () => {
      source.close();
      down = true;
      show("reconnecting", "reconnecting…");
      try {
        // A daemon that answers but refuses the session (token rotated, cookie expired).
        if ((await fetch("/v1/events?limit=1")).status === 401) { toLogin(); return; }
      } catch { /* the daemon is away: keep trying */ }
      setTimeout(open, 1000);
    };
  }
  open();
}

// The safety net for changes no event names (an object applied, a status written without an
// event): the store's write counter, polled; `onChange` runs when it moved past `known()`.
function watchVersion(known, onChange, everyMs = 2000) {
  setInterval(async () => {
    try {
      const response = await fetch("/ui/version");
      if (response.status === 401) { toLogin(); return; }
      if (!response.ok) return;
      const { version } = await response.json();
      if (version !== known()) onChange(version);
    } catch { /* the daemon is away: the event stream shows it */ }
  }, everyMs);
}

// --- overview

function overview() {
  const tbody = $("#rows");
  const dirty = new Set();
  let everything = false;
  let timer = null;
  let busy = false;

  // Rows are re-rendered in batches: every half second at most, whatever the event rate.
  const schedule = (delay = 500) => { if (!timer) timer = setTimeout(flush, delay); };
  let summaryAt = 0;
  const order = (row) => [row.dataset.namespace, row.dataset.kind, row.querySelector("td:nth-child(3)")?.textContent || ""];
  const before = (a, b) => { const x = order(a), y = order(b); for (let i = 0; i < 3; i++) { if (x[i] !== y[i]) return x[i] < y[i]; } return false; };

  function place(row) {
    const existing = tbody.querySelector(`tr[data-key="${CSS.escape(row.dataset.key)}"]`);
    if (row.dataset.gone) { existing?.remove(); return; }
    match(row);
    if (existing) { existing.replaceWith(row); return; }
    const next = $$("tr", tbody).find((other) => before(row, other));
    tbody.insertBefore(row, next || null);
  }

  async function flush() {
    timer = null;
    if (busy) { schedule(); return; }
    busy = true;
    try {
      const keys = [...dirty];
      dirty.clear();
      const all = everything || keys.length > 40;
      everything = false;
      const url = all ? "/ui/rows" : "/ui/rows?" + keys.map((k) => "key=" + encodeURIComponent(k)).join("&");
      const withSummary = all || Date.now() - summaryAt > 2000;
      const [rows, summary] = await Promise.all([fetch(url), withSummary ? fetch("/ui/summary") : null]);
      if (rows.status === 401) { toLogin(); return; }
      const template = document.createElement("template");
      template.innerHTML = await rows.text();
      if (all) {
        tbody.replaceChildren(...$$("tr", template.content).filter((r) => !r.dataset.gone));
        tbody.dataset.version = rows.headers.get("X-Dockform-Data-Version") || tbody.dataset.version;
        filter();
      } else {
        $$("tr", template.content).forEach(place);
        count();
      }
      if (summary?.ok) { $("#summary").innerHTML = await summary.text(); summaryAt = Date.now(); }
      // A Repairing row turns back once the repair is old enough (api.dashboard.rows).
      const repairing = $$('tr[data-phase="Repairing"]', tbody);
      if (repairing.length) { repairing.forEach((r) => dirty.add(r.dataset.key)); schedule(1000); }
    } catch (error) {
      everything = true; schedule(2000);
    } finally {
      busy = false;
    }
  }

  const form = $("#filters");
  let wanted = null;
  function criteria() {
    wanted = {
      namespace: $("#f-namespace").value, kind: $("#f-kind").value, phase: $("#f-phase").value,
      labels: $("#f-label").value.split(",").map((p) => p.trim()).filter(Boolean),
      words: $("#f-q").value.trim().toLowerCase(),
    };
  }
  function match(row) {
    const d = row.dataset, w = wanted;
    const rowLabels = d.labels ? d.labels.split(",") : [];
    const shown = (!w.namespace || d.namespace === w.namespace) && (!w.kind || d.kind === w.kind) &&
      (!w.phase || d.phase === w.phase) && w.labels.every((l) => rowLabels.includes(l)) &&
      (!w.words || row.textContent.toLowerCase().includes(w.words));
    row.hidden = !shown;
  }
  function count() {
    const all = tbody.rows.length, hidden = tbody.querySelectorAll("tr[hidden]").length;
    $("#shown").textContent = `${all - hidden} of ${all} objects`;
  }
  function filter() {
    criteria();
    for (const row of tbody.rows) match(row);
    count();
  }
  function remember() {
    const query = new URLSearchParams();
    for (const field of ["namespace", "kind", "phase", "label", "q"]) {
      const value = form.elements[field].value;
      if (value) query.set(field, value);
    }
    history.replaceState(null, "", query.toString() ? "?" + query : location.pathname);
    filter();
  }
  form.addEventListener("input", remember);
  form.addEventListener("submit", (e) => e.preventDefault());
  $("#summary").addEventListener("click", (e) => {
    const pick = e.target.closest(".ns-pick");
    if (!pick) return;
    $("#f-namespace").value = pick.dataset.namespace;
    remember();
  });
  filter();

  let lastEvent = 0, lastFull = 0;
  follow("/v1/events?follow=true",
    (event) => {
      lastEvent = Date.now();
      if (event.kind === "Source") return;
      dirty.add(`${event.namespace}/${event.kind}/${event.name}`);
      schedule();
    },
    () => { everything = true; schedule(0); });
  // While events flow, their rows are refreshed one by one: the whole table only every 5 s.
  watchVersion(() => Number(tbody.dataset.version), () => {
    const now = Date.now();
    if (now - lastEvent < 2000 && now - lastFull < 5000) return;
    lastFull = now;
    everything = true;
    schedule(0);
  }, 1000);
}

// --- object page

function objectPage() {
  const box = $("#object");
  const { namespace, kind, kinds, name } = box.dataset;
  const apiPath = `/v1/namespaces/${namespace}/${kinds}/${name}`;
  const statusUrl = `/ui/objects/${namespace}/${kinds}/${name}/status`;
  let timer = null;
  let deleting = false;

  async function refresh() {
    timer = null;
    const response = await fetch(statusUrl);
    if (response.status === 401) { toLogin(); return; }
    if (response.status === 404) {
      $("#status").textContent = "";
      $("#action-result").textContent = `${objectRef(kind, name, namespace)} is gone.`;
      return;
    }
    if (response.ok) {
      const template = document.createElement("template");
      template.innerHTML = await response.text();
      $("#status").replaceChildren(template.content);
    }
    if ($("#obj-phase")?.textContent === "Repairing") timer = setTimeout(refresh, 1000);
  }
  const later = () => { if (!timer) timer = setTimeout(refresh, 200); };

  const events = $("#events tbody");
  function addEvent(event) {
    const existing = events.querySelector(`tr[data-id="${event.id}"]`);
    const row = document.createElement("tr");
    row.dataset.id = event.id;
    if (event.type === "Warning") row.className = "warning";
    const time = new Date(event.lastTime).toTimeString().slice(0, 8);
    for (const text of [time, event.type, event.reason, event.count, event.message]) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.append(cell);
    }
    if (existing) existing.replaceWith(row); else events.append(row);
  }
  follow(`/v1/namespaces/${namespace}/events?follow=true&kind=${kind}&name=${encodeURIComponent(name)}`,
    (event) => { addEvent(event); later(); }, later);
  let seen = null;
  watchVersion(() => seen, (version) => { if (seen !== null) later(); seen = version; }, 3000);

  const dialog = $("#confirm-delete");
  $("#delete").addEventListener("click", () => dialog.showModal());
  dialog.addEventListener("close", async () => {
    if (dialog.returnValue !== "delete" || deleting) return;
    deleting = true;
    const result = await api("DELETE", apiPath);
    $("#action-result").textContent = result.ok
      ? `${objectRef(kind, name, namespace)} deleting`
      : errorText(result);
    deleting = result.ok;
    later();
  });

  if (box.dataset.logs) followLog(box.dataset.logs);
  revisions();
  rollbacks(apiPath, objectRef(kind, name, namespace));
}

function followLog(url) {
  const pre = $("#log"), state = $("#log-state"), toggle = $("#log-toggle");
  const LIMIT = 200000;
  let paused = false, held = "";
  const append = (text) => {
    pre.append(text);
    if (pre.textContent.length > LIMIT) pre.textContent = pre.textContent.slice(-LIMIT / 2);
    pre.scrollTop = pre.scrollHeight;
  };
  toggle.addEventListener("click", () => {
    paused = !paused;
    toggle.textContent = paused ? "Follow" : "Pause";
    if (!paused) { append(held); held = ""; }
    state.textContent = paused ? "paused" : "following";
  });
  async function run(tail) {
    try {
      const response = await fetch(`${url}?follow=true&tail=${tail}`);
      if (response.status === 401) { toLogin(); return; }
      if (!response.ok) { state.textContent = `no log yet (HTTP ${response.status}); retrying`; setTimeout(() => run(tail), 2000); return; }
      if (!paused) state.textContent = "following";
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const text = decoder.decode(value, { stream: true });
        if (paused) { held += text; state.textContent = `paused (${held.split("\n").length - 1} new lines held)`; }
        else append(text);
      }
    } catch (error) {
      state.textContent = "reconnecting…";
    }
    // The container stopped or was replaced: follow its successor's new lines.
    setTimeout(() => run(0), 1000);
  }
  run(200);
}

// --- sources page

function sourcesPage() {
  $("#gitsources").addEventListener("click", async (e) => {
    const button = e.target.closest("button.sync");
    if (!button) return;
    button.disabled = true;
    const result = await api("POST", button.dataset.url);
    button.disabled = false;
    $("#action-result").textContent = result.ok
      ? `sync requested for ${button.dataset.url.split("/").slice(-2, -1)[0]}` +
        (result.data.commit ? ` (at ${result.data.commit.slice(0, 12)} before)` : "")
      : errorText(result);
  });
  let timer = null;
  async function reload() {
    timer = null;
    const response = await fetch(location.pathname);
    if (response.status === 401) { toLogin(); return; }
    if (!response.ok) return;
    const doc = new DOMParser().parseFromString(await response.text(), "text/html");
    for (const id of ["sources", "gitsources"]) $(`#${id} tbody`).replaceWith($(`#${id} tbody`, doc));
  }
  const later = (delay) => { if (!timer) timer = setTimeout(reload, delay); };
  follow("/v1/events?follow=true", (event) => {
    if (event.kind === "Source" || event.kind === "GitSource") later(300);
  }, () => later(0));
  let seen = null;
  watchVersion(() => seen, (version) => { if (seen !== null) later(0); seen = version; }, 3000);
}

// --- apply page: a dry-run diff first, then apply, both through /v1 as the CLI does

function yamlScalar(value) {
  if (value === null || value === undefined) return "null";
  if (typeof value !== "string") return String(value);
  const plain = /^[A-Za-z0-9_./@][A-Za-z0-9_ ./:@=+-]*$/.test(value) && !value.endsWith(" ") &&
    !/^(true|false|null|yes|no|on|off|~|[-+]?[0-9.]+(e[-+]?[0-9]+)?)$/i.test(value);
  return plain ? value : JSON.stringify(value);
}

function toYaml(value, indent = "") {
  const list = Array.isArray(value);
  const lines = [];
  const entries = list ? value.map((v) => [null, v]) : Object.entries(value);
  for (const [key, item] of entries) {
    const head = list ? "- " : `${yamlScalar(key)}:`;
    const nested = item !== null && typeof item === "object" && Object.keys(item).length > 0;
    if (!nested) {
      const text = item !== null && typeof item === "object" ? (Array.isArray(item) ? "[]" : "{}") : yamlScalar(item);
      lines.push(indent + (list ? head : head + " ") + text);
    } else if (list) {
      const inner = toYaml(item, indent + "  ");
      lines.push(indent + "- " + inner[0].trimStart(), ...inner.slice(1));
    } else {
      lines.push(indent + head, ...toYaml(item, indent + "  "));
    }
  }
  return lines;
}

function documentLines(spec, metadata, showSource) {
  if (!spec) return [];
  const doc = {};
  const shown = Object.fromEntries(Object.entries(metadata || {}).filter(
    ([key, value]) => value && (typeof value !== "object" || Object.keys(value).length) && (key !== "source" || showSource)));
  if (Object.keys(shown).length) doc.metadata = shown;
  doc.spec = spec;
  return toYaml(doc);
}

function lineDiff(a, b) {
  const n = a.length, m = b.length;
  const table = Array.from({ length: n + 1 }, () => new Int32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--)
    table[i][j] = a[i] === b[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
  const out = [];
  let i = 0, j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) { out.push([" ", a[i]]); i++; j++; }
    else if (table[i + 1][j] >= table[i][j + 1]) out.push(["-", a[i++]]);
    else out.push(["+", b[j++]]);
  }
  while (i < n) out.push(["-", a[i++]]);
  while (j < m) out.push(["+", b[j++]]);
  return out;
}

function diffWriter(pre) {
  pre.replaceChildren();
  return (text, cls) => {
    const span = document.createElement("span");
    if (cls) span.className = cls;
    span.textContent = text + "\n";
    pre.append(span);
  };
}

function revisions() {
  const box = $("#revisions"), from = $("#rev-from"), to = $("#rev-to");
  if (!from || !to) return;
  const list = JSON.parse(box.dataset.revisions);
  const show = () => {
    const a = list[Number(from.value)], b = list[Number(to.value)];
    const line = diffWriter($("#revision-diff"));
    line(`--- generation ${a.generation}`, "del");
    line(`+++ generation ${b.generation}`, "add");
    for (const [mark, text] of lineDiff(toYaml({ spec: a.spec }), toYaml({ spec: b.spec })))
      line(mark + text, mark === "+" ? "add" : mark === "-" ? "del" : "");
  };
  from.addEventListener("change", show);
  to.addEventListener("change", show);
  show();
}

// Rollback and unpin, through /v1 as `dockform rollback` / `unpin`; the page reloads to show
// the new generation and its pin.
function rollbacks(apiPath, ref) {
  const dialog = $("#confirm-rollback");
  let generation = null;
  $("#revisions").addEventListener("click", (e) => {
    const button = e.target.closest("button.rollback");
    if (!button) return;
    generation = Number(button.dataset.generation);
    $("#confirm-rollback-text").textContent =
      `Roll ${ref} back to generation ${generation}? Its spec is applied as a new generation, ` +
      "pinned: its source's applies of what it had applied before leave it alone until Unpin.";
    dialog.showModal();
  });
  dialog.addEventListener("close", async () => {
    if (dialog.returnValue !== "rollback" || generation === null) return;
    const result = await api("POST", `${apiPath}/rollback`, {
      body: JSON.stringify({ generation }), type: "application/json",
    });
    if (result.ok) location.reload(); else $("#action-result").textContent = errorText(result);
  });
  $("#unpin")?.addEventListener("click", async () => {
    const result = await api("POST", `${apiPath}/unpin`);
    if (result.ok) location.reload(); else $("#action-result").textContent = errorText(result);
  });
}

function renderDiff(results) {
  const line = diffWriter($("#diff"));
  for (const item of results) {
    const ref = objectRef(item.kind, item.name, item.namespace);
    if (item.action === "unchanged") { line(`# ${ref}: unchanged`); continue; }
    const oldMeta = item.oldMetadata, newMeta = item.newMetadata;
    const showSource = !!(oldMeta && newMeta && oldMeta.source !== newMeta.source);
    line(`--- ${item.old ? "live/" + ref : "/dev/null"}`, "del");
    line(`+++ ${item.new ? "manifest/" + ref : "/dev/null"}`, "add");
    line(`@@ ${ref}: ${item.action} @@`, "hunk");
    for (const [mark, text] of lineDiff(documentLines(item.old, oldMeta, showSource), documentLines(item.new, newMeta, showSource)))
      line(mark + text, mark === "+" ? "add" : mark === "-" ? "del" : "");
  }
}

function applyPage() {
  const text = $("#manifest"), applyButton = $("#apply-button"), errors = $("#apply-errors");
  const results = $("#apply-results");
  let diffed = null;
  const params = () => {
    const query = new URLSearchParams({ source: $("#apply-source").value || "cli" });
    if ($("#apply-force").checked) query.set("force", "true");
    return query;
  };
  const send = (path, query) => api("POST", `${path}?${query}`, {
    body: text.value, type: "application/yaml", headers: { "X-Dockform-Filename": "pasted.yaml" },
  });
  $("#manifest-file").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    if (file) { text.value = await file.text(); text.dispatchEvent(new Event("input")); }
  });
  text.addEventListener("input", () => { applyButton.disabled = text.value !== diffed; });
  $("#diff-button").addEventListener("click", async () => {
    errors.textContent = ""; results.replaceChildren(); $("#diff").replaceChildren();
    const result = await send("/v1/diff", params());
    if (!result.ok) { errors.textContent = errorText(result); applyButton.disabled = true; return; }
    renderDiff(result.data.results);
    diffed = text.value;
    applyButton.disabled = false;
  });
  applyButton.addEventListener("click", async () => {
    errors.textContent = "";
    const query = params();
    const result = await send("/v1/apply", query);
    if (!result.ok) { errors.textContent = errorText(result); return; }
    results.replaceChildren(...result.data.results.map((item) => {
      const li = document.createElement("li");
      const link = document.createElement("a");
      link.href = `/ui/objects/${item.namespace}/${item.kind.toLowerCase()}s/${item.name}`;
      link.textContent = objectRef(item.kind, item.name, item.namespace);
      li.append(link, ` ${item.action}`);
      return li;
    }));
    applyButton.disabled = true;
    diffed = null;
  });
}

document.addEventListener("DOMContentLoaded", () => {
  $("#logout")?.addEventListener("click", async () => { await api("POST", "/ui/logout"); location.href = "/ui/login"; });
  const page = document.body.dataset.page;
  if (page === "overview") overview();
  else if (page === "object") objectPage();
  else if (page === "sources") sourcesPage();
  else if (page === "apply") { applyPage(); follow("/v1/events?follow=true&kind=Source", () => {}, () => {}); }
  else if (page !== "login") $("#live")?.remove();
});

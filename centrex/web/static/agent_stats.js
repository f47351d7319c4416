// The agent's figures of the day in the desktop's `#agent-stats` section (issue 16, helper T).
//
// Started by the desktop's `centrex:agent` event {extension, campaigns} (or its
// `window.centrexAgent` when the event came before this module), it reads
// GET /api/v1/agents/{extension}/stats (today, UTC) and again every 30 s: calls, contacts,
// talk, wrap-up, ringing, pause (total and per reason), idle, logged-in time, occupancy,
// appointments. Strings through `window.centrexT` (keys `agent_panels.stats.*`).

const REFRESH_MS = 30000;
let extension = null;
let timer = null;

function t(key, values) {
  const translate = window.centrexT;
  return translate ? translate("agent_panels.stats." + key, values) : key;
}

function hms(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h + ":" + String(m).padStart(2, "0") + ":" + String(s % 60).padStart(2, "0");
}

function cell(row, text, tag) {
  const node = document.createElement(tag || "td");
  node.textContent = text;
  row.appendChild(node);
  return node;
}

function render(section, figures) {
  section.replaceChildren();
  const title = document.createElement("h2");
  title.textContent = t("title");
  section.appendChild(title);
  const table = document.createElement("table");
  table.className = "agent-stats";
  const rows = [
    ["calls", String(figures.calls)],
    ["contacts", String(figures.contacts)],
    ["talk", hms(figures.talk_seconds)],
    ["wrap", hms(figures.wrap_seconds)],
    ["ring", hms(figures.ring_seconds)],
    ["pause", hms(figures.pause_total_seconds)],
  ];
  for (const [reason, seconds] of Object.entries(figures.pause_seconds || {})) {
    rows.push(["pause_reason", hms(seconds), { reason }]);
  }
  rows.push(["idle", hms(figures.idle_seconds)]);
  rows.push(["logged_in", hms(figures.logged_in_seconds)]);
  rows.push(["occupancy", figures.occupancy_pct === null ? "–" : figures.occupancy_pct.toFixed(2) + " %"]);
  rows.push(["appointments", String(figures.appointments)]);
  for (const [key, value, values] of rows) {
    const row = document.createElement("tr");
    row.dataset.figure = key;
    cell(row, t(key, values), "th");
    cell(row, value);
    table.appendChild(row);
  }
  section.appendChild(table);
}

async function refresh() {
  const section = document.getElementById("agent-stats");
  if (!section || !extension) return;
  try {
    const response = await fetch("/api/v1/agents/" + encodeURIComponent(extension) + "/stats", {
      headers: { "Accept": "application/json" }, credentials: "same-origin",
    });
    if (!response.ok) throw new Error(String(response.status));
    render(section, await response.json());
    section.dataset.loaded = "true";
  } catch (error) {
    const note = document.createElement("p");
    note.className = "flash error";
    note.textContent = t("unavailable");
    section.replaceChildren(note);
  }
}

function start(detail) {
  if (!detail || !detail.extension) return;
  extension = detail.extension;
  refresh();
  if (timer === null) timer = window.setInterval(refresh, REFRESH_MS);
}

window.addEventListener("centrex:agent", (event) => start(event.detail));
if (window.centrexAgent && window.centrexAgent.session &&
    window.centrexAgent.session.state !== "logged-out") {
  start(window.centrexAgent);
}

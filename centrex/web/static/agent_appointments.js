// Appointments and callbacks in the desktop's `#agent-appointments` section (issue 16, helper C).
//
// Started by the desktop's `centrex:agent` event {extension, campaigns} (or its
// `window.centrexAgent` when the event came first); `centrex:lead` {lead_id, campaign_id, ...}
// makes the popped lead the one booked for. Over the API with the portal session cookie (and
// X-CSRF-Token on writes):
// * book: POST /api/v1/appointments (the time typed is the browser's local time, sent with its
//   offset); the answer's `conflicts` are said at once;
// * upcoming: GET /api/v1/appointments?since=now (the agent's campaigns only: the API's reach),
//   conflicts marked, sync state shown (a CalDAV server down: "not synchronised", with why),
//   events created on the calendar server included; read again every minute;
// * callback: POST /api/v1/callbacks for the popped lead, personal (this extension) or for any
//   agent of the campaign, at a date and time of the lead's own time zone.
// Strings through `window.centrexT` (keys `agent_panels.appointments.*`).

const REFRESH_MS = 60000;
const csrf = document.body.dataset.csrf || "";
const state = { extension: null, campaigns: [], lead: null, timer: null, built: false };

function t(key, values) {
  const translate = window.centrexT;
  return translate ? translate("agent_panels.appointments." + key, values) : key;
}

function el(tag, attrs, children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "text") node.textContent = value;
    else if (value !== null && value !== undefined && value !== false) node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children || []) node.appendChild(child);
  return node;
}

function labelled(text, control) {
  const label = el("label", {}, [document.createTextNode(text + " "), control]);
  return label;
}

async function api(method, url, body) {
  const headers = { "Accept": "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(url, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch (error) {
    json = null;
  }
  return { ok: response.ok, status: response.status, json };
}

function problem(result) {
  const detail = result.json && (result.json.detail || result.json.title);
  return detail ? String(detail) : t("error", { status: result.status });
}

function pad(n) {
  return String(n).padStart(2, "0");
}

function localDate(date) {
  return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate());
}

function localTime(date) {
  return pad(date.getHours()) + ":" + pad(date.getMinutes());
}

function when(iso) {
  const date = new Date(iso);
  return date.toLocaleString(document.documentElement.lang || undefined, {
    weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
  });
}

function say(id, message, kind) {
  const box = document.getElementById(id);
  if (!box) return;
  box.textContent = message;
  box.className = "flash " + (kind || "ok");
  box.hidden = !message;
}

function campaignOptions(select) {
  select.replaceChildren();
  for (const c of state.campaigns) {
    const option = el("option", { value: String(c.id), text: c.name || ("#" + c.id) });
    if (state.lead && Number(state.lead.campaign_id) === Number(c.id)) option.selected = true;
    select.appendChild(option);
  }
}

function leadLine() {
  const line = document.getElementById("agent-appt-lead");
  if (!line) return;
  line.textContent = state.lead ? t("for_lead", { lead: state.lead.lead_id }) : t("no_lead");
  const callback = document.getElementById("agent-callback-go");
  if (callback) callback.disabled = !state.lead;
}

function build(section) {
  if (!document.querySelector('link[href="/static/agent_appointments.css"]')) {
    document.head.appendChild(el("link", { rel: "stylesheet", href: "/static/agent_appointments.css" }));
  }
  section.classList.add("card", "agent-appointments");
  const soon = new Date(Date.now() + 24 * 3600 * 1000);
  soon.setMinutes(0, 0, 0);
  const duration = el("select", { name: "duration", id: "agent-appt-duration" });
  for (const minutes of [15, 30, 45, 60, 90, 120]) {
    duration.appendChild(el("option", { value: String(minutes), selected: minutes === 60, text: t("minutes", { n: minutes }) }));
  }
  const book = el("form", { id: "agent-appt-form" }, [
    el("p", { id: "agent-appt-lead", class: "hint" }),
    labelled(t("campaign"), el("select", { name: "campaign", id: "agent-appt-campaign", required: true })),
    labelled(t("subject"), el("input", { name: "title", id: "agent-appt-title", required: true, maxlength: "200" })),
    labelled(t("date"), el("input", { type: "date", name: "date", id: "agent-appt-date", required: true, value: localDate(soon) })),
    labelled(t("time"), el("input", { type: "time", name: "time", id: "agent-appt-time", required: true, value: localTime(soon) })),
    labelled(t("duration"), duration),
    labelled(t("notes"), el("textarea", { name: "notes", id: "agent-appt-notes", rows: "2", maxlength: "2000" })),
    el("button", { type: "submit", id: "agent-appt-go", text: t("book_go") }),
  ]);
  const scope = el("select", { name: "scope", id: "agent-callback-scope" }, [
    el("option", { value: "personal", text: t("personal") }),
    el("option", { value: "anyone", text: t("anyone") }),
  ]);
  const callback = el("form", { id: "agent-callback-form" }, [
    labelled(t("date"), el("input", { type: "date", name: "date", id: "agent-callback-date", required: true, value: localDate(soon) })),
    labelled(t("time"), el("input", { type: "time", name: "time", id: "agent-callback-time", required: true, value: localTime(soon) })),
    labelled(t("callback_for"), scope),
    labelled(t("notes"), el("input", { name: "note", id: "agent-callback-note", maxlength: "200" })),
    el("small", { class: "hint", text: t("callback_hint") }),
    el("button", { type: "submit", id: "agent-callback-go", text: t("callback_go") }),
  ]);
  section.replaceChildren(
    el("h2", { text: t("title") }),
    el("p", { id: "agent-appt-message", role: "status", hidden: true }),
    el("h3", { text: t("book") }), book,
    el("h3", { text: t("upcoming") }), el("ul", { id: "agent-appt-list", class: "agent-appt-list" }),
    el("h3", { text: t("callback") }),
    el("p", { id: "agent-callback-message", role: "status", hidden: true }), callback,
  );
  book.addEventListener("submit", submitBooking);
  callback.addEventListener("submit", submitCallback);
  state.built = true;
}

async function submitBooking(event) {
  event.preventDefault();
  const form = event.target;
  const start = new Date(form.date.value + "T" + form.time.value);
  if (Number.isNaN(start.getTime())) return say("agent-appt-message", t("bad_time"), "error");
  const end = new Date(start.getTime() + Number(form.duration.value) * 60000);
  const campaignId = Number(form.campaign.value);
  const body = {
    campaign_id: campaignId, title: form.title.value.trim(), notes: form.notes.value,
    starts_at: start.toISOString(), ends_at: end.toISOString(),
  };
  if (state.lead && Number(state.lead.campaign_id) === campaignId) body.lead_id = Number(state.lead.lead_id);
  const result = await api("POST", "/api/v1/appointments", body);
  if (!result.ok) return say("agent-appt-message", problem(result), "error");
  const made = result.json;
  if (made.conflicts.length) say("agent-appt-message", t("booked_conflicts", { n: made.conflicts.length }), "error");
  else say("agent-appt-message", t("booked", { title: made.title }), "ok");
  form.title.value = "";
  form.notes.value = "";
  await refresh();
}

async function submitCallback(event) {
  event.preventDefault();
  if (!state.lead) return say("agent-callback-message", t("callback_needs_lead"), "error");
  const form = event.target;
  const body = {
    campaign_id: Number(state.lead.campaign_id), lead_id: Number(state.lead.lead_id),
    at: form.date.value + "T" + form.time.value, note: form.note.value.trim(),
  };
  if (form.scope.value === "personal") body.extension = state.extension;
  const result = await api("POST", "/api/v1/callbacks", body);
  if (!result.ok) return say("agent-callback-message", problem(result), "error");
  say("agent-callback-message", t("callback_done", { at: result.json.local_time.replace("T", " "), zone: result.json.zone }), "ok");
  form.note.value = "";
}

async function cancel(item) {
  const result = await api("DELETE", "/api/v1/appointments/" + item.id);
  if (!result.ok) return say("agent-appt-message", problem(result), "error");
  say("agent-appt-message", t("cancelled", { title: item.title }), "ok");
  await refresh();
}

function render(items) {
  const list = document.getElementById("agent-appt-list");
  if (!list) return;
  list.replaceChildren();
  if (!items.length) list.appendChild(el("li", { class: "hint", text: t("none") }));
  for (const item of items) {
    const row = el("li", { "data-appointment-id": String(item.id), "data-sync": item.sync_state });
    row.appendChild(el("strong", { text: when(item.starts_at) + " – " + item.title }));
    if (item.remote) row.appendChild(el("span", { class: "badge", text: t("remote") }));
    const sync = el("span", { class: "badge sync-" + item.sync_state, text: t("state_" + item.sync_state) });
    if (item.last_error) sync.title = item.last_error;
    row.appendChild(sync);
    if (item.conflicts.length) {
      row.classList.add("conflict");
      row.appendChild(el("span", { class: "badge conflict", text: t("conflict", { n: item.conflicts.length }) }));
    }
    if (item.lead_id) row.appendChild(el("span", { class: "hint", text: t("lead", { lead: item.lead_id }) }));
    const button = el("button", { type: "button", class: "secondary", text: t("cancel") });
    button.addEventListener("click", () => cancel(item));
    row.appendChild(button);
    list.appendChild(row);
  }
}

async function refresh() {
  const section = document.getElementById("agent-appointments");
  if (!section || !state.extension) return;
  if (!state.built) build(section);
  const form = document.getElementById("agent-appt-campaign");
  if (form && form.options.length !== state.campaigns.length) campaignOptions(form);
  leadLine();
  const since = new Date(Date.now() - 3600 * 1000).toISOString();
  const result = await api("GET", "/api/v1/appointments?limit=100&since=" + encodeURIComponent(since));
  if (!result.ok) return say("agent-appt-message", problem(result), "error");
  render(result.json.items);
  section.dataset.loaded = "true";
}

function campaignsOf(detail) {
  return (detail.campaigns || []).map((c) => (typeof c === "object" ? c : { id: c, name: "#" + c }));
}

function start(detail) {
  if (!detail || !detail.extension) return;
  state.extension = detail.extension;
  state.campaigns = campaignsOf(detail);
  if (detail.lead) state.lead = detail.lead;
  const select = document.getElementById("agent-appt-campaign");
  if (select) campaignOptions(select);
  refresh();
  if (state.timer === null) state.timer = window.setInterval(refresh, REFRESH_MS);
}

window.addEventListener("centrex:agent", (event) => start(event.detail));
window.addEventListener("centrex:lead", (event) => {
  state.lead = event.detail;
  const select = document.getElementById("agent-appt-campaign");
  if (select) campaignOptions(select);
  leadLine();
});
if (window.centrexAgent && window.centrexAgent.session &&
    window.centrexAgent.session.state !== "logged-out") {
  start(window.centrexAgent);
}

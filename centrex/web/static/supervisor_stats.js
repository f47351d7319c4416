// The supervisor's statistics page (supervisor_stats_page.py), vanilla JS.
//
// On load and on every "Show": the period is computed once from the form's dates (since = the
// from date at 00:00 UTC, until = the day after the until date at 00:00 UTC), the table is
// built from GET /api/v1/campaigns/{id}/stats?since=&until= (session cookie; staff also send
// the Centrex-Tenant header), and the download links get the same since/until: the page's own
// /supervisor/stats/{id}/stats.pdf|stats.xlsx and /supervisor/stats/{id}/export.xlsx, which a
// plain <a download> can fetch with the cookie (and ?tenant= for staff). Times are H:MM:SS and
// occupancy has two decimals, as in the PDF. Errors are RFC 9457 problem JSON whose `detail`
// is shown.
(function () {
  "use strict";
  const body = document.body;
  if (body.dataset.page !== "supervisor-stats") return;
  const form = document.getElementById("st-form");
  if (!form) return; // no campaign: nothing to choose

  const tenant = body.dataset.tenant || "";
  const tenantQuery = form.dataset.tenantQuery || "";
  const strings = JSON.parse(document.getElementById("st-strings").textContent);
  const message = document.getElementById("st-message");
  const table = document.getElementById("st-agents");
  const periodNote = document.getElementById("st-period");
  const links = {
    pdf: document.getElementById("st-pdf"),
    xlsx: document.getElementById("st-xlsx"),
    export: document.getElementById("st-export"),
  };

  function t(key, values) {
    let text = strings["supervisor_stats." + key] || key;
    if (values) {
      for (const name of Object.keys(values)) text = text.split("{" + name + "}").join(values[name]);
    }
    return text;
  }

  function show(text, kind) {
    message.textContent = text;
    message.className = "flash " + (kind || "ok");
    message.hidden = !text;
  }

  function hms(seconds) {
    const s = Math.max(0, seconds | 0);
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    return h + ":" + String(m).padStart(2, "0") + ":" + String(s % 60).padStart(2, "0");
  }

  function pct(value) {
    return value === null || value === undefined ? "-" : Number(value).toFixed(2);
  }

  function nextDay(day) {
    const d = new Date(day + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + 1);
    return d.toISOString().slice(0, 10);
  }

  // the one period of the table and the documents, or null when the dates are wrong
  function period() {
    const from = form.elements.from.value;
    const until = form.elements.until.value;
    if (!from || !until || until < from) return null;
    return { since: from + "T00:00:00Z", until: nextDay(until) + "T00:00:00Z" };
  }

  function query(p, withTenant) {
    const params = new URLSearchParams(p);
    if (withTenant && tenantQuery) params.set("tenant", tenantQuery.replace(/^\?tenant=/, ""));
    return "?" + params.toString();
  }

  function enableLinks(campaign, p) {
    const base = "/supervisor/stats/" + encodeURIComponent(campaign);
    links.pdf.href = base + "/stats.pdf" + query(p, true);
    links.xlsx.href = base + "/stats.xlsx" + query(p, true);
    links.export.href = base + "/export.xlsx" + tenantQuery;
    for (const link of Object.values(links)) link.removeAttribute("aria-disabled");
  }

  function disableLinks() {
    for (const link of Object.values(links)) {
      link.setAttribute("aria-disabled", "true");
      link.href = "#";
    }
  }

  function cell(row, text, className, tag) {
    const td = document.createElement(tag || "td");
    td.textContent = text;
    if (className) td.className = className;
    row.append(td);
    return td;
  }

  function dispositions(counts) {
    return Object.keys(counts || {}).map(function (code) { return code + " " + counts[code]; }).join(", ");
  }

  const COLUMNS = [
    ["calls", function (a) { return String(a.calls); }],
    ["contacts", function (a) { return String(a.contacts); }],
    ["talk", function (a) { return hms(a.talk_seconds); }],
    ["wrap", function (a) { return hms(a.wrap_seconds); }],
    ["ring", function (a) { return hms(a.ring_seconds); }],
  ];
  const AFTER = [
    ["pause_total", function (a) { return hms(a.pause_total_seconds); }],
    ["idle", function (a) { return hms(a.idle_seconds); }],
    ["logged_in", function (a) { return hms(a.logged_in_seconds); }],
    ["occupancy", function (a) { return pct(a.occupancy_pct); }],
  ];

  function fill(row, a, reasons, isTotal) {
    row.dataset.extension = isTotal ? "" : a.extension;
    cell(row, isTotal ? t("total") : a.extension, "st-agent");
    for (const [name, value] of COLUMNS) cell(row, value(a), "num st-" + name);
    for (const reason of reasons) {
      const td = cell(row, hms((a.pause_seconds || {})[reason] || 0), "num st-pause");
      td.dataset.reason = reason;
    }
    for (const [name, value] of AFTER) cell(row, value(a), "num st-" + name);
    cell(row, dispositions(a.dispositions), "st-disp");
    cell(row, String(a.appointments), "num st-appointments");
  }

  function render(stats) {
    const agents = stats.agents || [];
    const totals = stats.totals;
    const reasons = Array.from(new Set(
      [...agents, totals].flatMap(function (a) { return Object.keys(a.pause_seconds || {}); })
    )).sort();
    const head = document.createElement("tr");
    cell(head, t("agent"), "", "th");
    for (const [name] of COLUMNS) cell(head, t(name), "num", "th");
    for (const reason of reasons) cell(head, t("pause_reason", { reason: reason }), "num", "th");
    for (const [name] of AFTER) cell(head, t(name), "num", "th");
    cell(head, t("dispositions"), "", "th");
    cell(head, t("appointments"), "num", "th");
    table.tHead.replaceChildren(head);
    const rows = agents.map(function (a) {
      const row = document.createElement("tr");
      fill(row, a, reasons, false);
      return row;
    });
    if (!rows.length) {
      const row = document.createElement("tr");
      const td = cell(row, t("no_agents"), "st-empty");
      td.colSpan = COLUMNS.length + reasons.length + AFTER.length + 3;
      rows.push(row);
    }
    table.tBodies[0].replaceChildren(...rows);
    const total = document.createElement("tr");
    total.className = "st-total";
    fill(total, totals, reasons, true);
    table.tFoot.replaceChildren(total);
    periodNote.textContent = stats.period.since + " – " + stats.period.until;
  }

  async function load() {
    const campaign = form.elements.campaign.value;
    const p = period();
    if (!campaign) { show(t("no_campaign"), "error"); disableLinks(); return; }
    if (!p) { show(t("bad_period"), "error"); disableLinks(); return; }
    show(t("loading"));
    const headers = { "Accept": "application/json" };
    if (tenant) headers["Centrex-Tenant"] = tenant;
    const url = "/api/v1/campaigns/" + encodeURIComponent(campaign) + "/stats" + query(p, false);
    let response;
    let data = null;
    try {
      response = await fetch(url, { headers: headers, credentials: "same-origin" });
      data = await response.json();
    } catch (e) {
      show(t("failed", { detail: String(e) }), "error");
      return;
    }
    if (!response.ok) {
      show(t("failed", { detail: (data && (data.detail || data.title)) || response.status }), "error");
      disableLinks();
      return;
    }
    render(data);
    enableLinks(campaign, p);
    show(t("shown", { agents: (data.agents || []).length }));
    table.dataset.loaded = p.since + "/" + p.until + "/" + campaign;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    load();
  });
  form.elements.campaign.addEventListener("change", load);
  load();
})();

// Centrex portal live views: one WebSocket to /api/v1/events (the session cookie authenticates),
// and on each event in scope a refresh of the affected cells from the REST API.
(function () {
  "use strict";
  const body = document.body;
  const page = body.dataset.page;
  if (!["provider", "extensions", "calls", "me"].includes(page)) return;
  const tenant = body.dataset.tenant;
  const headers = tenant ? { "Centrex-Tenant": tenant } : {};

  async function getJson(path) {
    const response = await fetch(path, { headers: headers, credentials: "same-origin" });
    if (!response.ok) throw new Error(path + " answered " + response.status);
    return response.json();
  }

  function setRegistered(row, on) {
    const badge = row.querySelector(".reg");
    if (!badge) return;
    badge.textContent = on ? badge.dataset.on : badge.dataset.off;
    badge.classList.toggle("active", on);
    badge.classList.toggle("off", !on);
  }

  async function refreshExtensions() {
    const data = await getJson("/api/v1/extensions?limit=1000");
    for (const ext of data.items) {
      document.querySelectorAll('[data-extension="' + ext.number + '"]').forEach(function (row) {
        setRegistered(row, ext.registered);
      });
    }
  }

  async function refreshTenants() {
    const data = await getJson("/api/v1/tenants?limit=1000");
    for (const item of data.items) {
      const row = document.querySelector('[data-tenant-id="' + item.id + '"]');
      if (!row) continue;
      row.querySelector(".live-calls").textContent = item.live_calls;
      row.querySelector(".registrations").textContent = item.registrations;
    }
  }

  function callRow(event) {
    const table = document.querySelector("#live-calls tbody");
    if (!table) return;
    let row = table.querySelector('[data-call-id="' + CSS.escape(event.call_id) + '"]');
    if (event.state === "ended") { if (row) row.remove(); return; }
    const empty = table.querySelector("tr.empty");
    if (empty) empty.remove();
    if (!row) {
      row = document.createElement("tr");
      row.dataset.callId = event.call_id;
      for (let i = 0; i < 5; i++) row.appendChild(document.createElement("td"));
      table.appendChild(row);
    }
    const cells = row.querySelectorAll("td");
    cells[0].textContent = event.caller;
    cells[1].textContent = event.callee;
    cells[2].textContent = event.direction;
    cells[3].textContent = event.state;
  }

  function handle(event) {
    if (event.kind === "registration") {
      if (page === "provider") refreshTenants();
      else refreshExtensions();
    } else if (event.kind === "call") {
      if (page === "provider") refreshTenants();
      if (page === "calls") callRow(event);
    }
  }

  let delay = 1000;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const query = tenant && page !== "provider" ? "?tenant=" + encodeURIComponent(tenant) : "";
    const socket = new WebSocket(scheme + location.host + "/api/v1/events" + query);
    socket.onmessage = function (message) {
      const event = JSON.parse(message.data);
      if (event.kind === "ready") { body.classList.add("live"); delay = 1000; return; }
      handle(event);
    };
    socket.onclose = function () {
      body.classList.remove("live");
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
})();

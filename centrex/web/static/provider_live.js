// Provider live view: one WebSocket to /api/v1/events (the session cookie authenticates; the
// server applies the principal's reach), and on each call or registration event a re-read of
// this page, whose tables replace the shown ones. Re-reads are coalesced: at most one in flight.
(function () {
  "use strict";
  const body = document.body;
  if (body.dataset.page !== "provider-live") return;
  let pending = false;
  let again = false;

  async function reload() {
    if (pending) { again = true; return; }
    pending = true;
    try {
      const response = await fetch(location.pathname, { credentials: "same-origin" });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      const tables = fresh.getElementById("live-tables");
      const shown = document.getElementById("live-tables");
      if (tables && shown) shown.replaceWith(tables);
    } finally {
      pending = false;
      if (again) { again = false; reload(); }
    }
  }

  let delay = 1000;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/api/v1/events");
    socket.onmessage = function (message) {
      const event = JSON.parse(message.data);
      if (event.kind === "ready") { body.classList.add("live"); delay = 1000; reload(); return; }
      if (event.kind === "call" || event.kind === "registration") reload();
    };
    socket.onclose = function () {
      body.classList.remove("live");
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
})();

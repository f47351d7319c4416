// The queue wallboard (wallboard_page.py): reads GET /api/v1/queues/{id}/wallboard again on
// every queue or call event of the events WebSocket (/api/v1/events, the session cookie
// authenticates, the server keeps it to the tenant), and counts the longest wait up every
// second between two reads. While the socket is down it reads the wallboard every 5 s.
(function () {
  "use strict";
  const body = document.body;
  if (body.dataset.page !== "wallboard") return;
  const board = document.getElementById("wb");
  if (!board) return;
  const tenant = body.dataset.tenant || "";
  const strings = JSON.parse(document.getElementById("wb-strings").textContent);
  const url = "/api/v1/queues/" + board.dataset.queue + "/wallboard";
  const longest = document.getElementById("wb-longest");
  let longestSeconds = parseFloat(longest.dataset.seconds || "0");
  let waiting = parseInt(document.getElementById("wb-waiting").textContent, 10) || 0;
  let readAt = Date.now();
  let pending = null;
  let live = false;

  function set(id, text) {
    document.getElementById(id).textContent = text;
  }

  function show(data) {
    waiting = data.waiting;
    longestSeconds = data.longest_wait_seconds;
    readAt = Date.now();
    set("wb-waiting", String(data.waiting));
    set("wb-callbacks", String(data.waiting_callbacks || 0)); // callers away, keeping their place
    set("wb-service-level", data.service_level_today_pct + " %");
    set("wb-answered", String(data.answered_today));
    tick();
    for (const item of document.querySelectorAll("#wb-states li")) {
      item.querySelector("strong").textContent = String(data.agents_by_state[item.dataset.state] || 0);
    }
    const list = document.getElementById("wb-agents");
    list.replaceChildren();
    for (const agent of data.agents) {
      const item = document.createElement("li");
      item.className = "lamp " + agent.state;
      item.dataset.extension = agent.extension;
      item.dataset.state = agent.state;
      const number = document.createElement("span");
      number.className = "lamp-number";
      number.textContent = agent.extension;
      const state = document.createElement("span");
      state.className = "lamp-state";
      state.textContent = strings["wb.state." + agent.state] || agent.state;
      item.append(number, " ", state);
      list.append(item);
    }
  }

  function tick() {
    const seconds = waiting > 0 ? longestSeconds + (Date.now() - readAt) / 1000 : 0;
    longest.textContent = Math.floor(seconds) + " s";
  }

  async function read() {
    pending = null;
    const headers = { "Accept": "application/json" };
    if (tenant) headers["Centrex-Tenant"] = tenant;
    try {
      const response = await fetch(url, { headers: headers, credentials: "same-origin" });
      if (response.ok) show(await response.json());
    } catch (error) {
      // the next event or poll reads again
    }
  }

  function soon() {
    if (pending === null) pending = setTimeout(read, 150);
  }

  let delay = 1000;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const query = tenant ? "?tenant=" + encodeURIComponent(tenant) : "";
    const socket = new WebSocket(scheme + location.host + "/api/v1/events" + query);
    socket.onmessage = function (incoming) {
      const event = JSON.parse(incoming.data);
      if (event.kind === "ready") {
        live = true;
        body.classList.add("live");
        delay = 1000;
        soon();
      } else if (event.kind === "queue" || event.kind === "call") {
        soon();
      }
    };
    socket.onclose = function () {
      live = false;
      body.classList.remove("live");
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 15000);
    };
  }

  setInterval(tick, 1000);
  setInterval(function () {
    if (!live) read();
  }, 5000);
  connect();
})();

// Centrex switchboard (attendant console), vanilla JS.
//
// Live data: one WebSocket to /api/v1/events (the session cookie authenticates, the server
// keeps it to the tenant). Presence events ({kind: "presence", extension, state}) set a lamp
// directly; call events ({kind: "call", state: started|ringing|answered|transferred|ended})
// trigger a re-read of GET /api/v1/calls, because the call lists need what events do not carry
// (park slot, held). Hold and park done from a phone publish no call event, so while any call
// is listed (or while the socket is down) the page also polls /api/v1/calls every 1.5 s.
// Registration events re-read GET /api/v1/presence (a lamp going offline/idle).
//
// Actions go through the call control API with the session's CSRF token; errors are RFC 9457
// problem JSON whose `detail` is shown to the attendant.
(function () {
  "use strict";
  const body = document.body;
  if (body.dataset.page !== "switchboard") return;

  const POLL_MS = 1500;
  const STATES = ["idle", "ringing", "busy", "dnd", "offline"];
  const tenant = body.dataset.tenant || "";
  const csrf = body.dataset.csrf || "";
  const strings = JSON.parse(document.getElementById("sb-strings").textContent);
  const storageKey = "centrex.switchboard.attendant." + tenant;
  const attendantInput = document.getElementById("sb-attendant");
  const targetInput = document.getElementById("sb-target");
  const message = document.getElementById("sb-message");
  const lampList = document.getElementById("sb-lamps");

  let calls = [];
  let selected = null; // call_id of the answered call chosen for a transfer by lamp click
  let live = false;
  const parkedSince = new Map(); // call_id -> time the page first saw it parked (ms)

  function t(key, values) {
    let text = strings[key] || key;
    if (values) {
      for (const name of Object.keys(values)) text = text.split("{" + name + "}").join(values[name]);
    }
    return text;
  }

  // ------------------------------------------------------------ the attendant's extension

  try {
    const saved = window.localStorage.getItem(storageKey);
    if (saved) attendantInput.value = saved;
  } catch (e) { /* storage refused (private mode): the default stays */ }
  attendantInput.addEventListener("input", function () {
    try { window.localStorage.setItem(storageKey, attendantInput.value.trim()); } catch (e) { /* ignore */ }
  });

  function attendant() {
    const value = attendantInput.value.trim();
    if (!value) { show(t("sb.no_attendant"), "error"); attendantInput.focus(); return null; }
    return value;
  }

  function show(text, kind) {
    message.textContent = text;
    message.className = "flash " + (kind || "ok");
    message.hidden = false;
  }

  // ------------------------------------------------------------ API

  async function api(method, path, payload) {
    const headers = { "Accept": "application/json" };
    if (tenant) headers["Centrex-Tenant"] = tenant;
    if (method !== "GET") headers["X-CSRF-Token"] = csrf;
    const init = { method: method, headers: headers, credentials: "same-origin" };
    if (payload !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(payload);
    }
    const response = await fetch(path, init);
    let data = null;
    if (response.status !== 204) {
      try { data = await response.json(); } catch (e) { data = null; }
    }
    if (!response.ok) {
      const detail = (data && (data.detail || data.title)) || String(response.status);
      throw new Error(detail);
    }
    return data;
  }

  function callPath(call, action) {
    return "/api/v1/calls/" + encodeURIComponent(call.call_id) + (action ? "/" + action : "");
  }

  async function act(work) {
    try {
      const text = await work(); // a message, or the API's answer (then a plain "Done.")
      show(typeof text === "string" ? text : t("sb.done"), "ok");
    } catch (e) {
      show(t("sb.failed", { message: e.message }), "error");
    }
    refreshCalls();
  }

  // ------------------------------------------------------------ lamps

  function lampFor(extension) {
    return lampList.querySelector('button.lamp[data-extension="' + CSS.escape(extension) + '"]');
  }

  function newLamp(extension) {
    const item = document.createElement("li");
    const lamp = document.createElement("button");
    lamp.type = "button";
    lamp.className = "lamp";
    lamp.dataset.extension = extension;
    for (const part of ["lamp-number", "lamp-name", "lamp-state"]) {
      const span = document.createElement("span");
      span.className = part;
      lamp.appendChild(span);
    }
    lamp.querySelector(".lamp-number").textContent = extension;
    item.appendChild(lamp);
    // keep the grid in extension order (shorter numbers first, as the server renders it)
    const after = Array.from(lampList.querySelectorAll("button.lamp")).find(function (other) {
      const o = other.dataset.extension;
      return o.length > extension.length || (o.length === extension.length && o > extension);
    });
    lampList.insertBefore(item, after ? after.parentElement : null);
    return lamp;
  }

  function setLamp(extension, state, name) {
    if (!STATES.includes(state)) state = "offline";
    const lamp = lampFor(extension) || newLamp(extension);
    for (const s of STATES) lamp.classList.remove(s);
    lamp.classList.add(state);
    lamp.dataset.state = state;
    lamp.querySelector(".lamp-state").textContent = t("sb.state." + state);
    if (name !== undefined) lamp.querySelector(".lamp-name").textContent = name;
  }

  // A presence event that arrives while a read of /api/v1/presence is on its way is newer
  // than what that read answers: the read must not set that lamp back.
  let presenceEvents = 0;
  const eventSeen = new Map(); // extension -> number of the last presence event for it

  async function refreshPresence() {
    const before = presenceEvents;
    try {
      const data = await api("GET", "/api/v1/presence?limit=1000");
      for (const item of data.items) {
        if ((eventSeen.get(item.extension) || 0) > before) continue;
        setLamp(item.extension, item.state, item.name || "");
      }
    } catch (e) { /* the next event or reconnect tries again */ }
  }

  function presenceEvent(extension, state) {
    presenceEvents += 1;
    eventSeen.set(extension, presenceEvents);
    setLamp(extension, state);
  }

  lampList.addEventListener("click", function (event) {
    const lamp = event.target.closest("button.lamp");
    if (!lamp) return;
    const extension = lamp.dataset.extension;
    const call = calls.find(function (c) { return c.call_id === selected; });
    if (call) {
      selected = null;
      transfer(call, extension);
      return;
    }
    targetInput.value = extension;
  });

  // ------------------------------------------------------------ calls

  function kindOf(call) {
    if (call.park_slot) return "parked";
    if (call.state === "answered") return "answered";
    if (call.state === "ringing") return "incoming"; // "routing": nothing to answer yet
    return null;
  }

  function sinceOf(call, kind) {
    if (kind === "parked") {
      if (call.parked_at) return Date.parse(call.parked_at);
      if (!parkedSince.has(call.call_id)) parkedSince.set(call.call_id, Date.now());
      return parkedSince.get(call.call_id);
    }
    const stamp = kind === "answered" ? call.answered_at || call.started_at : call.started_at;
    return stamp ? Date.parse(stamp) : Date.now();
  }

  function elapsed(since) {
    const seconds = Math.max(0, Math.floor((Date.now() - since) / 1000));
    const hours = Math.floor(seconds / 3600);
    const minutes = Math.floor(seconds / 60) % 60;
    const mmss = String(minutes).padStart(hours ? 2 : 1, "0") + ":" + String(seconds % 60).padStart(2, "0");
    return hours ? hours + ":" + mmss : mmss;
  }

  function button(label, action, extraClass) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.dataset.action = action;
    if (extraClass) b.className = extraClass;
    return b;
  }

  function cell(row, text, label) {
    const td = document.createElement("td");
    td.textContent = text;
    if (label) td.dataset.label = label;
    row.appendChild(td);
    return td;
  }

  function buildRow(call, kind, table) {
    const labels = Array.from(table.querySelectorAll("thead th")).map(function (th) { return th.textContent; });
    const row = document.createElement("tr");
    row.dataset.callId = call.call_id;
    if (kind === "parked") {
      cell(row, call.park_slot, labels[0]).className = "slot";
      cell(row, call.caller, labels[1]).className = "caller";
    } else {
      cell(row, call.caller, labels[0]).className = "caller";
      cell(row, call.callee, labels[1]).className = "callee";
    }
    const since = cell(row, "", labels[2]);
    since.className = "since";
    since.dataset.since = String(sinceOf(call, kind));
    since.textContent = elapsed(Number(since.dataset.since));
    const actions = document.createElement("td");
    actions.className = "actions";
    actions.dataset.label = labels[3];
    if (kind === "incoming") {
      actions.appendChild(button(t("sb.answer"), "answer"));
      actions.appendChild(button(t("sb.hangup"), "hangup", "danger"));
    } else if (kind === "answered") {
      if (call.held) {
        const badge = document.createElement("span");
        badge.className = "badge held";
        badge.textContent = t("sb.held");
        actions.appendChild(badge);
      }
      const choose = button(call.call_id === selected ? t("sb.selected") : t("sb.select"), "select", "secondary");
      choose.setAttribute("aria-pressed", call.call_id === selected ? "true" : "false");
      actions.appendChild(choose);
      actions.appendChild(button(t("sb.transfer"), "transfer"));
      actions.appendChild(button(t("sb.park"), "park"));
      actions.appendChild(call.held ? button(t("sb.resume"), "resume") : button(t("sb.hold"), "hold"));
      actions.appendChild(button(t("sb.hangup"), "hangup", "danger"));
    } else {
      actions.appendChild(button(t("sb.retrieve"), "retrieve"));
      actions.appendChild(button(t("sb.hangup"), "hangup", "danger"));
    }
    row.appendChild(actions);
    row.classList.toggle("selected", call.call_id === selected);
    return row;
  }

  function signature(call) {
    return [call.call_id, call.state, call.caller, call.callee, call.park_slot || "", call.held ? 1 : 0,
      call.call_id === selected ? 1 : 0].join("|");
  }

  function renderTable(id, kind, items) {
    const table = document.getElementById(id);
    const tbody = table.querySelector("tbody");
    const wanted = items.map(signature).join("\n");
    if (tbody.dataset.signature === wanted) return; // nothing changed: keep the rows (and focus)
    tbody.dataset.signature = wanted;
    tbody.replaceChildren();
    if (items.length === 0) {
      const row = document.createElement("tr");
      row.className = "empty";
      const td = cell(row, t("common.none"));
      td.colSpan = 4;
      tbody.appendChild(row);
      return;
    }
    for (const call of items) tbody.appendChild(buildRow(call, kind, table));
  }

  function render() {
    const groups = { incoming: [], answered: [], parked: [] };
    for (const call of calls) {
      const kind = kindOf(call);
      if (kind) groups[kind].push(call);
    }
    if (selected && !groups.answered.some(function (c) { return c.call_id === selected; })) selected = null;
    for (const id of parkedSince.keys()) {
      if (!groups.parked.some(function (c) { return c.call_id === id; })) parkedSince.delete(id);
    }
    renderTable("sb-incoming", "incoming", groups.incoming);
    renderTable("sb-answered", "answered", groups.answered);
    renderTable("sb-parked", "parked", groups.parked);
  }

  let loading = false;
  let again = false;
  async function refreshCalls() {
    if (loading) { again = true; return; }
    loading = true;
    try {
      const data = await api("GET", "/api/v1/calls?limit=1000");
      calls = data.items;
      render();
    } catch (e) {
      /* a failed read keeps the last lists; the next event or poll reads again */
    } finally {
      loading = false;
      if (again) { again = false; refreshCalls(); }
    }
  }

  // ------------------------------------------------------------ actions

  function transfer(call, to) {
    act(async function () {
      const done = await api("POST", callPath(call, "transfer"), { to: to, mode: "blind" });
      return t("sb.transferred", { to: (done && done.to) || to });
    });
  }

  const handlers = {
    answer: function (call) {
      const extension = attendant();
      if (extension) act(function () { return api("POST", callPath(call, "pickup"), { extension: extension }); });
    },
    retrieve: function (call) {
      const extension = attendant();
      if (extension) act(function () { return api("POST", callPath(call, "pickup"), { extension: extension }); });
    },
    select: function (call) {
      selected = selected === call.call_id ? null : call.call_id;
      if (selected) show(t("sb.pick_lamp"), "ok");
      render();
    },
    transfer: function (call) {
      const to = targetInput.value.trim();
      if (!to) {
        selected = call.call_id;
        show(t("sb.pick_lamp"), "ok");
        render();
        return;
      }
      selected = null;
      transfer(call, to);
    },
    park: function (call) {
      act(async function () {
        const done = await api("POST", callPath(call, "park"), {});
        return t("sb.parked_in", { slot: done && done.slot });
      });
    },
    hold: function (call) { act(function () { return api("POST", callPath(call, "hold"), {}); }); },
    resume: function (call) { act(function () { return api("POST", callPath(call, "resume"), {}); }); },
    hangup: function (call) { act(function () { return api("DELETE", callPath(call)); }); },
  };

  document.querySelectorAll("table.sb-calls").forEach(function (table) {
    table.addEventListener("click", function (event) {
      const b = event.target.closest("button[data-action]");
      if (!b) return;
      const row = b.closest("tr[data-call-id]");
      const call = row && calls.find(function (c) { return c.call_id === row.dataset.callId; });
      if (call && handlers[b.dataset.action]) handlers[b.dataset.action](call);
    });
  });

  document.getElementById("sb-dial").addEventListener("click", function () {
    const from = attendant();
    if (!from) return;
    const to = targetInput.value.trim();
    if (!to) { show(t("sb.no_target"), "error"); targetInput.focus(); return; }
    act(async function () {
      await api("POST", "/api/v1/calls", { from_extension: from, to: to });
      return t("sb.dialling", { from: from, to: to });
    });
  });

  // ------------------------------------------------------------ events, polling, clocks

  let callTimer = null;
  function callsSoon() {
    if (callTimer) return;
    callTimer = setTimeout(function () { callTimer = null; refreshCalls(); }, 100);
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
        refreshPresence();
        refreshCalls();
      } else if (event.kind === "presence") {
        presenceEvent(event.extension, event.state);
      } else if (event.kind === "call") {
        callsSoon();
      } else if (event.kind === "registration") {
        refreshPresence();
      }
    };
    socket.onclose = function () {
      live = false;
      body.classList.remove("live");
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }

  setInterval(function () {
    if (!live || calls.length > 0) refreshCalls();
  }, POLL_MS);
  setInterval(function () {
    document.querySelectorAll("td.since").forEach(function (td) {
      td.textContent = elapsed(Number(td.dataset.since));
    });
  }, 1000);

  refreshCalls();
  connect();
})();

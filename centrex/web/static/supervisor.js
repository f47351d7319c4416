// The supervisor console (supervisor_page.py), vanilla JS.
//
// The floor: GET /api/v1/agents/sessions (the agent desktop's sessions: state, reason, since,
// campaign, current call); where that route does not answer (404: not installed), each agent's
// GET /api/v1/agents/{extension}/state (the queue agent states) instead, and the source note
// says which. Read again on every queue, call and dialer event of /api/v1/events (the session
// cookie authenticates, the server keeps it to the tenant); a dialer "connected" event also
// says which agent is on which lead's call, a call's "ended" event that it is over. While the
// socket is down the floor is read every 5 s. Time in state counts up every second.
//
// Actions go through the REST API with the session's CSRF token (campaign start, pause,
// focus, assignment; listen/whisper/barge); errors are RFC 9457 problem JSON whose `detail`
// is shown. The recording search calls GET /api/v1/recordings with the form's criteria and
// plays a recording in the page's <audio> from /supervisor/recordings/{id}/audio.
(function () {
  "use strict";
  const body = document.body;
  if (body.dataset.page !== "supervisor") return;

  const tenant = body.dataset.tenant || "";
  const csrf = body.dataset.csrf || "";
  const tq = tenant ? "?tenant=" + encodeURIComponent(tenant) : "";
  const strings = JSON.parse(document.getElementById("sv-strings").textContent);
  const campaignNames = JSON.parse(document.getElementById("sv-campaign-names").textContent);
  const message = document.getElementById("sv-message");
  const floorBody = document.querySelector("#sv-floor tbody");
  const source = document.getElementById("sv-source");
  const ownInput = document.getElementById("sv-own-ext");
  const calls = new Map(); // extension -> {call_id, lead_id, name, campaign} from dialer events
  let sessionsRoute = true; // false once /api/v1/agents/sessions answered 404
  let live = false;
  let pending = null;

  function t(key, values) {
    let text = strings[key] || key;
    if (values) {
      for (const name of Object.keys(values)) text = text.split("{" + name + "}").join(values[name]);
    }
    return text;
  }

  function show(text, kind) {
    message.textContent = text;
    message.className = "flash " + (kind || "ok");
    message.hidden = false;
  }

  function headers(json) {
    const h = { "Accept": "application/json" };
    if (tenant) h["Centrex-Tenant"] = tenant;
    if (json) { h["Content-Type"] = "application/json"; h["X-CSRF-Token"] = csrf; }
    return h;
  }

  async function api(method, url, payload) {
    const options = { method: method, headers: headers(method !== "GET"), credentials: "same-origin" };
    if (payload !== undefined) options.body = JSON.stringify(payload);
    const response = await fetch(url, options);
    let data = null;
    try { data = await response.json(); } catch (e) { /* no body */ }
    return { ok: response.ok, status: response.status, data: data };
  }

  function problem(answer) {
    return (answer.data && (answer.data.detail || answer.data.title)) || String(answer.status);
  }

  // ------------------------------------------------------------------------------ the floor

  function rowOf(extension) {
    let row = floorBody.querySelector('tr[data-extension="' + CSS.escape(extension) + '"]');
    if (row) return row;
    const empty = floorBody.querySelector(".sv-empty");
    if (empty) empty.remove();
    row = document.createElement("tr");
    row.dataset.extension = extension;
    for (const name of ["sv-agent", "sv-state", "sv-time", "sv-campaign", "sv-call", "sv-monitor"]) {
      const cell = document.createElement("td");
      cell.className = name;
      row.append(cell);
    }
    const strong = document.createElement("strong");
    strong.textContent = extension;
    row.querySelector(".sv-agent").append(strong);
    const badge = document.createElement("span");
    badge.className = "sv-badge";
    const reason = document.createElement("span");
    reason.className = "sv-reason";
    row.querySelector(".sv-state").append(badge, " ", reason);
    for (const mode of ["listen", "whisper", "barge"]) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "secondary";
      button.dataset.mode = mode;
      button.disabled = true;
      button.textContent = t("supervisor.mode." + mode);
      row.querySelector(".sv-monitor").append(button);
    }
    floorBody.append(row);
    return row;
  }

  function showAgent(item) {
    const row = rowOf(item.extension);
    row.dataset.state = item.state;
    row.dataset.since = item.since || "";
    const badge = row.querySelector(".sv-badge");
    badge.className = "sv-badge " + item.state;
    badge.textContent = t("supervisor.state." + item.state);
    row.querySelector(".sv-reason").textContent = item.reason || "";
    if (Array.isArray(item.campaigns)) {
      const current = item.campaign_id ? campaignNames[String(item.campaign_id)] : null;
      const names = item.campaigns.map(function (c) { return typeof c === "object" ? c.name : campaignNames[String(c)]; });
      row.querySelector(".sv-campaign").textContent = current || names.filter(Boolean).join(", ");
    }
    if (item.call_id && item.state === "in-call") {
      const known = calls.get(item.extension);
      calls.set(item.extension, {
        call_id: item.call_id, lead_id: item.lead_id,
        name: known && known.call_id === item.call_id ? known.name : "",
      });
    } else if (item.call_id !== undefined && item.state !== "in-call") {
      calls.delete(item.extension);
    }
    showCall(row);
  }

  function showCall(row) {
    const call = calls.get(row.dataset.extension);
    const cell = row.querySelector(".sv-call");
    cell.textContent = call ? (call.name || t("supervisor.lead") + " " + (call.lead_id || "")) + " · " + call.call_id : t("supervisor.no_call");
    row.dataset.callId = call ? call.call_id : "";
    for (const button of row.querySelectorAll(".sv-monitor button")) button.disabled = !call;
  }

  function tick() {
    const now = Date.now();
    for (const row of floorBody.querySelectorAll("tr[data-extension]")) {
      const since = row.dataset.since ? Date.parse(row.dataset.since) : NaN;
      const cell = row.querySelector(".sv-time");
      if (isNaN(since)) { cell.textContent = ""; continue; }
      const seconds = Math.max(0, Math.floor((now - since) / 1000));
      const minutes = Math.floor(seconds / 60);
      cell.textContent = minutes + ":" + String(seconds % 60).padStart(2, "0");
    }
  }

  async function readFloor() {
    pending = null;
    try {
      if (sessionsRoute) {
        const answer = await api("GET", "/api/v1/agents/sessions");
        if (answer.ok) {
          source.textContent = t("supervisor.source_sessions");
          for (const item of answer.data.items) showAgent(item);
          tick();
          return;
        }
        if (answer.status !== 404 && answer.status !== 405) return;
        sessionsRoute = false;
      }
      source.textContent = t("supervisor.source_states");
      for (const row of floorBody.querySelectorAll("tr[data-extension]")) {
        const extension = row.dataset.extension;
        const answer = await api("GET", "/api/v1/agents/" + encodeURIComponent(extension) + "/state");
        if (answer.ok) showAgent(answer.data);
      }
      tick();
    } catch (error) {
      // the next event or poll reads again
    }
  }

  function soon() {
    if (pending === null) pending = setTimeout(readFloor, 150);
  }

  function onEvent(event) {
    if (event.kind === "campaign.call" && event.extension) {
      if (event.state === "connected") {
        calls.set(event.extension, { call_id: event.call_id, lead_id: event.lead_id, name: event.name });
      }
      const row = floorBody.querySelector('tr[data-extension="' + CSS.escape(event.extension) + '"]');
      if (row) showCall(row);
      soon();
    } else if (event.kind === "call") {
      if (event.state === "ended") {
        for (const [extension, call] of calls) {
          if (call.call_id === event.call_id) {
            calls.delete(extension);
            const row = floorBody.querySelector('tr[data-extension="' + CSS.escape(extension) + '"]');
            if (row) showCall(row);
          }
        }
      }
      soon();
    } else if (event.kind === "queue") {
      soon();
    }
  }

  floorBody.addEventListener("click", async function (click) {
    const button = click.target.closest("button[data-mode]");
    if (!button) return;
    const row = button.closest("tr");
    const own = ownInput.value.trim();
    if (!own) { show(t("supervisor.no_own_extension"), "error"); ownInput.focus(); return; }
    if (!row.dataset.callId) return;
    const mode = button.dataset.mode;
    const answer = await api("POST", "/api/v1/calls/" + encodeURIComponent(row.dataset.callId) + "/monitor",
                             { extension: own, mode: mode });
    if (answer.ok) {
      show(t("supervisor.monitoring", { mode: t("supervisor.mode." + mode), extension: row.dataset.extension, own: own }));
    } else {
      show(t("supervisor.failed", { reason: problem(answer) }), "error");
    }
  });

  // -------------------------------------------------------------------------- the campaigns

  function list(text) {
    return text.split(/[\s,;]+/).map(function (v) { return v.trim(); }).filter(Boolean);
  }

  function showCampaign(row, campaign) {
    row.dataset.status = campaign.status;
    row.querySelector(".sv-status").textContent = t("supervisor.status." + campaign.status);
    row.querySelector(".sv-start").disabled = campaign.status === "running";
    row.querySelector(".sv-pause").disabled = campaign.status !== "running";
    row.querySelector(".sv-focus input").value = campaign.postal_focus.join(", ");
    row.querySelector(".sv-assign input[name=agents]").value = campaign.agents.join(", ");
    row.querySelector(".sv-assign input[name=groups]").value = campaign.groups.join(", ");
  }

  async function campaignAction(row, method, suffix, payload) {
    const url = "/api/v1/campaigns/" + row.dataset.campaignId + suffix;
    message.hidden = true; // the answer to this action, not the last one's, shows next
    const answer = await api(method, url, payload);
    if (answer.ok) {
      showCampaign(row, answer.data);
      show(t("supervisor.done", { name: answer.data.name }));
    } else {
      show(t("supervisor.failed", { reason: problem(answer) }), "error");
    }
  }

  const campaigns = document.getElementById("sv-campaigns");
  campaigns.addEventListener("click", function (click) {
    const row = click.target.closest("tr[data-campaign-id]");
    if (!row) return;
    if (click.target.closest(".sv-start")) campaignAction(row, "POST", "/start");
    else if (click.target.closest(".sv-pause")) campaignAction(row, "POST", "/pause");
  });
  campaigns.addEventListener("submit", function (submit) {
    submit.preventDefault();
    const form = submit.target;
    const row = form.closest("tr[data-campaign-id]");
    if (form.classList.contains("sv-focus")) {
      campaignAction(row, "PUT", "/focus", { postal_codes: list(form.elements.postal_codes.value) });
    } else if (form.classList.contains("sv-assign")) {
      campaignAction(row, "PATCH", "", { agents: list(form.elements.agents.value), groups: list(form.elements.groups.value) });
    }
  });

  // ---------------------------------------------------------------------- recording search

  const search = document.getElementById("sv-search");
  const results = document.querySelector("#sv-recordings tbody");
  const found = document.getElementById("sv-found");
  const player = document.getElementById("sv-player");

  function day(text, plus) {
    const when = new Date(text + "T00:00:00Z");
    when.setUTCDate(when.getUTCDate() + plus);
    return when.toISOString();
  }

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text == null ? "" : String(text);
    return td;
  }

  search.addEventListener("submit", async function (submit) {
    submit.preventDefault();
    const params = new URLSearchParams({ limit: "100" });
    for (const name of ["name", "number", "lead", "campaign", "disposition"]) {
      const value = search.elements[name].value.trim();
      if (value) params.set(name, value);
    }
    if (search.elements.since.value) params.set("since", day(search.elements.since.value, 0));
    if (search.elements.until.value) params.set("until", day(search.elements.until.value, 1));
    const answer = await api("GET", "/api/v1/recordings?" + params.toString());
    results.replaceChildren();
    if (!answer.ok) { found.textContent = ""; show(t("supervisor.failed", { reason: problem(answer) }), "error"); return; }
    const items = answer.data.items.slice().reverse(); // newest first
    found.textContent = items.length ? t("supervisor.found", { count: answer.data.total }) : t("supervisor.none_found");
    for (const item of items) {
      const row = document.createElement("tr");
      row.dataset.recordingId = item.id;
      const when = (item.started_at || item.created_at || "").replace("T", " ").slice(0, 19);
      const seconds = Math.round(item.duration_ms / 1000);
      row.append(cell(when), cell(item.lead_name || ""), cell(item.lead_number || item.callee || ""),
                 cell(item.campaign_id ? campaignNames[String(item.campaign_id)] || "" : ""),
                 cell(item.disposition || ""), cell(seconds + " s"));
      const td = document.createElement("td");
      const play = document.createElement("button");
      play.type = "button";
      play.className = "secondary sv-play";
      play.textContent = t("supervisor.play");
      play.addEventListener("click", function () {
        player.src = "/supervisor/recordings/" + item.id + "/audio" + (player.dataset.tenantQuery || "");
        player.play().catch(function () { /* autoplay refused: the controls play it */ });
        show(t("supervisor.playing", { when: when }));
      });
      td.append(play);
      row.append(td);
      results.append(row);
    }
  });

  // ------------------------------------------------------------------------ the events

  let delay = 1000;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/api/v1/events" + tq);
    socket.onmessage = function (incoming) {
      const event = JSON.parse(incoming.data);
      if (event.kind === "ready") {
        live = true;
        body.classList.add("live");
        delay = 1000;
        soon();
      } else {
        onEvent(event);
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
  setInterval(function () { if (!live) readFloor(); }, 5000);
  tick();
  readFloor();
  connect();
})();

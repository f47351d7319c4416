// The call-flow builder: draws a flow's graph with Drawflow and edits it by drag and drop and
// the side panel. Why the page keeps its own model instead of reading Drawflow's export: the
// flow JSON (centrex/provisioning/flow_graph.py) is the truth, Drawflow only draws it; every
// structural change redraws the canvas from the model, and the canvas's own events (a
// connection drawn or removed, a node moved or deleted) are turned back into model changes.
// Every check is the server's: the graph goes to POST /api/v1/flows/validate after each change
// and its issues are drawn on their nodes; saving is PATCH /api/v1/flows/{id}.
"use strict";

(function () {
  const data = JSON.parse(document.getElementById("fe-data").textContent);
  const S = data.strings;
  const csrf = document.body.dataset.csrf || "";
  const canvas = document.getElementById("fe-canvas");
  const panel = document.getElementById("fe-panel");
  const status = document.getElementById("fe-status");
  const issuesList = document.getElementById("fe-issues");
  const simResult = document.getElementById("fe-sim-result");
  const TYPES = ["play", "menu", "time", "language", "transfer", "hangup"];
  const FIXED_PORTS = {
    play: ["next"], language: ["next"], time: ["open", "closed", "holiday"], transfer: [], hangup: [],
  };
  const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
  const PROMPT_TYPES = ["play", "menu", "language", "transfer", "hangup"];

  const graph = data.flow.graph || {};
  const model = {
    start: graph.start || null,
    nodes: Array.isArray(graph.nodes) ? JSON.parse(JSON.stringify(graph.nodes)) : [],
    layout: Object.assign({}, graph.layout || {}),
  };
  let dfToFlow = {};
  let flowToDf = {};
  let rendering = false;
  let selected = null;
  let issues = [];
  let path = [];
  let dirty = false;
  let validateTimer = null;
  let renderTimer = null;
  let validateSeq = 0;
  let panelStale = false;

  const editor = new window.Drawflow(canvas);
  editor.reroute = false;
  editor.force_first_input = true; // a connection dropped anywhere on a node reaches its input
  editor.start();

  // ---------------------------------------------------------------- the model

  function byId(id) {
    return model.nodes.find(function (n) { return n.id === id; }) || null;
  }

  function ports(node) {
    if (node.type === "menu") {
      const digits = Object.keys(node.branches || {}).map(function (d) { return "branches." + d; });
      return digits.concat(["timeout", "invalid"]);
    }
    return FIXED_PORTS[node.type] || [];
  }

  function getField(node, port) {
    if (port.indexOf("branches.") === 0) return (node.branches || {})[port.slice(9)] || null;
    return node[port] || null;
  }

  function setField(node, port, target) {
    if (port.indexOf("branches.") === 0) {
      node.branches = node.branches || {};
      node.branches[port.slice(9)] = target || ""; // an unconnected digit stays, and is flagged
    } else if (target) {
      node[port] = target;
    } else {
      delete node[port];
    }
  }

  function portLabel(port) {
    if (port.indexOf("branches.") === 0) return S.port_digit + " " + port.slice(9);
    return S["port_" + port] || port;
  }

  // A new step never takes the name a dangling branch still points at (it would silently
  // "repair" that branch with a step the user did not choose).
  function freshId(type) {
    const taken = new Set([model.start]);
    model.nodes.forEach(function (n) {
      taken.add(n.id);
      ports(n).forEach(function (p) { taken.add(getField(n, p)); });
    });
    let n = 1;
    while (taken.has(type + n)) n += 1;
    return type + n;
  }

  function defaults(type) {
    const first = function (kind) {
      const list = data.choices.targets[kind] || [];
      return list.length ? String(list[0].value) : "";
    };
    switch (type) {
      case "play": return { prompt: "menu.welcome" };
      case "menu": return { prompt: "menu.make_choice", branches: { "1": "" }, retries: 2, timeout_seconds: 5 };
      case "time": {
        const schedule = {};
        ["mon", "tue", "wed", "thu", "fri"].forEach(function (d) { schedule[d] = [["08:00", "18:00"]]; });
        return { timezone: data.timezone, schedule: schedule, holidays: [] };
      }
      case "language": return { choices: { "1": "de", "2": "fr", "3": "en", "4": "it" } };
      case "transfer": return { target: { kind: "extension", value: first("extension") } };
      default: return { prompt: "common.goodbye" };
    }
  }

  function addNode(type, x, y) {
    const id = freshId(type);
    const node = Object.assign({ id: id, type: type }, defaults(type));
    model.nodes.push(node);
    model.layout[id] = { x: Math.round(x), y: Math.round(y) };
    if (!model.start || !byId(model.start)) model.start = id;
    selected = id;
    changed(true, true);
  }

  function removeNode(id) {
    // References to it stay as they are: the validator then names each dangling branch.
    model.nodes = model.nodes.filter(function (n) { return n.id !== id; });
    delete model.layout[id];
    if (selected === id) selected = null;
    changed(true, true);
  }

  function renameNode(oldId, newId) {
    if (!newId || newId === oldId) return true;
    if (byId(newId)) { setStatus(S.id_taken, "bad"); return false; }
    model.nodes.forEach(function (n) {
      ports(n).forEach(function (p) { if (getField(n, p) === oldId) setField(n, p, newId); });
    });
    byId(oldId).id = newId;
    model.layout[newId] = model.layout[oldId];
    delete model.layout[oldId];
    if (model.start === oldId) model.start = newId;
    selected = newId;
    changed(true, true);
    return true;
  }

  function graphJson() {
    return { start: model.start, nodes: JSON.parse(JSON.stringify(model.nodes)), layout: model.layout };
  }

  // A flow saved without positions (made through the API): columns by distance from start.
  function layoutMissing() {
    const depth = {};
    const queue = [];
    if (model.start && byId(model.start)) { depth[model.start] = 0; queue.push(model.start); }
    while (queue.length) {
      const node = byId(queue.shift());
      ports(node).forEach(function (p) {
        const target = getField(node, p);
        if (target && byId(target) && depth[target] === undefined) {
          depth[target] = depth[node.id] + 1;
          queue.push(target);
        }
      });
    }
    const rows = {};
    model.nodes.forEach(function (node) {
      if (model.layout[node.id]) return;
      const column = depth[node.id] === undefined ? 0 : depth[node.id];
      rows[column] = (rows[column] || 0) + 1;
      model.layout[node.id] = { x: 40 + column * 250, y: 20 + (rows[column] - 1) * 190 };
    });
  }

  // ---------------------------------------------------------------- drawing

  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function promptSummary(prompt) {
    if (!prompt) return "";
    if (typeof prompt === "string") return prompt;
    if (prompt.media !== undefined) return S.prompt_media + " " + prompt.media;
    if (prompt.text !== undefined) return "“" + (typeof prompt.text === "string" ? prompt.text : Object.values(prompt.text)[0]) + "”";
    return "";
  }

  function summary(node) {
    switch (node.type) {
      case "time": {
        const days = WEEKDAYS.filter(function (d) { return (node.schedule || {})[d]; });
        return (node.timezone || "") + " · " + days.map(function (d) { return S["day_" + d]; }).join(" ");
      }
      case "transfer": {
        const t = node.target || {};
        return (S["kind_" + t.kind] || t.kind || "") + " " + (t.value || "");
      }
      case "language": return Object.entries(node.choices || {}).map(function (e) { return e[0] + "=" + e[1]; }).join(" ");
      default: return promptSummary(node.prompt);
    }
  }

  function nodeHtml(node) {
    const portRows = ports(node).map(function (p) {
      return '<li data-port="' + esc(p) + '">' + esc(portLabel(p)) + "</li>";
    }).join("");
    return '<div class="fe-node-body" data-node="' + esc(node.id) + '">' +
      '<div class="fe-head"><span class="fe-type">' + esc(S["type_" + node.type] || node.type) + "</span>" +
      '<strong class="fe-id">' + esc(node.id) + "</strong>" +
      (node.id === model.start ? '<span class="fe-start-badge">' + esc(S.start) + "</span>" : "") + "</div>" +
      (portRows ? '<ul class="fe-ports">' + portRows + "</ul>" : "") +
      '<div class="fe-summary">' + esc(summary(node)) + "</div>" +
      '<ul class="fe-errors"></ul></div>';
  }

  function render() {
    rendering = true;
    layoutMissing();
    editor.clearModuleSelected();
    dfToFlow = {};
    flowToDf = {};
    model.nodes.forEach(function (node) {
      const pos = model.layout[node.id];
      const classes = "fe-node fe-type-" + node.type + (node.id === model.start ? " fe-start" : "");
      const dfId = String(editor.addNode(node.type, 1, ports(node).length, pos.x, pos.y, classes, {}, nodeHtml(node)));
      dfToFlow[dfId] = node.id;
      flowToDf[node.id] = dfId;
    });
    model.nodes.forEach(function (node) {
      ports(node).forEach(function (p, i) {
        const target = getField(node, p);
        if (target && flowToDf[target] !== undefined) {
          editor.addConnection(flowToDf[node.id], flowToDf[target], "output_" + (i + 1), "input_1");
          const line = canvas.querySelector(".connection.node_out_node-" + flowToDf[node.id] +
            ".node_in_node-" + flowToDf[target] + ".output_" + (i + 1));
          if (line) Object.assign(line.dataset, { from: node.id, port: p, to: target });
        }
      });
    });
    rendering = false;
    editor.node_selected = null; // Drawflow's own selection pointed at the elements just replaced
    editor.connection_selected = null;
    markSelected();
    drawIssues();
    drawPath();
    document.body.dataset.renderPending = "no";
  }

  function nodeElement(id) {
    const dfId = flowToDf[id];
    return dfId === undefined ? null : document.getElementById("node-" + dfId);
  }

  function markSelected() {
    canvas.querySelectorAll(".fe-selected").forEach(function (el) { el.classList.remove("fe-selected"); });
    const el = selected ? nodeElement(selected) : null;
    if (el) el.classList.add("fe-selected");
  }

  function issueText(issue) {
    const label = S["issue_" + issue.error_id];
    return label ? label + ": " + issue.message : issue.message;
  }

  function drawIssues() {
    canvas.querySelectorAll(".fe-has-error").forEach(function (el) { el.classList.remove("fe-has-error"); });
    canvas.querySelectorAll(".fe-port-error").forEach(function (el) { el.classList.remove("fe-port-error"); });
    canvas.querySelectorAll(".fe-errors").forEach(function (el) { el.textContent = ""; });
    issuesList.textContent = "";
    issues.forEach(function (issue) {
      const el = issue.node ? nodeElement(issue.node) : null;
      const item = document.createElement("li");
      item.textContent = issueText(issue);
      item.dataset.errorId = issue.error_id;
      if (!el) {
        item.textContent = (issue.node ? issue.node + ": " : "") + item.textContent;
        issuesList.appendChild(item);
        return;
      }
      el.classList.add("fe-has-error");
      el.querySelector(".fe-errors").appendChild(item);
      const port = issue.field ? el.querySelector('.fe-ports li[data-port="' + CSS.escape(issue.field) + '"]') : null;
      if (port) port.classList.add("fe-port-error");
    });
  }

  function drawPath() {
    canvas.querySelectorAll(".fe-on-path").forEach(function (el) { el.classList.remove("fe-on-path"); });
    canvas.querySelectorAll(".fe-step").forEach(function (el) { el.remove(); });
    path.forEach(function (step, i) {
      const el = nodeElement(step.node);
      if (!el) return;
      el.classList.add("fe-on-path");
      const badge = document.createElement("span");
      badge.className = "fe-step";
      badge.textContent = String(i + 1);
      el.querySelector(".fe-head").appendChild(badge);
      const next = path[i + 1];
      const node = byId(step.node);
      if (!next || !node) return;
      ports(node).forEach(function (p, k) {
        if (getField(node, p) !== next.node) return;
        const selector = ".connection.node_out_node-" + flowToDf[step.node] + ".node_in_node-" +
          flowToDf[next.node] + ".output_" + (k + 1);
        canvas.querySelectorAll(selector).forEach(function (c) { c.classList.add("fe-on-path"); });
      });
    });
  }

  // ---------------------------------------------------------------- changes and the server

  function setStatus(text, kind) {
    status.textContent = text;
    status.className = "fe-status " + (kind || "");
  }

  // `redraw`: the canvas is drawn again; `repanel`: so is the side panel (never while typing
  // in it, which would take the focus away).
  function changed(redraw, repanel) {
    dirty = true;
    path = [];
    simResult.textContent = "";
    if (repanel) panelStale = true;
    if (redraw || repanel) {
      document.body.dataset.renderPending = "yes"; // scripts driving the page wait for "no"
      clearTimeout(renderTimer);
      renderTimer = setTimeout(function () {
        render();
        if (panelStale) { panelStale = false; showPanel(); }
      }, 0);
    }
    setStatus(S.unsaved, "warn");
    document.body.dataset.flowValid = "pending";
    clearTimeout(validateTimer);
    validateTimer = setTimeout(validate, 350);
  }

  function headers() {
    const h = { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf };
    if (data.staff) h["Centrex-Tenant"] = data.tenant;
    return h;
  }

  async function post(url, body, method) {
    const response = await fetch(url, {
      method: method || "POST", credentials: "same-origin", headers: headers(), body: JSON.stringify(body),
    });
    let payload = null;
    try { payload = await response.json(); } catch (e) { payload = null; }
    return { status: response.status, body: payload };
  }

  async function validate() {
    clearTimeout(validateTimer);
    const seq = ++validateSeq;
    const answer = await post("/api/v1/flows/validate", { graph: graphJson() });
    if (seq !== validateSeq) return null; // a newer change is being checked
    if (answer.status !== 200 || !answer.body) {
      setStatus(S.server_error, "bad");
      return null;
    }
    issues = answer.body.issues;
    drawIssues();
    document.body.dataset.flowValid = answer.body.valid ? "yes" : "no";
    if (answer.body.valid) setStatus(dirty ? S.valid_unsaved : S.valid_saved, dirty ? "warn" : "ok");
    else setStatus(S.problems.replace("{count}", issues.length), "bad");
    return answer.body.valid;
  }

  // PATCH answers 422 with fields "nodes.<id>.<field>"; ids may hold dots, so match known ids.
  function issuesFromProblem(problem) {
    const ids = model.nodes.map(function (n) { return n.id; }).sort(function (a, b) { return b.length - a.length; });
    return (problem.errors || []).map(function (e) {
      const rest = (e.field || "").indexOf("nodes.") === 0 ? e.field.slice(6) : "";
      const id = ids.find(function (x) { return rest === x || rest.indexOf(x + ".") === 0; }) || null;
      const field = id && rest.length > id.length ? rest.slice(id.length + 1) : null;
      return { node: id, error_id: e.type, message: e.message, field: field };
    });
  }

  async function save() {
    const valid = await validate();
    if (valid !== true) {
      setStatus(S.not_saved.replace("{count}", issues.length), "bad");
      return;
    }
    const answer = await post("/api/v1/flows/" + data.flow.id, { graph: graphJson() }, "PATCH");
    if (answer.status === 200) {
      dirty = false;
      document.body.dataset.saved = answer.body.updated_at || "yes";
      setStatus(S.saved, "ok");
    } else if (answer.status === 422 && answer.body) {
      issues = issuesFromProblem(answer.body);
      drawIssues();
      setStatus(S.not_saved.replace("{count}", issues.length), "bad");
    } else {
      setStatus((answer.body && answer.body.detail) || S.server_error, "bad");
    }
  }

  async function runSimulation(form) {
    const values = Object.fromEntries(new FormData(form).entries());
    values.graph = graphJson();
    const answer = await post("/tenant/flows/" + data.flow.id + "/simulate" + data.tq, values);
    simResult.textContent = "";
    if (answer.status === 422 && answer.body && answer.body.issues) {
      issues = answer.body.issues;
      drawIssues();
      simResult.textContent = S.sim_invalid;
      return;
    }
    if (answer.status !== 200 || !answer.body) {
      simResult.textContent = (answer.body && answer.body.detail) || S.server_error;
      return;
    }
    path = answer.body.path;
    drawPath();
    const list = document.createElement("ol");
    list.id = "fe-sim-path";
    path.forEach(function (step) {
      const item = document.createElement("li");
      item.dataset.node = step.node;
      item.textContent = step.node + " — " + step.outcome;
      list.appendChild(item);
    });
    const action = answer.body.action;
    const end = document.createElement("p");
    end.id = "fe-sim-action";
    end.textContent = action.type === "transfer"
      ? S.sim_transfer + " " + (S["kind_" + action.kind] || action.kind) + " " + action.value
      : S.sim_hangup + " (" + action.reason + ")";
    const at = document.createElement("p");
    at.className = "fe-muted";
    at.textContent = S.sim_at + " " + answer.body.at;
    simResult.append(at, list, end);
  }

  // ---------------------------------------------------------------- canvas events

  editor.on("connectionCreated", function (c) {
    if (rendering) return;
    const node = byId(dfToFlow[c.output_id]);
    const port = node ? ports(node)[parseInt(c.output_class.slice(7), 10) - 1] : null;
    if (!port) return;
    setField(node, port, dfToFlow[c.input_id]);
    changed(true, true); // redrawn: an output keeps one connection, the latest
  });

  editor.on("connectionRemoved", function (c) {
    if (rendering) return;
    // Decided after the event: when the target node is being deleted, the reference stays
    // (a dangling branch for the validator to name); a connection removed on its own is cut.
    setTimeout(function () {
      const node = byId(dfToFlow[c.output_id]);
      const stillThere = editor.drawflow.drawflow.Home.data[c.input_id] !== undefined;
      if (!node || !stillThere) return;
      const port = ports(node)[parseInt(c.output_class.slice(7), 10) - 1];
      if (port && getField(node, port) === dfToFlow[c.input_id]) {
        setField(node, port, null);
        changed(true, true);
      }
    }, 0);
  });

  editor.on("nodeRemoved", function (dfId) {
    if (rendering) return;
    const id = dfToFlow[String(dfId)];
    if (id) removeNode(id);
  });

  editor.on("nodeMoved", function (dfId) {
    const id = dfToFlow[String(dfId)];
    const info = editor.drawflow.drawflow.Home.data[dfId];
    if (!id || !info) return;
    model.layout[id] = { x: Math.round(info.pos_x), y: Math.round(info.pos_y) };
    dirty = true;
    setStatus(S.unsaved, "warn");
  });

  editor.on("nodeSelected", function (dfId) {
    if (rendering) return;
    selected = dfToFlow[String(dfId)] || null;
    markSelected();
    showPanel();
  });

  // ---------------------------------------------------------------- the palette

  document.querySelectorAll(".fe-add").forEach(function (button) {
    button.addEventListener("dragstart", function (ev) {
      ev.dataTransfer.setData("text/plain", button.dataset.type);
      ev.dataTransfer.effectAllowed = "copy";
    });
    button.addEventListener("click", function () { // touch screens and keyboards
      const count = model.nodes.length;
      addNode(button.dataset.type, 40 + (count % 4) * 230, 30 + Math.floor(count / 4) * 190);
    });
  });
  canvas.addEventListener("dragover", function (ev) { ev.preventDefault(); });
  canvas.addEventListener("drop", function (ev) {
    ev.preventDefault();
    const type = ev.dataTransfer.getData("text/plain");
    if (TYPES.indexOf(type) < 0) return;
    const box = editor.precanvas.getBoundingClientRect();
    addNode(type, (ev.clientX - box.x) / editor.zoom, (ev.clientY - box.y) / editor.zoom);
  });

  // Drawflow deletes its selected node on the Delete key anywhere in the document: keys typed
  // in the forms around the canvas must not reach it.
  document.querySelectorAll("#fe-panel, #fe-simulate, #fe-bindings").forEach(function (area) {
    area.addEventListener("keydown", function (ev) { ev.stopPropagation(); });
  });
  document.getElementById("fe-save").addEventListener("click", save);
  document.getElementById("fe-sim-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    runSimulation(ev.target);
  });

  // ---------------------------------------------------------------- the side panel

  function el(tag, attrs, children) {
    const e = document.createElement(tag);
    Object.entries(attrs || {}).forEach(function (kv) {
      if (kv[0] === "text") e.textContent = kv[1];
      else if (kv[1] !== null && kv[1] !== undefined) e.setAttribute(kv[0], kv[1]);
    });
    (children || []).forEach(function (c) { e.append(c); });
    return e;
  }

  function field(label, control) {
    return el("label", {}, [label, control]);
  }

  function select(name, options, value) {
    const s = el("select", { name: name });
    options.forEach(function (o) {
      const opt = el("option", { value: String(o.value), text: o.label });
      if (String(o.value) === String(value)) opt.selected = true;
      s.append(opt);
    });
    return s;
  }

  function onEdit(control, apply, repanel) {
    control.addEventListener(control.tagName === "SELECT" ? "change" : "input", function () {
      apply(control.value);
      changed(true, repanel === true);
    });
    return control;
  }

  function targetOptions(self) {
    const options = [{ value: "", label: S.not_connected }];
    model.nodes.forEach(function (n) { options.push({ value: n.id, label: n.id + " (" + S["type_" + n.type] + ")" }); });
    return options;
  }

  function promptEditor(node, name, optional) {
    const value = node[name];
    const kind = !value ? "none" : typeof value === "string" ? "key" : value.media !== undefined ? "media" : "text";
    const kinds = [{ value: "key", label: S.prompt_key }, { value: "media", label: S.prompt_media }, { value: "text", label: S.prompt_text }];
    if (optional) kinds.unshift({ value: "none", label: S.prompt_none });
    const kindSelect = select("prompt_kind", kinds, kind);
    let detail;
    if (kind === "key") {
      detail = onEdit(select("prompt_key", data.choices.prompts, value), function (v) { node[name] = v; });
    } else if (kind === "media") {
      const media = data.choices.media.length ? data.choices.media : [{ value: "", label: S.no_media }];
      detail = onEdit(select("prompt_media", media, value.media), function (v) { node[name] = { media: parseInt(v, 10) || 0 }; });
    } else if (kind === "text") {
      const text = typeof value.text === "string" ? value.text : Object.values(value.text || {})[0] || "";
      detail = onEdit(el("input", { name: "prompt_text", value: text, maxlength: "500" }), function (v) { node[name] = { text: v }; });
    }
    onEdit(kindSelect, function (v) {
      if (v === "none") delete node[name];
      else if (v === "key") node[name] = "menu.welcome";
      else if (v === "media") node[name] = { media: data.choices.media.length ? data.choices.media[0].value : 0 };
      else node[name] = { text: "" };
    }, true);
    return el("fieldset", { class: "fe-prompt" }, [el("legend", { text: S.prompt }), kindSelect].concat(detail ? [detail] : []));
  }

  function connections(node) {
    return el("fieldset", { class: "fe-connections" }, [el("legend", { text: S.connections })].concat(
      ports(node).map(function (p) {
        const control = onEdit(select("port_" + p, targetOptions(), getField(node, p) || ""), function (v) { setField(node, p, v); });
        const row = [field(portLabel(p), control)];
        if (p.indexOf("branches.") === 0) {
          const remove = el("button", { type: "button", class: "secondary fe-remove-branch", text: S.remove_branch });
          remove.addEventListener("click", function () { delete node.branches[p.slice(9)]; changed(true, true); });
          row.push(remove);
        }
        return el("div", { class: "fe-port-row" }, row);
      })));
  }

  function branchAdder(node) {
    const input = el("input", { name: "new_digit", maxlength: "8", inputmode: "numeric", placeholder: "3" });
    const add = el("button", { type: "button", class: "secondary", id: "fe-add-branch", text: S.add_branch });
    add.addEventListener("click", function () {
      const digit = input.value.trim();
      if (!digit) return;
      node.branches = node.branches || {};
      if (node.branches[digit] === undefined) node.branches[digit] = "";
      changed(true, true);
    });
    return el("div", { class: "fe-port-row" }, [field(S.new_digit, input), add]);
  }

  function numberInput(node, name, low, high) {
    return field(S["field_" + name], onEdit(el("input", { name: name, type: "number", min: low, max: high, value: node[name] }),
      function (v) { if (v === "") delete node[name]; else node[name] = Number(v); }));
  }

  function scheduleEditor(node) {
    const rows = WEEKDAYS.map(function (day) {
      const ranges = (node.schedule || {})[day] || [];
      const text = ranges.map(function (r) { return r.join("-"); }).join(", ");
      return field(S["day_" + day], onEdit(el("input", { name: "day_" + day, value: text, placeholder: "08:00-12:00, 13:30-17:00" }), function (v) {
        node.schedule = node.schedule || {};
        const parsed = v.split(/[,;]+/).map(function (s) { return s.trim(); }).filter(Boolean)
          .map(function (s) { const parts = s.split("-"); return [parts[0].trim(), (parts[1] || "").trim()]; });
        if (parsed.length) node.schedule[day] = parsed; else delete node.schedule[day];
      }));
    });
    const holidays = field(S.field_holidays, onEdit(el("input", { name: "holidays", value: (node.holidays || []).join(", "), placeholder: "12-25, 2026-08-01" }), function (v) {
      node.holidays = v.split(/[,;\s]+/).filter(Boolean);
    }));
    const zone = field(S.field_timezone, onEdit(el("input", { name: "timezone", value: node.timezone || "" }), function (v) { node.timezone = v.trim(); }));
    return el("fieldset", { class: "fe-schedule" }, [el("legend", { text: S.schedule }), zone].concat(rows, [holidays]));
  }

  function targetEditor(node) {
    node.target = node.target || { kind: "extension", value: "" };
    const kinds = Object.keys(data.choices.targets).map(function (k) { return { value: k, label: S["kind_" + k] || k }; });
    const listId = "fe-targets-" + node.target.kind;
    const list = el("datalist", { id: listId }, (data.choices.targets[node.target.kind] || []).map(function (o) {
      return el("option", { value: String(o.value), text: o.label });
    }));
    return el("fieldset", {}, [
      el("legend", { text: S.target }),
      field(S.target_kind, onEdit(select("target_kind", kinds, node.target.kind), function (v) { node.target.kind = v; }, true)),
      field(S.target_value, onEdit(el("input", { name: "target_value", value: node.target.value || "", list: listId }), function (v) { node.target.value = v.trim(); })),
      list,
    ]);
  }

  function languageEditor(node) {
    const text = Object.entries(node.choices || {}).map(function (e) { return e[0] + "=" + e[1]; }).join(", ");
    return field(S.field_choices, onEdit(el("input", { name: "choices", value: text, placeholder: "1=de, 2=fr" }), function (v) {
      node.choices = {};
      v.split(/[,;]+/).map(function (s) { return s.trim(); }).filter(Boolean).forEach(function (pair) {
        const parts = pair.split("=");
        node.choices[parts[0].trim()] = (parts[1] || "").trim();
      });
    }));
  }

  function showPanel() {
    panel.textContent = "";
    const node = selected ? byId(selected) : null;
    if (!node) {
      panel.append(el("p", { class: "fe-muted", text: S.panel_empty }));
      return;
    }
    panel.dataset.node = node.id;
    const idInput = el("input", { name: "node_id", value: node.id, maxlength: "64" });
    idInput.addEventListener("change", function () { if (!renameNode(node.id, idInput.value.trim())) idInput.value = node.id; });
    const parts = [el("h2", { text: S["type_" + node.type] }), field(S.node_id, idInput)];
    if (model.start !== node.id) {
      const start = el("button", { type: "button", class: "secondary", id: "fe-make-start", text: S.make_start });
      start.addEventListener("click", function () { model.start = node.id; changed(true, true); });
      parts.push(start);
    } else {
      parts.push(el("p", { class: "fe-muted", text: S.is_start }));
    }
    if (PROMPT_TYPES.indexOf(node.type) >= 0) parts.push(promptEditor(node, "prompt", node.type !== "play" && node.type !== "menu"));
    if (node.type === "time") parts.push(scheduleEditor(node));
    if (node.type === "transfer") parts.push(targetEditor(node));
    if (node.type === "language") parts.push(languageEditor(node));
    if (node.type === "menu") {
      parts.push(numberInput(node, "retries", 0, 9), numberInput(node, "timeout_seconds", 1, 60));
    }
    if (ports(node).length || node.type === "menu") {
      const conn = connections(node);
      if (node.type === "menu") conn.append(branchAdder(node));
      parts.push(conn);
    }
    const remove = el("button", { type: "button", class: "danger", id: "fe-delete-node", text: S.delete_node });
    remove.addEventListener("click", function () { removeNode(node.id); });
    parts.push(remove);
    parts.forEach(function (p) { panel.append(p); });
  }

  render();
  showPanel();
  validate();
  window.centrexFlowEditor = { model: model, graph: graphJson, validate: validate, save: save };
})();

// The call-script form editor (issue 16): pages, questions, answers with their branch, the
// page's next, objections, edited as fields instead of JSON. The JSON text area (under
// "Advanced") stays the one source the form posts: every edit of the form rewrites it and fires
// its `input` event (so `scripts_editor.js` checks it live), and text typed into it redraws the
// form. The form holds no rule of its own: the problems the platform's validator names
// (`script-issues` events from scripts_editor.js) are shown on the page or question they belong
// to, as the flow builder marks its nodes.
(() => {
  const area = document.getElementById("script-definition");
  const root = document.getElementById("script-form");
  if (!area || !root) return;
  const say = (key) => area.getAttribute(`data-t-${key}`) || key;
  const known = JSON.parse(area.dataset.fields || "[]");
  let model = null;
  let issues = [];
  let lastText = null; // the focused text field of each page, for the field chips

  const el = (tag, props = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key === "class") node.className = value;
      else if (key.startsWith("data-")) node.setAttribute(key, value);
      else if (key === "on") Object.entries(value).forEach(([ev, fn]) => node.addEventListener(ev, fn));
      else node[key] = value;
    }
    children.flat().forEach((c) => c != null && node.append(c));
    return node;
  };
  const pages = () => (Array.isArray(model.pages) ? model.pages : (model.pages = []));
  const pageIds = () => pages().map((p) => (p && typeof p.id === "string" ? p.id : "")).filter(Boolean);
  const questionsOf = (p) => (Array.isArray(p.questions) ? p.questions : (p.questions = []));
  const objections = () => (Array.isArray(model.objections) ? model.objections : (model.objections = []));

  function write() {
    const clean = JSON.parse(JSON.stringify(model));
    (clean.pages || []).forEach((p) => {
      if (p && Array.isArray(p.questions) && !p.questions.length) delete p.questions;
      if (p && !p.next) delete p.next;
    });
    if (Array.isArray(clean.objections) && !clean.objections.length) delete clean.objections;
    area.value = JSON.stringify(clean, null, 2);
    area.dispatchEvent(new Event("input"));
  }

  function unique(prefix, taken) {
    let n = 1;
    while (taken.includes(`${prefix}${n}`)) n += 1;
    return `${prefix}${n}`;
  }
  function move(list, index, by) {
    const to = index + by;
    if (to < 0 || to >= list.length) return;
    [list[index], list[to]] = [list[to], list[index]];
  }

  // A "go to page" select: the pages of the script, and a value naming no page kept as it is
  // (marked missing) so the validator's dangling-branch error stays visible until it is fixed.
  function target(value, none, onPick, cls) {
    const select = el("select", { class: `page-target ${cls}`, on: { change: () => onPick(select.value) } });
    fillTarget(select, value, none);
    return select;
  }
  function fillTarget(select, value, none) {
    const ids = pageIds();
    select.replaceChildren(el("option", { value: "", textContent: none }));
    ids.forEach((id) => select.append(el("option", { value: id, textContent: id })));
    if (value && !ids.includes(value)) {
      select.append(el("option", { value, textContent: `${value} (${say("form_missing")})` }));
    }
    select.value = value || "";
    select.dataset.none = none;
  }
  function refreshTargets(from, to) {
    root.querySelectorAll("select.page-target").forEach((s) => {
      fillTarget(s, from && s.value === from ? to : s.value, s.dataset.none);
    });
  }

  function field(label, input) {
    return el("label", { class: "sf-field" }, el("span", { textContent: label }), input);
  }
  function text(value, onInput, props = {}) {
    const input = el(props.multiline ? "textarea" : "input", {
      value: typeof value === "string" ? value : "", ...props.attrs,
      on: { ...(props.attrs && props.attrs.on), input: () => { onInput(input.value); write(); },
        change: props.onChange || (() => {}) },
    });
    if (props.multiline) input.rows = 4;
    return input;
  }
  function button(key, onClick, cls = "secondary") {
    return el("button", { type: "button", class: `${cls} sf-${key}`, textContent: say(`form_${key}`),
      on: { click: () => { onClick(); write(); render(); } } });
  }
  function problems(list) {
    if (!list.length) return null;
    return el("ul", { class: "sf-problems" },
      list.map((i) => el("li", { "data-error": i.error, textContent: i.message })));
  }

  function insertField(pageNode, name) {
    const input = lastText && pageNode.contains(lastText) ? lastText : pageNode.querySelector(".sf-page-text");
    const at = input.selectionStart ?? input.value.length;
    const end = input.selectionEnd ?? at;
    input.value = `${input.value.slice(0, at)}{${name}}${input.value.slice(end)}`;
    input.focus();
    input.setSelectionRange(at + name.length + 2, at + name.length + 2);
    input.dispatchEvent(new Event("input"));
  }

  function optionRows(page, q) {
    const branches = q.branches && typeof q.branches === "object" ? q.branches : {};
    const setBranch = (answer, to) => {
      q.branches = { ...(q.branches || {}) };
      if (to) q.branches[answer] = to; else delete q.branches[answer];
      if (!Object.keys(q.branches).length) delete q.branches;
    };
    const answers = q.type === "yesno" ? ["yes", "no"] : (Array.isArray(q.options) ? q.options : []);
    const rows = answers.map((answer, index) => {
      const pick = target(branches[answer], say("form_goto_none"), (to) => { setBranch(answer, to); write(); }, "sf-goto");
      const cells = [];
      if (q.type === "yesno") {
        cells.push(el("span", { class: "sf-answer", textContent: say(`form_${answer}`) }));
      } else {
        const input = text(answer, (value) => {
          const old = q.options[index];
          q.options[index] = value;
          if (q.branches && old in q.branches) {
            const to = q.branches[old];
            delete q.branches[old];
            if (value) q.branches[value] = to;
          }
          answer = value;
        }, { attrs: { class: "sf-option", "aria-label": say("form_option") } });
        cells.push(input);
      }
      cells.push(field(say("form_goto"), pick));
      if (q.type === "choice") {
        cells.push(button("remove", () => {
          if (q.branches) delete q.branches[q.options[index]];
          q.options.splice(index, 1);
        }));
      }
      return el("li", { class: "sf-option-row", "data-answer": answer }, cells);
    });
    const box = el("div", { class: "sf-options" }, el("span", { class: "sf-caption", textContent: say("form_options") }),
      el("ol", {}, rows));
    if (q.type === "choice") {
      box.append(button("add_option", () => { q.options = [...(Array.isArray(q.options) ? q.options : []), ""]; }));
    }
    return box;
  }

  function questionNode(page, q, index, list) {
    const type = el("select", { class: "sf-type", on: { change: () => {
      q.type = type.value;
      if (q.type === "choice") { q.options = Array.isArray(q.options) && q.options.length ? q.options : [""]; }
      else delete q.options;
      if (q.type !== "choice" && q.type !== "yesno") delete q.branches;
      else if (q.branches) {
        const offer = q.type === "yesno" ? ["yes", "no"] : q.options;
        Object.keys(q.branches).forEach((k) => offer.includes(k) || delete q.branches[k]);
      }
      write(); render();
    } } }, ["text", "choice", "yesno"].map((t) => el("option", { value: t, textContent: say(`type_${t}`) })));
    type.value = q.type;
    const node = el("fieldset", { class: "sf-question", "data-question": q.id || "" },
      el("legend", { textContent: `${say("form_question")} ${index + 1}` }),
      el("div", { class: "sf-row" },
        field(say("form_id"), text(q.id, (v) => { q.id = v; node.dataset.question = v; }, { attrs: { class: "sf-question-id" } })),
        field(say("form_label"), text(q.label, (v) => { q.label = v; }, { attrs: { class: "sf-question-label" } })),
        field(say("form_type"), type)),
      (q.type === "choice" || q.type === "yesno") ? optionRows(page, q) : null,
      el("div", { class: "sf-tools" },
        button("up", () => move(list, index, -1)), button("down", () => move(list, index, 1)),
        button("remove", () => list.splice(index, 1))));
    return node;
  }

  function pageNode(p, index) {
    if (!p || typeof p !== "object") return el("p", { textContent: JSON.stringify(p) });
    const node = el("fieldset", { class: "sf-page", "data-page": p.id || "", "data-index": String(index) });
    let before = p.id;
    const remember = (e) => { lastText = e.target; };
    const chips = el("div", { class: "sf-chips" }, el("span", { textContent: say("form_fields_hint") }),
      [...new Set([...known, ...(Array.isArray(model.fields) ? model.fields : [])])].map((name) =>
        el("button", { type: "button", class: "chip", "data-field": name, textContent: `{${name}}`,
          on: { mousedown: (e) => e.preventDefault(), click: () => insertField(node, name) } })));
    const qs = questionsOf(p);
    node.append(
      el("legend", { textContent: `${say("form_page")} ${index + 1}` }),
      el("div", { class: "sf-row" },
        field(say("form_id"), text(p.id, (v) => { p.id = v; node.dataset.page = v; },
          { attrs: { class: "sf-page-id", on: { focus: () => { before = p.id; } } },
            onChange: () => {
              const moved = rename(before, p.id);
              refreshTargets(moved ? before : null, p.id);
              before = p.id;
              write();
            } })),
        field(say("form_title_field"), text(p.title, (v) => { p.title = v; },
          { attrs: { class: "sf-page-title", on: { focus: remember } } }))),
      field(say("form_text"), text(p.text, (v) => { p.text = v; },
        { multiline: true, attrs: { class: "sf-page-text", on: { focus: remember } } })),
      chips,
      el("div", { class: "sf-questions" }, qs.map((q, i) => (q && typeof q === "object" ? questionNode(p, q, i, qs) : null))),
      button("add_question", () => {
        const taken = pages().flatMap((other) => (other && Array.isArray(other.questions) ? other.questions : []).map((q) => q && q.id));
        qs.push({ id: unique("q", taken), label: "", type: "text" });
      }),
      field(say("form_next"), target(p.next, say("form_next_none"), (to) => { p.next = to; write(); }, "sf-next")),
      el("div", { class: "sf-tools" },
        button("up", () => move(pages(), index, -1)), button("down", () => move(pages(), index, 1)),
        button("remove", () => pages().splice(index, 1))));
    return node;
  }

  function objectionNode(o, index, list) {
    return el("fieldset", { class: "sf-objection", "data-objection": o.id || "" },
      el("div", { class: "sf-row" },
        field(say("form_id"), text(o.id, (v) => { o.id = v; }, { attrs: { class: "sf-objection-id" } })),
        field(say("form_label"), text(o.label, (v) => { o.label = v; }, { attrs: { class: "sf-objection-label" } }))),
      field(say("form_rebuttal"), text(o.rebuttal, (v) => { o.rebuttal = v; },
        { multiline: true, attrs: { class: "sf-objection-rebuttal" } })),
      el("div", { class: "sf-tools" }, button("remove", () => list.splice(index, 1))));
  }

  // A page renamed: the start, the nexts and the branches that led to it follow it (a link to
  // a page that no longer exists is left alone, for the validator to name).
  function rename(from, to) {
    if (!from || from === to || pageIds().includes(from)) return false;
    if (model.start === from) model.start = to;
    pages().forEach((p) => {
      if (!p || typeof p !== "object") return;
      if (p.next === from) p.next = to;
      questionsOf(p).forEach((q) => {
        if (!q || !q.branches || typeof q.branches !== "object") return;
        Object.keys(q.branches).forEach((k) => { if (q.branches[k] === from) q.branches[k] = to; });
      });
    });
    return true;
  }

  function render() {
    root.replaceChildren();
    if (!model) {
      root.append(el("p", { class: "sf-broken", textContent: say("form_json_broken") }));
      const advanced = document.getElementById("script-advanced");
      if (advanced) advanced.open = true; // the JSON is where it can be fixed
      return;
    }
    const start = target(model.start, "—", (to) => { model.start = to; write(); }, "sf-start");
    const list = objections();
    root.append(
      field(say("form_start"), start),
      el("h3", { textContent: say("form_pages") }),
      el("div", { class: "sf-pages" }, pages().map(pageNode)),
      button("add_page", () => {
        const id = unique("page", pageIds());
        pages().push({ id, title: "", text: "" });
        if (!model.start) model.start = id;
      }),
      el("h3", { textContent: say("form_objections") }),
      el("div", { class: "sf-objections" }, list.map((o, i) => (o && typeof o === "object" ? objectionNode(o, i, list) : null))),
      button("add_objection", () => list.push({ id: unique("objection", list.map((o) => o && o.id)), label: "", rebuttal: "" })));
    mark();
  }

  function read() {
    try {
      const value = JSON.parse(area.value);
      model = value && typeof value === "object" && !Array.isArray(value) ? value : null;
    } catch (error) {
      model = null;
    }
  }

  // typed into the JSON: redraw the form (the form's own writes are recognised and skipped)
  area.addEventListener("input", (event) => {
    if (event.isTrusted) { read(); issues = []; render(); }
  });
  area.addEventListener("script-issues", (event) => { issues = event.detail || []; mark(); });
  // Each problem on the page or question it names (the first page of an id, as the validator
  // means it); the rest (start, unknown keys, a page without a valid id) at the top.
  function mark() {
    // only the marks change: drop and redraw them without touching the fields being typed in
    root.querySelectorAll(".sf-problems").forEach((n) => n.remove());
    root.querySelectorAll(".invalid").forEach((n) => n.classList.remove("invalid"));
    if (!model) return;
    const ids = pageIds();
    const general = problems(issues.filter((i) => i.page == null || !ids.includes(i.page)));
    if (general) root.querySelector(".sf-field").after(general);
    root.querySelectorAll("fieldset.sf-page").forEach((node) => {
      const p = pages()[Number(node.dataset.index)];
      if (!p || pages().findIndex((o) => o && o.id === p.id) !== Number(node.dataset.index)) return;
      const own = problems(issues.filter((i) => i.page === p.id && i.question == null));
      if (own) { node.classList.add("invalid"); node.querySelector(":scope > .sf-tools").before(own); }
      node.querySelectorAll(":scope > .sf-questions > fieldset.sf-question").forEach((qn) => {
        const mine = problems(issues.filter((i) => i.page === p.id && i.question != null && i.question === qn.dataset.question));
        if (mine) { qn.classList.add("invalid"); qn.querySelector(":scope > .sf-tools").before(mine); }
      });
    });
  }
  read();
  render();
})();

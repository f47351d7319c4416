// The call-script editor's live check (issue 16): the definition is sent, as it is typed, to
// POST /api/v1/scripts/validate (the platform's own validator, with the session cookie and its
// CSRF token) and every problem it names is listed under the text area. The page holds no rule
// of its own: saving posts the form, and the server checks again. Each answer is also handed
// to the form editor (`script-issues` event) to mark the page or question a problem is on.
(() => {
  const area = document.getElementById("script-definition");
  const box = document.getElementById("script-problems");
  if (!area || !box) return;
  const csrf = document.body.dataset.csrf || "";
  const tenant = document.body.dataset.tenant || "";
  const say = (key) => area.getAttribute(`data-t-${key}`) || key;
  let timer = null;
  let asked = 0;

  function show(lines, valid, errors) {
    box.replaceChildren();
    const list = document.createElement(valid ? "p" : "ul");
    list.className = valid ? "valid" : "problems";
    if (valid) {
      list.textContent = lines[0];
    } else {
      lines.forEach((line, index) => {
        const item = document.createElement("li");
        item.textContent = line;
        if (errors && errors[index]) item.dataset.error = errors[index].error;
        list.append(item);
      });
    }
    box.append(list);
    // the form editor (scripts_form.js) marks each problem on its page or question
    area.dispatchEvent(new CustomEvent("script-issues", { detail: errors || [] }));
  }

  async function check() {
    const mine = ++asked;
    let value;
    try {
      value = JSON.parse(area.value);
    } catch (error) {
      show([`${say("live_json")} ${error.message}`], false);
      return;
    }
    const headers = { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf };
    if (area.dataset.staff) headers["Centrex-Tenant"] = tenant;
    let answer;
    try {
      answer = await fetch(area.dataset.validate, {
        method: "POST", headers, body: JSON.stringify(value), credentials: "same-origin",
      });
    } catch (error) {
      if (mine === asked) show([String(error)], false);
      return;
    }
    if (mine !== asked) return; // a newer text is being checked
    const data = await answer.json().catch(() => ({}));
    if (!answer.ok) {
      show([data.detail || String(answer.status)], false);
    } else if (data.valid) {
      show([say("live_valid")], true);
    } else {
      show(data.errors.map((e) => e.message), false, data.errors);
    }
  }

  area.addEventListener("input", () => {
    clearTimeout(timer);
    box.dataset.state = "checking";
    timer = setTimeout(() => check().finally(() => { box.dataset.state = "done"; }), 300);
  });
  check().finally(() => { box.dataset.state = "done"; });
})();

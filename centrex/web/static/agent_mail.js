// E-mails and Word letters for the popped lead, in the desktop's `#agent-mail` section
// (issue 16, helper M).
//
// On the desktop's `centrex:lead` event {lead_id, campaign_id, ...} (or `window.centrexAgent.lead`
// when the event came before this module) it lists the mail templates usable in the lead's
// campaign (GET /api/v1/mail-templates?campaign_id=) and the lead's letter templates
// (GET /api/v1/leads/{id}/documents). The agent chooses a template, previews the merged mail
// (POST /api/v1/leads/{id}/mail/preview) and sends it (POST /api/v1/leads/{id}/mail: a refusal
// of the mail server is shown with its reason, the mail being kept for retry); chooses a letter
// and downloads it as .docx or PDF (POST /api/v1/leads/{id}/documents; no LibreOffice on the
// server: its message is shown). Strings through `window.centrexT` (keys `agent_panels.mail.*`).

const csrf = document.body.dataset.csrf || "";
let lead = null;

function t(key, values) {
  const translate = window.centrexT;
  return translate ? translate("agent_panels.mail." + key, values) : key;
}

function el(tag, props, children) {
  const node = document.createElement(tag);
  Object.assign(node, props || {});
  for (const child of children || []) node.append(child);
  return node;
}

async function api(method, url, body) {
  const headers = { "Accept": "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(url, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    let detail = String(response.status);
    try {
      const problem = await response.json();
      detail = problem.detail || detail;
    } catch (error) { /* not JSON: keep the status */ }
    const failure = new Error(detail);
    failure.status = response.status;
    throw failure;
  }
  return response;
}

function say(section, text, kind) {
  const note = section.querySelector(".mail-note");
  note.textContent = text;
  note.className = "mail-note flash " + (kind || "ok");
  note.hidden = !text;
}

function options(select, items, empty) {
  select.replaceChildren();
  if (!items.length) select.append(el("option", { value: "", textContent: empty }));
  for (const item of items) select.append(el("option", { value: String(item.id), textContent: item.name }));
  select.disabled = !items.length;
}

function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = el("a", { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function filenameOf(response, fallback) {
  const header = response.headers.get("Content-Disposition") || "";
  const match = /filename="([^"]+)"/.exec(header);
  return match ? match[1] : fallback;
}

function build(section) {
  section.replaceChildren();
  const mailSelect = el("select", { name: "mail_template", id: "agent-mail-template" });
  const letterSelect = el("select", { name: "letter_template", id: "agent-letter-template" });
  const preview = el("div", { className: "mail-preview", hidden: true }, [
    el("p", {}, [el("strong", { textContent: t("from") + " " }), el("span", { className: "mail-from" })]),
    el("p", {}, [el("strong", { textContent: t("to") + " " }), el("span", { className: "mail-to" })]),
    el("p", {}, [el("strong", { textContent: t("subject") + " " }), el("span", { className: "mail-subject" })]),
    el("pre", { className: "mail-body" }),
  ]);
  section.append(
    el("h2", { textContent: t("title") }),
    el("p", { className: "mail-note", hidden: true }),
    el("label", {}, [t("template") + " ", mailSelect]),
    el("div", { className: "actions" }, [
      el("button", { type: "button", className: "secondary mail-preview-button", textContent: t("preview") }),
      el("button", { type: "button", className: "mail-send", textContent: t("send") }),
    ]),
    preview,
    el("h3", { textContent: t("letters") }),
    el("label", {}, [t("letter") + " ", letterSelect]),
    el("div", { className: "actions" }, [
      el("button", { type: "button", className: "secondary letter-docx", textContent: t("download_docx") }),
      el("button", { type: "button", className: "secondary letter-pdf", textContent: t("download_pdf") }),
    ]),
  );
  section.querySelector(".mail-preview-button").addEventListener("click", () => showPreview(section));
  section.querySelector(".mail-send").addEventListener("click", () => send(section));
  section.querySelector(".letter-docx").addEventListener("click", () => letter(section, "docx"));
  section.querySelector(".letter-pdf").addEventListener("click", () => letter(section, "pdf"));
}

function chosen(section, name) {
  const value = section.querySelector("select[name=" + name + "]").value;
  return value ? Number(value) : null;
}

async function showPreview(section) {
  const id = chosen(section, "mail_template");
  if (!lead || !id) return;
  try {
    const response = await api("POST", "/api/v1/leads/" + lead.lead_id + "/mail/preview", { template_id: id });
    const mail = await response.json();
    const box = section.querySelector(".mail-preview");
    box.querySelector(".mail-from").textContent = mail.from;
    box.querySelector(".mail-to").textContent = mail.to;
    box.querySelector(".mail-subject").textContent = mail.subject;
    box.querySelector(".mail-body").textContent = mail.body;
    box.hidden = false;
    say(section, "");
  } catch (error) {
    say(section, t("failed", { reason: error.message }), "error");
  }
}

async function send(section) {
  const id = chosen(section, "mail_template");
  if (!lead || !id) return;
  const button = section.querySelector(".mail-send");
  button.disabled = true;
  try {
    const response = await api("POST", "/api/v1/leads/" + lead.lead_id + "/mail", { template_id: id });
    const mail = await response.json();
    say(section, t("sent", { to: mail.to }), "ok");
  } catch (error) {
    const key = error.status === 502 ? "refused" : "failed";
    say(section, t(key, { reason: error.message }), "error");
  } finally {
    button.disabled = false;
  }
}

async function letter(section, format) {
  const id = chosen(section, "letter_template");
  if (!lead || !id) return;
  try {
    const response = await api("POST", "/api/v1/leads/" + lead.lead_id + "/documents", { template_id: id, format });
    download(await response.blob(), filenameOf(response, "letter." + format));
    say(section, t("downloaded"), "ok");
  } catch (error) {
    say(section, t("failed", { reason: error.message }), "error");
  }
}

async function show(detail) {
  const section = document.getElementById("agent-mail");
  if (!section || !detail || !detail.lead_id) return;
  lead = detail;
  build(section);
  try {
    const campaign = detail.campaign_id ? "?campaign_id=" + encodeURIComponent(detail.campaign_id) : "";
    const [mails, letters] = await Promise.all([
      api("GET", "/api/v1/mail-templates" + campaign).then((r) => r.json()),
      api("GET", "/api/v1/leads/" + detail.lead_id + "/documents").then((r) => r.json()),
    ]);
    options(section.querySelector("select[name=mail_template]"), mails.items, t("no_template"));
    options(section.querySelector("select[name=letter_template]"), letters.items, t("no_letter"));
    section.dataset.leadId = String(detail.lead_id);
  } catch (error) {
    say(section, t("unavailable"), "error");
  }
}

window.addEventListener("centrex:lead", (event) => show(event.detail));
if (window.centrexAgent && window.centrexAgent.lead) show(window.centrexAgent.lead);
const home = document.getElementById("agent-mail");
if (home) home.dataset.ready = "true";  // listening (tests wait for it before a screen pop)

// The softphone's call history (phone.js): the user's calls from the CDR API
// (GET /api/v1/cdrs?extension=N, the portal session; a plain user only ever gets its own), and
// this page's own calls of this session when that API cannot be read. A row's button puts its
// number back in the dial field.

export class CallHistory {
  constructor(phone) {
    this.phone = phone;
  }

  async load() {
    if (!/^[0-9]+$/.test(this.phone.extension)) return this.renderOwn();
    try {
      const query = "?limit=20&extension=" + encodeURIComponent(this.phone.extension);
      const response = await fetch("/api/v1/cdrs" + query, {
        credentials: "same-origin", headers: { "Accept": "application/json" },
      });
      if (!response.ok) throw new Error(String(response.status));
      const page = await response.json();
      this.render(page.items.map((cdr) => this.cdrRow(cdr)));
    } catch (error) {
      this.renderOwn();
    }
  }

  cdrRow(cdr) {
    const outgoing = cdr.caller === this.phone.extension;
    return {
      started_at: cdr.started_at,
      party: outgoing ? cdr.callee : cdr.caller,
      direction: outgoing ? "out" : "in",
      disposition: cdr.disposition || "",
      billsec: cdr.billsec,
    };
  }

  renderOwn() {
    this.render(this.phone.history.filter((entry) => entry !== this.phone.current));
  }

  render(rows) {
    const body = document.getElementById("phone-history");
    if (rows.length === 0) {
      const row = document.createElement("tr");
      const cell = document.createElement("td");
      cell.colSpan = 5;
      cell.textContent = this.phone.t("phone.history_none");
      row.append(cell);
      body.replaceChildren(row);
      return;
    }
    body.replaceChildren(...rows.map((entry) => {
      const row = document.createElement("tr");
      row.className = "phone-history-row";
      const when = String(entry.started_at).slice(0, 19).replace("T", " ");
      for (const text of [when, entry.party, this.phone.t("phone.direction." + entry.direction),
        entry.disposition, String(entry.billsec)]) {
        const cell = document.createElement("td");
        cell.textContent = text;
        row.append(cell);
      }
      const call = document.createElement("button");
      call.type = "button";
      call.className = "link phone-redial";
      call.dataset.target = entry.party;
      call.textContent = "↻";
      row.lastChild.append(" ", call);
      return row;
    }));
  }
}

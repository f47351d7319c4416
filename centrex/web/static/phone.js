// The browser softphone (phone_page.py): SIP over WebSocket (RFC 7118) with SIP.js's
// SessionManager, WebRTC media, and `window.centrexPhone` for automation and CRM click-to-call.
//
// Why the credential is fetched and not rendered: the page and its scripts hold no secret.
// POST /api/v1/me/phone-credential (portal session + X-CSRF-Token) answers the WebSocket URL,
// the SIP URI, the authorization user and a short-lived password; it is asked again before
// `expires_at` and the new password replaces the old one for the next REGISTER refresh.
// DTMF goes as RTP telephone-events (RFC 4733) through RTCDTMFSender, never SIP INFO.
import { CallHistory } from "./phone-history.js";
import { audioConstraints, md5Transport, narrowbandModifier } from "./phone-sip.js";
import { PhoneState } from "./phone-state.js";

const SIPJS = "/static/vendor/sip.js/index.js";
const CREDENTIAL_URL = "/api/v1/me/phone-credential";
const RETRY_MS = 30000; // a failed credential fetch is tried again after this
const DIGITS = /^[0-9A-Da-d#*,]+$/;
const DTMF_WAIT_TRIES = 50; // 5 s for the media transport of a just-answered call

function byId(id) {
  return document.getElementById(id);
}

function format(text, values) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

class Phone {
  constructor(panel) {
    this.panel = panel;
    this.strings = JSON.parse(byId("phone-strings").textContent);
    this.machine = new PhoneState();
    this.extension = panel.dataset.phoneExtension || "";
    this.csrf = document.body.dataset.csrf || "";
    this.SIP = null;
    this.manager = null;
    this.session = null;
    this.peer = "";
    this.held = false;
    this.muted = false;
    this.error = "";
    this.sipUri = "";
    this.domain = "";
    this.inputId = "";
    this.outputId = "";
    this.history = []; // this page's own calls, newest first (shown when the CDR API cannot be read)
    this.current = null; // the history entry of the call in progress
    this.calls = new CallHistory(this);
    this.refreshTimer = null;
    this.ring = null;
    this.remote = byId("phone-remote");
    this.machine.onChange((state) => this.changed(state));
  }

  t(key, values) {
    const text = this.strings[key] || key;
    return values ? format(text, values) : text;
  }

  // ------------------------------------------------------------------ start and credential

  async start() {
    this.bindUi();
    this.render();
    this.listDevices();
    this.calls.load();
    try {
      this.SIP = await import(SIPJS);
    } catch (error) {
      this.fail(this.t("phone.no_library"));
      return;
    }
    await this.register();
  }

  async fetchCredential() {
    const response = await fetch(CREDENTIAL_URL, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": this.csrf },
    });
    if (!response.ok) {
      let reason = String(response.status);
      try {
        const problem = await response.json();
        reason = problem.detail || problem.title || reason;
      } catch (error) {
        // not problem+json: the status says enough
      }
      throw new Error(reason);
    }
    return response.json();
  }

  async register() {
    this.machine.feed("start");
    let credential;
    try {
      credential = await this.fetchCredential();
    } catch (error) {
      this.machine.feed("unregistered");
      this.fail(this.t("phone.credential_failed", { reason: error.message }));
      setTimeout(() => this.register(), RETRY_MS);
      return;
    }
    this.sipUri = credential.sip_uri;
    if (credential.authorization_user !== this.extension) {
      // the server chose the line (the user's lowest extension): show and list that one
      this.extension = credential.authorization_user;
      this.calls.load();
    }
    this.domain = credential.sip_uri.replace(/^sips?:[^@]*@/, "").replace(/[;>].*$/, "");
    this.scheduleRefresh(credential.expires_at);
    const phone = this;
    this.manager = new this.SIP.Web.SessionManager(credential.ws_url, {
      aor: credential.sip_uri,
      maxSimultaneousSessions: 1,
      sendDTMFUsingSessionDescriptionHandler: true, // RFC 4733 events, not SIP INFO
      registrationRetry: true,
      reconnectionAttempts: 1000000,
      reconnectionDelay: 4,
      media: { constraints: { audio: true, video: false }, remote: { audio: this.remote } },
      registererRegisterOptions: {
        requestDelegate: {
          onReject(response) {
            const status = response.message.statusCode + " " + response.message.reasonPhrase;
            phone.fail(phone.t("phone.failed", { reason: status }));
          },
        },
      },
      userAgentOptions: {
        authorizationUsername: credential.authorization_user,
        authorizationPassword: credential.password,
        displayName: credential.display_name || "",
        transportConstructor: md5Transport(this.SIP),
        logLevel: "warn",
        logConfiguration: false,
        sessionDescriptionHandlerFactoryOptions: {
          // loopback and LAN servers need no STUN; never reach out to a public STUN server
          peerConnectionConfiguration: { iceServers: [] },
          iceGatheringTimeout: 2000,
        },
      },
      delegate: {
        onRegistered() { phone.clearError(); phone.machine.feed("registered"); },
        onUnregistered() { phone.machine.feed("unregistered"); },
        onServerDisconnect(error) {
          phone.machine.feed("unregistered");
          if (error) phone.fail(phone.t("phone.connection_lost"));
        },
        onCallCreated(session) { phone.created(session); },
        onCallReceived(session) { phone.received(session); },
        onCallAnswered(session) { phone.answered(session); },
        onCallHangup(session) { phone.ended(session); },
        onCallHold(session, held) { phone.held = held; phone.render(); },
      },
    });
    try {
      await this.manager.connect();
      await this.manager.register();
    } catch (error) {
      this.machine.feed("unregistered");
      this.fail(this.t("phone.failed", { reason: error.message }));
    }
  }

  scheduleRefresh(expiresAt) {
    clearTimeout(this.refreshTimer);
    const left = Date.parse(expiresAt) - Date.now();
    if (!(left > 0)) return;
    // well before the end, so the REGISTER refresh after it carries the new password
    this.refreshTimer = setTimeout(() => this.refreshCredential(), Math.max(5000, left * 0.8));
  }

  async refreshCredential() {
    try {
      const credential = await this.fetchCredential();
      if (this.manager) {
        this.manager.userAgent.configuration.authorizationPassword = credential.password;
      }
      this.scheduleRefresh(credential.expires_at);
    } catch (error) {
      this.fail(this.t("phone.credential_failed", { reason: error.message }));
      this.refreshTimer = setTimeout(() => this.refreshCredential(), RETRY_MS);
    }
  }

  // ------------------------------------------------------------------ calls

  target(text) {
    const value = String(text || "").trim();
    if (/^sips?:/i.test(value)) return value;
    if (value.includes("@")) return "sip:" + value;
    const number = value.replace(/[\s().-]/g, "");
    if (!/^\+?[0-9*#]+$/.test(number)) throw new Error("not a number or SIP address: " + value);
    return "sip:" + number + "@" + this.domain;
  }

  async call(text) {
    if (this.machine.state !== "registered") throw new Error("cannot call while " + this.machine.state);
    const uri = this.target(text);
    this.peer = String(text).trim();
    this.machine.feed("dial");
    try {
      await this.manager.call(uri, {
        sessionDescriptionHandlerOptions: { constraints: audioConstraints(this.inputId) },
        sessionDescriptionHandlerModifiers: [narrowbandModifier],
        sessionDescriptionHandlerModifiersReInvite: [narrowbandModifier],
      });
    } catch (error) {
      if (this.session === null) this.machine.feed("ended");
      this.fail(this.t("phone.failed", { reason: error.message }));
      throw error;
    }
  }

  created(session) {
    if (this.session !== null) return; // a second INVITE during a call: received() declines it
    this.session = session;
    this.held = false;
    this.muted = false;
    const outgoing = !(session instanceof this.SIP.Invitation);
    this.current = {
      started_at: new Date().toISOString(),
      party: outgoing ? this.peer : this.caller(session),
      direction: outgoing ? "out" : "in",
      disposition: "no-answer",
      answeredAt: 0,
      billsec: 0,
    };
    this.history.unshift(this.current);
  }

  caller(session) {
    const identity = session.remoteIdentity;
    const user = identity && identity.uri ? identity.uri.user : "";
    const name = identity && identity.displayName ? identity.displayName : "";
    return name && name !== user ? name + " <" + user + ">" : user || name;
  }

  received(session) {
    if (session === this.session) this.peer = this.caller(session);
    if (session !== this.session || !this.machine.feed("incoming")) {
      this.manager.decline(session).catch(() => {});
      return;
    }
    this.startRinging();
  }

  answered(session) {
    this.stopRinging();
    if (this.current) {
      this.current.disposition = "answered";
      this.current.answeredAt = Date.now();
    }
    this.machine.feed("answered");
    this.listDevices(); // labels are known once the microphone was granted
    if (this.outputId) this.applyOutput(this.outputId);
  }

  ended(session) {
    if (session !== this.session) return;
    this.stopRinging();
    if (this.current && this.current.answeredAt) {
      this.current.billsec = Math.round((Date.now() - this.current.answeredAt) / 1000);
    }
    this.session = null;
    this.current = null;
    this.held = false;
    this.muted = false;
    this.machine.feed("ended");
    setTimeout(() => this.calls.load(), 1000); // the server writes the CDR at hang-up
  }

  need(states) {
    if (this.session === null || !states.includes(this.machine.state)) {
      throw new Error("no call to act on (state " + this.machine.state + ")");
    }
    return this.session;
  }

  async answer() {
    const session = this.need(["ringing"]);
    this.stopRinging();
    session.sessionDescriptionHandlerModifiersReInvite = [narrowbandModifier];
    await this.manager.answer(session, {
      sessionDescriptionHandlerOptions: { constraints: audioConstraints(this.inputId) },
      sessionDescriptionHandlerModifiers: [narrowbandModifier],
    });
  }

  async hangup() {
    const session = this.need(["calling", "ringing", "in-call"]);
    await this.manager.hangup(session);
  }

  async hold() {
    await this.manager.hold(this.need(["in-call"]));
    this.held = this.manager.isHeld(this.session);
    this.render();
  }

  async resume() {
    await this.manager.unhold(this.need(["in-call"]));
    this.held = this.manager.isHeld(this.session);
    this.render();
  }

  mute() {
    this.manager.mute(this.need(["in-call"]));
    this.muted = true;
    this.render();
  }

  unmute() {
    this.manager.unmute(this.need(["in-call"]));
    this.muted = false;
    this.render();
  }

  async dtmf(digits) {
    const session = this.need(["in-call"]);
    const tones = String(digits).toUpperCase();
    if (!DIGITS.test(tones)) throw new Error("not DTMF digits: " + digits);
    // RFC 4733 telephone-events through RTCDTMFSender (SIP.js's sendDtmf). insertDTMF replaces
    // the tones still waiting, so keys pressed while others play are appended to those.
    const sdh = session.sessionDescriptionHandler;
    const sender = sdh.peerConnection && sdh.peerConnection.getSenders().find((s) => s.dtmf);
    // the call is "in-call" at the 200 OK, but the sender can insert tones only once ICE and
    // DTLS are up (a script dialling and sending digits at once would lose them)
    for (let tries = 0; sender && sender.dtmf && !sender.dtmf.canInsertDTMF && tries < DTMF_WAIT_TRIES; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const waiting = sender && sender.dtmf ? sender.dtmf.toneBuffer : "";
    if (this.session !== session) throw new Error("the call ended");
    if (!sdh.sendDtmf(waiting + tones, { duration: 160, interToneGap: 70 })) {
      throw new Error("the call has no DTMF sender (telephone-event not negotiated)");
    }
  }

  async transfer(text) {
    const session = this.need(["in-call"]);
    const uri = this.target(text);
    const phone = this;
    await this.manager.transfer(session, uri, {
      requestDelegate: {
        onAccept() {
          // blind transfer (RFC 3515): the server rings the target for the other party and
          // sends us BYE once it answered; a failed transfer comes back to this call, so the
          // page does not hang up by itself
          phone.notice(phone.t("phone.transferred", { target: String(text).trim() }));
        },
        onReject(response) {
          phone.fail(phone.t("phone.failed", { reason: response.message.reasonPhrase }));
        },
      },
    });
  }

  // A header of the incoming INVITE ringing or answered here (undefined for an outgoing call):
  // the agent desktop answers the dialer's call, which carries X-Centrex-Lead, without a click.
  inviteHeader(name) {
    const session = this.session;
    if (!session || !this.SIP || !(session instanceof this.SIP.Invitation)) return undefined;
    return session.request.getHeader(name);
  }

  async stats() {
    const result = { packetsSent: 0, packetsReceived: 0, bytesSent: 0, bytesReceived: 0,
      packetsLost: 0, audioLevel: 0, totalAudioEnergy: 0, codec: "", canInsertDTMF: false };
    const sdh = this.session && this.session.sessionDescriptionHandler;
    const pc = sdh && sdh.peerConnection;
    if (!pc) return result;
    const report = await pc.getStats();
    const sender = pc.getSenders().find((s) => s.track && s.track.kind === "audio");
    result.canInsertDTMF = Boolean(sender && sender.dtmf && sender.dtmf.canInsertDTMF);
    report.forEach((entry) => {
      if (entry.kind !== undefined && entry.kind !== "audio") return;
      if (entry.type === "outbound-rtp") {
        result.packetsSent += entry.packetsSent || 0;
        result.bytesSent += entry.bytesSent || 0;
        const codec = entry.codecId && report.get(entry.codecId);
        if (codec) result.codec = codec.mimeType + "/" + codec.clockRate;
      } else if (entry.type === "inbound-rtp") {
        result.packetsReceived += entry.packetsReceived || 0;
        result.bytesReceived += entry.bytesReceived || 0;
        result.packetsLost += entry.packetsLost || 0;
        result.audioLevel = Math.max(result.audioLevel, entry.audioLevel || 0);
        result.totalAudioEnergy += entry.totalAudioEnergy || 0;
      }
    });
    return result;
  }

  // ------------------------------------------------------------------ devices

  async listDevices() {
    const media = navigator.mediaDevices;
    if (!media || !media.enumerateDevices) return;
    let devices = [];
    try {
      devices = await media.enumerateDevices();
    } catch (error) {
      return;
    }
    this.fillDevices(byId("phone-input"), devices.filter((d) => d.kind === "audioinput"), this.inputId);
    const output = byId("phone-output");
    if (typeof this.remote.setSinkId !== "function") {
      output.disabled = true;
      output.title = this.t("phone.no_sink");
      return;
    }
    this.fillDevices(output, devices.filter((d) => d.kind === "audiooutput"), this.outputId);
  }

  fillDevices(select, devices, chosen) {
    const first = document.createElement("option");
    first.value = "";
    first.textContent = this.t("phone.default_device");
    const options = [first];
    devices.forEach((device, index) => {
      if (!device.deviceId || device.deviceId === "default") return;
      const option = document.createElement("option");
      option.value = device.deviceId;
      option.textContent = device.label || device.kind + " " + (index + 1);
      option.selected = device.deviceId === chosen;
      options.push(option);
    });
    select.replaceChildren(...options);
  }

  async chooseInput(deviceId) {
    this.inputId = deviceId || "";
    const sdh = this.session && this.session.sessionDescriptionHandler;
    if (this.machine.state !== "in-call" || !sdh) return; // the next call uses it
    const stream = await navigator.mediaDevices.getUserMedia(audioConstraints(this.inputId));
    await sdh.setLocalMediaStream(stream); // replaces the sender's track, no re-INVITE
    if (this.muted) this.manager.mute(this.session);
  }

  async applyOutput(deviceId) {
    this.outputId = deviceId || "";
    if (typeof this.remote.setSinkId === "function") await this.remote.setSinkId(this.outputId);
  }

  // ------------------------------------------------------------------ ringing tone

  startRinging() {
    // a 425 Hz ring (1 s on, 4 s off) from Web Audio; a browser that blocks audio before any
    // click just stays silent, the page still shows the call
    try {
      const context = new AudioContext();
      const gain = context.createGain();
      gain.gain.value = 0;
      gain.connect(context.destination);
      const tone = context.createOscillator();
      tone.frequency.value = 425;
      tone.connect(gain);
      tone.start();
      let on = false;
      const beat = () => {
        on = !on;
        gain.gain.value = on ? 0.2 : 0;
        this.ringTimer = setTimeout(beat, on ? 1000 : 4000);
      };
      beat();
      this.ring = context;
    } catch (error) {
      this.ring = null;
    }
  }

  stopRinging() {
    clearTimeout(this.ringTimer);
    if (this.ring) this.ring.close().catch(() => {});
    this.ring = null;
  }

  // ------------------------------------------------------------------ the page

  bindUi() {
    const act = (work) => {
      Promise.resolve().then(work).catch((error) => this.fail(this.t("phone.failed", { reason: error.message })));
    };
    byId("phone-dial").addEventListener("submit", (event) => {
      event.preventDefault();
      act(() => this.call(byId("phone-target").value));
    });
    byId("phone-hangup").addEventListener("click", () => act(() => this.hangup()));
    byId("phone-answer").addEventListener("click", () => act(() => this.answer()));
    byId("phone-decline").addEventListener("click", () => act(() => this.hangup()));
    byId("phone-hold").addEventListener("click", () => act(() => (this.held ? this.resume() : this.hold())));
    byId("phone-mute").addEventListener("click", () => act(() => (this.muted ? this.unmute() : this.mute())));
    byId("phone-transfer").addEventListener("submit", (event) => {
      event.preventDefault();
      act(() => this.transfer(byId("phone-transfer-target").value));
    });
    byId("phone-keypad").addEventListener("click", (event) => {
      const digit = event.target.dataset && event.target.dataset.digit;
      if (!digit) return;
      if (this.machine.state === "in-call") act(() => this.dtmf(digit));
      else byId("phone-target").value += digit;
    });
    byId("phone-history").addEventListener("click", (event) => {
      const target = event.target.dataset && event.target.dataset.target;
      if (target) byId("phone-target").value = target;
    });
    byId("phone-input").addEventListener("change", (event) => act(() => this.chooseInput(event.target.value)));
    byId("phone-output").addEventListener("change", (event) => act(() => this.applyOutput(event.target.value)));
    if (navigator.mediaDevices && navigator.mediaDevices.addEventListener) {
      navigator.mediaDevices.addEventListener("devicechange", () => this.listDevices());
    }
  }

  changed(state) {
    if (state !== "ringing") this.stopRinging();
    this.render();
    window.dispatchEvent(new CustomEvent("centrexphone", { detail: { state: state, peer: this.peer } }));
  }

  render() {
    const state = this.machine.state;
    this.panel.dataset.state = state;
    let status = this.t("phone.state." + state);
    if (state === "calling") status = this.t("phone.calling_to", { party: this.peer });
    if (state === "in-call") {
      status = this.t("phone.talking_to", { party: this.peer });
      if (this.held) status += " · " + this.t("phone.held");
      if (this.muted) status += " · " + this.t("phone.muted");
    }
    byId("phone-status").textContent = status;
    byId("phone-incoming").hidden = state !== "ringing";
    byId("phone-caller").textContent = this.t("phone.incoming_from", { caller: this.peer });
    byId("phone-call").disabled = state !== "registered";
    byId("phone-hangup").disabled = !["calling", "ringing", "in-call"].includes(state);
    for (const id of ["phone-hold", "phone-mute", "phone-transfer-go"]) byId(id).disabled = state !== "in-call";
    byId("phone-hold").textContent = this.t(this.held ? "phone.resume" : "phone.hold");
    byId("phone-mute").textContent = this.t(this.muted ? "phone.unmute" : "phone.mute");
    byId("phone-hold").setAttribute("aria-pressed", String(this.held));
    byId("phone-mute").setAttribute("aria-pressed", String(this.muted));
  }

  notice(text) {
    const box = byId("phone-message");
    box.textContent = text;
    box.className = "phone-message ok";
    box.hidden = false;
  }

  fail(text) {
    this.error = text;
    const box = byId("phone-message");
    box.textContent = text;
    box.className = "phone-message error";
    box.hidden = false;
  }

  clearError() {
    this.error = "";
    byId("phone-message").hidden = true;
  }
}

/** `window.centrexPhone`: the page's phone for scripts (CRM click-to-call, tests). */
function publicApi(phone) {
  return Object.freeze({
    get state() { return phone.machine.state; },
    get peer() { return phone.peer; },
    get held() { return phone.held; },
    get muted() { return phone.muted; },
    get error() { return phone.error; },
    get sipUri() { return phone.sipUri; },
    get history() { return phone.history.map((entry) => Object.assign({}, entry)); },
    call: (target) => phone.call(target),
    answer: () => phone.answer(),
    hangup: () => phone.hangup(),
    hold: () => phone.hold(),
    resume: () => phone.resume(),
    mute: () => phone.mute(),
    unmute: () => phone.unmute(),
    dtmf: (digits) => phone.dtmf(digits),
    transfer: (target) => phone.transfer(target),
    stats: () => phone.stats(),
    header: (name) => phone.inviteHeader(name),
    remoteStream: () => phone.remote.srcObject,
  });
}

const panel = byId("phone");
if (panel) {
  const phone = new Phone(panel);
  window.centrexPhone = publicApi(phone);
  phone.start();
}

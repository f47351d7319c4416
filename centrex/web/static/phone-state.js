// The softphone's state machine (phone.js), pure: no DOM, no SIP.js, no clock.
//
// Theory of operation. The page has one registration (RFC 3261 section 10, over WebSocket as
// RFC 7118) and at most one call (SIP.js's SessionManager rejects a second INVITE with 486/480
// while one exists). The states are what `window.centrexPhone.state` reports:
//   idle         not registered (before the credential arrived, or after the server was lost)
//   registering  the credential is fetched and REGISTER sent, no 200 yet
//   registered   ready: registered and no call
//   calling      our INVITE is out, no 2xx yet (RFC 3261 13.2.2: 1xx then a final answer)
//   ringing      an INVITE for us is ringing, not answered yet (RFC 3261 13.3.1)
//   in-call      the dialog is confirmed (2xx sent or received)
// Hold and mute are flags of an in-call call, not states: a held call is still a call.
// Every legal move is one entry in TRANSITIONS; any other (state, input) is a programming or
// protocol error that `next` reports by throwing, and phone.js logs and ignores.

export const STATES = Object.freeze(["idle", "registering", "registered", "calling", "ringing", "in-call"]);

export const INPUTS = Object.freeze([
  "start",        // the credential is being fetched / REGISTER is being sent
  "registered",   // 200 OK to REGISTER (first one or a refresh)
  "unregistered", // registration refused or expired, or the WebSocket was lost
  "dial",         // the user (or the JS API) placed a call
  "incoming",     // an INVITE arrived
  "answered",     // the call's dialog is confirmed
  "ended",        // the call is over (BYE, CANCEL, failure answer, decline)
]);

const CALL_STATES = ["calling", "ringing", "in-call"];

function table() {
  const moves = {
    "idle|start": "registering",
    "registering|start": "registering",
    "registering|registered": "registered",
    "registering|unregistered": "idle",
    "registered|start": "registered", // a credential refresh keeps the registration
    "registered|registered": "registered",
    "registered|unregistered": "idle",
    "registered|dial": "calling",
    "registered|incoming": "ringing",
    "calling|answered": "in-call",
    "ringing|answered": "in-call",
    "in-call|answered": "in-call", // a re-INVITE (hold, resume) confirms the dialog again
  };
  for (const state of CALL_STATES) {
    moves[state + "|start"] = state;
    moves[state + "|registered"] = state; // a REGISTER refresh during a call
    moves[state + "|ended"] = "registered";
    moves[state + "|unregistered"] = "idle"; // the WebSocket carried the call too
  }
  return Object.freeze(moves);
}

export const TRANSITIONS = table();

export class IllegalTransition extends Error {
  constructor(state, input) {
    super(`no transition from ${state} on ${input}`);
    this.state = state;
    this.input = input;
  }
}

/** The state after `input` in `state`; throws IllegalTransition for a move not in the table. */
export function next(state, input) {
  const target = TRANSITIONS[state + "|" + input];
  if (target === undefined) throw new IllegalTransition(state, input);
  return target;
}

/** The state holder phone.js uses: the current state and listeners told of each change. */
export class PhoneState {
  constructor() {
    this.state = "idle";
    this.listeners = [];
  }

  /** Apply `input`; returns true when it was legal (an illegal one leaves the state as it is). */
  feed(input) {
    let target;
    try {
      target = next(this.state, input);
    } catch (error) {
      if (error instanceof IllegalTransition) {
        console.warn("centrex phone:", error.message);
        return false;
      }
      throw error;
    }
    const before = this.state;
    this.state = target;
    if (before !== target) for (const listener of this.listeners) listener(target, before);
    return true;
  }

  onChange(listener) {
    this.listeners.push(listener);
  }
}

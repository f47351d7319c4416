// The softphone's SIP and SDP details (phone.js): what SIP.js 0.21 and Chromium need so they
// meet Centrex — the microphone constraints, the digest challenge SIP.js can answer, the
// telephone-event clock, and the transport that applies the challenge filter. Pure string
// functions, tested in Chromium by tests/web/test_phone_page.py.

// Microphone processing off: echo cancellation, noise suppression and gain control cut a pure
// test tone by ~19 dB (shared/TESTING-NOTES.md) and colour music on hold; the phone's user can
// still pick a headset.
export function audioConstraints(deviceId) {
  const audio = { echoCancellation: false, noiseSuppression: false, autoGainControl: false };
  if (deviceId) audio.deviceId = { exact: deviceId };
  return { audio: audio, video: false };
}

// SIP.js 0.21 keeps only the last WWW-Authenticate (or Proxy-Authenticate) of a 401/407 and
// knows only MD5, while Centrex challenges MD5 first and SHA-256 second by default (RFC 8760
// section 2.4 lets a client pick among several): keep the MD5 challenge when several came, so
// SIP.js answers the one it can compute.
export function md5ChallengeOnly(text) {
  const head = text.split("\r\n\r\n", 1)[0];
  if (!/^SIP\/2\.0 40[17] /.test(head)) return text;
  const lines = head.split("\r\n");
  const challenge = /^(www-authenticate|proxy-authenticate)\s*:/i;
  const offered = lines.filter((line) => challenge.test(line));
  if (offered.length < 2) return text;
  const md5 = offered.filter((line) => /algorithm\s*=\s*"?md5"?\s*(,|$)/i.test(line) || !/algorithm\s*=/i.test(line));
  if (md5.length === 0) return text;
  const kept = lines.filter((line) => !challenge.test(line) || line === md5[0]);
  return kept.join("\r\n") + text.slice(head.length);
}

// Chromium offers telephone-event at 48 kHz (for Opus) before the 8 kHz one, and Centrex's
// offer/answer takes the first telephone-event whatever its clock, then answers none for its
// 8 kHz codecs (G.711, G.722): no RFC 4733 events at all. Offer and answer only the 8 kHz
// events when both are there (RFC 4733 section 7.1.1: the event clock is the audio codec's).
export function narrowbandEventsOnly(sdp) {
  const lines = sdp.split("\r\n");
  const events = {};
  for (const line of lines) {
    const found = /^a=rtpmap:(\d+) telephone-event\/(\d+)/i.exec(line);
    if (found) events[found[1]] = found[2];
  }
  const wide = Object.keys(events).filter((pt) => events[pt] !== "8000");
  if (wide.length === 0 || wide.length === Object.keys(events).length) return sdp;
  const own = new RegExp("^a=(rtpmap|fmtp|rtcp-fb):(" + wide.join("|") + ")( |$)");
  return lines
    .filter((line) => !own.test(line))
    .map((line) => (line.startsWith("m=audio ")
      ? line.split(" ").filter((part, index) => index < 3 || !wide.includes(part)).join(" ")
      : line))
    .join("\r\n");
}

export async function narrowbandModifier(description) {
  return { type: description.type, sdp: narrowbandEventsOnly(description.sdp) };
}

export function md5Transport(SIP) {
  return class Md5ChallengeTransport extends SIP.Web.Transport {
    set onMessage(handler) {
      this.centrexOnMessage = handler ? (text) => handler(md5ChallengeOnly(text)) : undefined;
    }

    get onMessage() {
      return this.centrexOnMessage;
    }
  };
}

"""HTTP Digest authentication for SIP (RFC 7616 as updated for SIP by RFC 8760; RFC 3261 §22).

Server side:
- `DigestServer.challenge_headers` offers one challenge per algorithm, each in its own
  WWW-Authenticate (or Proxy-Authenticate) header with `qop="auth"`, in the order given
  (RFC 8760 §2.4: the server lists them by its preference). The default is MD5 first, then
  SHA-256: many deployed phones (and sipp 3.6) answer only the first challenge and know only
  MD5, and RFC 8760 §2.4 lets a server that must serve them put MD5 first. Callers pass
  `algorithms` per request to prefer or require SHA-256 (a tenant's or device's policy).
- Nonces are stateless: base64url(timestamp | salt | HMAC-SHA256(secret, timestamp|salt|realm)).
  The timestamp travels inside, so expiry is checked without storage; a nonce whose signature is
  valid but which has expired earns `stale=true` (RFC 7616 §3.3) so the phone retries silently.
- Replay protection: `NonceCounter`, a bounded map nonce -> highest nonce-count seen; a request
  must carry a larger nc than any before it for that nonce (RFC 7616 §3.4, §5.12).
- Verification uses the stored HA1 = H(username:realm:password), never a plaintext password.

Client side: `answer_challenge` builds the Authorization value for a challenge (outbound trunk
registration), choosing the strongest algorithm offered.

Pure: time is the caller's `now` (float seconds, same clock for issuing and checking nonces).
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import secrets
import struct
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from centrex.sip.errors import DigestError
from centrex.sip.grammar import WSP, is_token, quote, skip_quoted, unquote
from centrex.sip.message import Request, Response

_HASHES = {"MD5": "md5", "SHA-256": "sha256", "SHA-512-256": "sha512_256"}
# Preference when answering several challenges (RFC 8760 §2.4): strongest first.
_PREFERENCE = ("SHA-512-256", "SHA-256", "MD5")


def _hash_name(algorithm: str) -> str:
    base = algorithm.upper().removesuffix("-SESS")
    name = _HASHES.get(base)
    if name is None:
        raise DigestError(f"unsupported digest algorithm {algorithm!r}")
    return name


def digest_hex(algorithm: str, data: str) -> str:
    """H(data) for a digest algorithm name (`MD5`, `SHA-256`, `SHA-512-256`, `-sess` ok)."""
    return hashlib.new(_hash_name(algorithm), data.encode("utf-8")).hexdigest()


def compute_ha1(username: str, realm: str, password: str, algorithm: str = "MD5") -> str:
    """HA1 = H(username:realm:password) (RFC 7616 §3.4.2), the value a registrar stores."""
    return digest_hex(algorithm, f"{username}:{realm}:{password}")


def compute_response(
    ha1: str,
    method: str,
    uri: str,
    nonce: str,
    *,
    algorithm: str = "MD5",
    qop: str | None = "auth",
    nc: str = "00000001",
    cnonce: str = "",
    body: bytes = b"",
) -> str:
    """The `response` value (RFC 7616 §3.4.1; RFC 2617 form when qop is absent).

    `-sess` algorithms derive the session HA1 = H(HA1:nonce:cnonce) (RFC 7616 §3.4.2).
    """
    if algorithm.upper().endswith("-SESS"):
        ha1 = digest_hex(algorithm, f"{ha1}:{nonce}:{cnonce}")
    if qop == "auth-int":
        body_hash = hashlib.new(_hash_name(algorithm), body).hexdigest()
        ha2 = digest_hex(algorithm, f"{method}:{uri}:{body_hash}")
    else:
        ha2 = digest_hex(algorithm, f"{method}:{uri}")
    if qop:
        return digest_hex(algorithm, f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")
    return digest_hex(algorithm, f"{ha1}:{nonce}:{ha2}")


def parse_auth_params(value: str) -> tuple[str, dict[str, str]]:
    """Split `Scheme name=value, name="quoted, value"` into (scheme, params) (RFC 7235 §2.1).

    Parameter names are lower-cased, quoted values unquoted; commas inside quotes are kept.
    """
    value = value.strip(WSP + "\r\n")
    space = -1
    for index, ch in enumerate(value):
        if ch in " \t":
            space = index
            break
    if space <= 0:
        scheme, rest = value, ""
    else:
        scheme, rest = value[:space], value[space:]
    if not is_token(scheme):
        raise DigestError("bad authentication scheme")
    params: dict[str, str] = {}
    i = 0
    n = len(rest)
    while i < n:
        while i < n and rest[i] in " \t,\r\n":
            i += 1
        if i >= n:
            break
        eq = rest.find("=", i)
        if eq < 0:
            raise DigestError("auth parameter without value")
        name = rest[i:eq].strip(WSP).lower()
        if not is_token(name):
            raise DigestError("bad auth parameter name")
        j = eq + 1
        while j < n and rest[j] in WSP:
            j += 1
        if j < n and rest[j] == '"':
            try:
                end = skip_quoted(rest, j)
                params[name] = unquote(rest[j:end])
            except ValueError as exc:
                raise DigestError("unterminated quoted string") from exc
            i = end
        else:
            end = rest.find(",", j)
            end = n if end < 0 else end
            token = rest[j:end].strip(WSP)
            if not token:
                raise DigestError("empty auth parameter")
            params[name] = token
            i = end
        while i < n and rest[i] in WSP:
            i += 1
        if i < n and rest[i] != ",":
            raise DigestError("text after auth parameter")
    return scheme, params


@dataclass(frozen=True, slots=True)
class Challenge:
    """One Digest challenge (RFC 7616 §3.3)."""

    realm: str
    nonce: str
    algorithm: str = "MD5"
    qop: str | None = "auth"
    opaque: str | None = None
    stale: bool = False

    def header_value(self) -> str:
        """The WWW-Authenticate / Proxy-Authenticate value."""
        parts = [f"realm={quote(self.realm)}", f"nonce={quote(self.nonce)}"]
        if self.qop:
            parts.append(f"qop={quote(self.qop)}")
        parts.append(f"algorithm={self.algorithm}")
        if self.opaque is not None:
            parts.append(f"opaque={quote(self.opaque)}")
        if self.stale:
            parts.append("stale=true")
        return "Digest " + ", ".join(parts)


def parse_challenge(value: str) -> Challenge:
    """Parse a WWW-Authenticate/Proxy-Authenticate Digest value."""
    scheme, params = parse_auth_params(value)
    if scheme.lower() != "digest":
        raise DigestError(f"not a Digest challenge: {scheme}")
    if "realm" not in params or "nonce" not in params:
        raise DigestError("challenge without realm or nonce")
    qops = [q.strip() for q in params.get("qop", "").split(",") if q.strip()]
    return Challenge(
        realm=params["realm"],
        nonce=params["nonce"],
        algorithm=params.get("algorithm", "MD5"),
        qop="auth" if "auth" in qops else (qops[0] if qops else None),
        opaque=params.get("opaque"),
        stale=params.get("stale", "").lower() == "true",
    )


@dataclass(frozen=True, slots=True)
class Credentials:
    """A parsed Authorization/Proxy-Authorization Digest value (RFC 7616 §3.4)."""

    username: str
    realm: str
    nonce: str
    uri: str
    response: str
    algorithm: str = "MD5"
    qop: str | None = None
    nc: str | None = None
    cnonce: str | None = None
    opaque: str | None = None


def parse_credentials(value: str) -> Credentials:
    """Parse an Authorization header value; raises `DigestError` (answer 401 with a challenge,
    RFC 4475 "regaut01" uses an unknown scheme)."""
    scheme, params = parse_auth_params(value)
    if scheme.lower() != "digest":
        raise DigestError(f"unsupported authentication scheme {scheme}")
    try:
        creds = Credentials(
            username=params["username"],
            realm=params["realm"],
            nonce=params["nonce"],
            uri=params["uri"],
            response=params["response"].lower(),
            algorithm=params.get("algorithm", "MD5"),
            qop=params.get("qop"),
            nc=params.get("nc"),
            cnonce=params.get("cnonce"),
            opaque=params.get("opaque"),
        )
    except KeyError as exc:
        raise DigestError(f"missing digest parameter {exc.args[0]}") from exc
    if creds.qop is not None and (creds.nc is None or creds.cnonce is None):
        raise DigestError("qop without nc/cnonce")
    return creds


class NonceStatus(enum.Enum):
    """What `DigestServer.check_nonce` found."""

    VALID = "valid"
    STALE = "stale"  # our signature, but expired: challenge again with stale=true
    INVALID = "invalid"  # not ours (or tampered)


class AuthResult(enum.Enum):
    """Outcome of `DigestServer.verify`."""

    OK = "ok"
    STALE = "stale"
    INVALID_NONCE = "invalid-nonce"
    WRONG_REALM = "wrong-realm"
    BAD_ALGORITHM = "bad-algorithm"
    REPLAY = "replay"
    BAD_RESPONSE = "bad-response"


class NonceCounter:
    """Bounded in-memory nonce -> highest nc map (RFC 7616 §3.4 replay protection).

    Oldest entries are evicted past `max_entries`; an evicted nonce's next use starts again
    from nc=1, which is the price of bounded memory (the nonce still expires on its own).
    Entries expire `lifetime` seconds after their first use.
    """

    def __init__(self, max_entries: int = 100_000, lifetime: float = 600.0) -> None:
        self._seen: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self._max = max_entries
        self._lifetime = lifetime

    def accept(self, nonce: str, nc: int, now: float) -> bool:
        """Record use `nc` of `nonce`; False if nc is not larger than every earlier one."""
        self._expire(now)
        previous = self._seen.get(nonce)
        if previous is not None and nc <= previous[0]:
            return False
        expires = previous[1] if previous is not None else now + self._lifetime
        self._seen[nonce] = (nc, expires)
        self._seen.move_to_end(nonce)
        while len(self._seen) > self._max:
            self._seen.popitem(last=False)
        return True

    def _expire(self, now: float) -> None:
        while self._seen:
            nonce, (_, expires) = next(iter(self._seen.items()))
            if expires > now:
                break
            del self._seen[nonce]

    def __len__(self) -> int:
        return len(self._seen)


class DigestServer:
    """Issues stateless nonces and verifies Digest credentials against stored HA1 values."""

    def __init__(
        self,
        secret: bytes,
        nonce_lifetime: float = 300.0,
        counter: NonceCounter | None = None,
        algorithms: tuple[str, ...] = ("MD5", "SHA-256"),
    ) -> None:
        if len(secret) < 16:
            raise ValueError("digest secret must be at least 16 bytes")
        self._secret = secret
        self._lifetime = nonce_lifetime
        self.counter = counter or NonceCounter(lifetime=nonce_lifetime * 2)
        self.algorithms = algorithms

    def _sign(self, stamp: bytes, realm: str) -> bytes:
        return hmac.new(self._secret, stamp + realm.encode("utf-8"), hashlib.sha256).digest()[:16]

    def make_nonce(self, realm: str, now: float) -> str:
        """A fresh nonce: timestamp (ms) + 8 random bytes + HMAC, base64url without padding."""
        stamp = struct.pack(">Q", max(0, int(now * 1000))) + secrets.token_bytes(8)
        raw = stamp + self._sign(stamp, realm)
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    def check_nonce(self, nonce: str, realm: str, now: float) -> NonceStatus:
        """VALID, STALE (signed by us but older than the lifetime) or INVALID."""
        try:
            raw = base64.urlsafe_b64decode(nonce + "=" * (-len(nonce) % 4))
        except ValueError:
            return NonceStatus.INVALID
        if len(raw) != 32:
            return NonceStatus.INVALID
        stamp, mac = raw[:16], raw[16:]
        if not hmac.compare_digest(mac, self._sign(stamp, realm)):
            return NonceStatus.INVALID
        issued = struct.unpack(">Q", stamp[:8])[0] / 1000.0
        if now - issued > self._lifetime or issued - now > 1.0:
            return NonceStatus.STALE
        return NonceStatus.VALID

    def challenges(
        self,
        realm: str,
        now: float,
        stale: bool = False,
        algorithms: Sequence[str] | None = None,
    ) -> list[Challenge]:
        """One challenge per algorithm (`algorithms`, else the server's), preferred first,
        sharing one nonce."""
        nonce = self.make_nonce(realm, now)
        offered = self.algorithms if algorithms is None else algorithms
        return [Challenge(realm, nonce, algorithm, "auth", None, stale) for algorithm in offered]

    def challenge_headers(
        self,
        realm: str,
        now: float,
        stale: bool = False,
        proxy: bool = False,
        algorithms: Sequence[str] | None = None,
    ) -> list[tuple[str, str]]:
        """Header fields for a 401 (WWW-Authenticate) or 407 (Proxy-Authenticate)."""
        name = "Proxy-Authenticate" if proxy else "WWW-Authenticate"
        return [(name, c.header_value()) for c in self.challenges(realm, now, stale, algorithms)]

    def verify(
        self,
        credentials: Credentials,
        method: str,
        ha1: str,
        now: float,
        realm: str | None = None,
        body: bytes = b"",
        algorithms: Sequence[str] | None = None,
    ) -> AuthResult:
        """Check credentials against the stored HA1 for `credentials.algorithm`.

        Order: realm, algorithm (one of `algorithms`, else the server's), nonce signature and
        expiry, response, then the nonce count (only a correct response consumes an nc, so a
        guess cannot burn a legitimate client's count).
        """
        if realm is not None and credentials.realm != realm:
            return AuthResult.WRONG_REALM
        allowed = self.algorithms if algorithms is None else algorithms
        if credentials.algorithm.upper() not in {a.upper() for a in allowed}:
            return AuthResult.BAD_ALGORITHM
        status = self.check_nonce(credentials.nonce, credentials.realm, now)
        if status is NonceStatus.INVALID:
            return AuthResult.INVALID_NONCE
        expected = compute_response(
            ha1,
            method,
            credentials.uri,
            credentials.nonce,
            algorithm=credentials.algorithm,
            qop=credentials.qop,
            nc=credentials.nc or "",
            cnonce=credentials.cnonce or "",
            body=body,
        )
        if not hmac.compare_digest(expected, credentials.response):
            return AuthResult.BAD_RESPONSE
        if status is NonceStatus.STALE:
            return AuthResult.STALE
        if credentials.qop is not None:
            try:
                nc = int(credentials.nc or "", 16)
            except ValueError:
                return AuthResult.BAD_RESPONSE
            if not self.counter.accept(credentials.nonce, nc, now):
                return AuthResult.REPLAY
        return AuthResult.OK


def find_credentials(request: Request, realm: str, proxy: bool = False) -> Credentials | None:
    """The Digest credentials in `request` for `realm` (RFC 3261 §22.4: a request may carry one
    Authorization per realm), or None. Unparseable values and other schemes are skipped, so
    the caller simply challenges again (RFC 4475 "regaut01")."""
    name = "Proxy-Authorization" if proxy else "Authorization"
    for value in request.headers.get_all(name):
        try:
            credentials = parse_credentials(value)
        except DigestError:
            continue
        if credentials.realm == realm:
            return credentials
    return None


def choose_challenge(challenges: Iterable[Challenge]) -> Challenge:
    """The strongest challenge we can answer (RFC 8760 §2.4)."""
    usable = [c for c in challenges if c.algorithm.upper().removesuffix("-SESS") in _HASHES]
    if not usable:
        raise DigestError("no challenge with a supported algorithm")

    def rank(challenge: Challenge) -> int:
        return _PREFERENCE.index(challenge.algorithm.upper().removesuffix("-SESS"))

    return min(usable, key=rank)


def answer_challenge(
    challenge: Challenge,
    method: str,
    uri: str,
    username: str,
    password: str,
    *,
    nc: int = 1,
    cnonce: str | None = None,
    body: bytes = b"",
) -> str:
    """Authorization/Proxy-Authorization value answering `challenge` (UAC, RFC 3261 §22.2)."""
    cnonce = cnonce or secrets.token_hex(8)
    nc_text = f"{nc:08x}"
    ha1 = compute_ha1(
        username, challenge.realm, password, challenge.algorithm.removesuffix("-sess")
    )
    response = compute_response(
        ha1,
        method,
        uri,
        challenge.nonce,
        algorithm=challenge.algorithm,
        qop=challenge.qop,
        nc=nc_text,
        cnonce=cnonce,
        body=body,
    )
    parts = [
        f"username={quote(username)}",
        f"realm={quote(challenge.realm)}",
        f"nonce={quote(challenge.nonce)}",
        f"uri={quote(uri)}",
        f"response={quote(response)}",
        f"algorithm={challenge.algorithm}",
    ]
    if challenge.qop:
        parts += [f"qop={challenge.qop}", f"nc={nc_text}", f"cnonce={quote(cnonce)}"]
    if challenge.opaque is not None:
        parts.append(f"opaque={quote(challenge.opaque)}")
    return "Digest " + ", ".join(parts)


def authenticated_retry(
    request: Request,
    challenge_response: Response,
    username: str,
    password: str,
    branch: str,
    cnonce: str | None = None,
) -> Request:
    """Re-send `request` with credentials after a 401/407 (RFC 3261 §22.2, §8.1.3.5).

    Same Call-ID, From tag, Request-URI and headers; CSeq + 1; a new top Via branch; old
    credentials replaced by one answer (strongest algorithm, RFC 8760 §2.4) per challenged
    realm.
    """
    proxy = challenge_response.status == 407
    header = "Proxy-Authenticate" if proxy else "WWW-Authenticate"
    answer_name = "Proxy-Authorization" if proxy else "Authorization"
    by_realm: dict[str, list[Challenge]] = {}
    for value in challenge_response.headers.get_all(header):
        try:
            challenge = parse_challenge(value)
        except (DigestError, ValueError):
            continue
        by_realm.setdefault(challenge.realm, []).append(challenge)
    if not by_realm:
        raise DigestError("no usable Digest challenge")
    retry = Request(request.method, request.uri, request.headers.copy(), request.body)
    retry.headers.remove(answer_name)
    cseq = request.cseq
    if cseq is None:
        raise DigestError("request without CSeq")
    retry.headers.set("CSeq", f"{cseq.number + 1} {cseq.method}")
    top = request.top_via
    if top is None:
        raise DigestError("request without Via")
    retry.replace_top_via(top.with_param("branch", branch))
    for challenges in by_realm.values():
        chosen = choose_challenge(challenges)
        value = answer_challenge(
            chosen, request.method, str(request.uri), username, password, cnonce=cnonce,
            body=request.body,
        )  # fmt: skip
        retry.headers.add(answer_name, value)
    return retry

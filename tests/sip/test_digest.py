"""Digest authentication (RFC 7616, RFC 8760): challenges, stateless nonces, nc, client side."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from centrex.sip.digest import (
    AuthResult,
    Challenge,
    DigestServer,
    NonceCounter,
    NonceStatus,
    answer_challenge,
    choose_challenge,
    compute_ha1,
    compute_response,
    parse_auth_params,
    parse_challenge,
    parse_credentials,
)
from centrex.sip.errors import DigestError

SECRET = b"0123456789abcdef0123456789abcdef"
REALM = "tenant1.example.com"


def test_rfc7616_example_responses() -> None:
    # RFC 7616 §3.9.1 worked example
    common = {
        "nonce": "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
        "qop": "auth",
        "nc": "00000001",
        "cnonce": "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
    }
    realm = "http-auth@example.org"
    md5 = compute_response(
        compute_ha1("Mufasa", realm, "Circle of Life", "MD5"), "GET", "/dir/index.html",
        common["nonce"], algorithm="MD5", qop="auth", nc="00000001", cnonce=common["cnonce"],
    )  # fmt: skip
    sha = compute_response(
        compute_ha1("Mufasa", realm, "Circle of Life", "SHA-256"), "GET", "/dir/index.html",
        common["nonce"], algorithm="SHA-256", qop="auth", nc="00000001", cnonce=common["cnonce"],
    )  # fmt: skip
    assert md5 == "8ca523f5e9506fed4657c9700eebdbec"
    assert sha == "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"


def test_compute_ha1() -> None:
    assert (
        compute_ha1("bob", REALM, "pw", "MD5")
        == hashlib.md5(f"bob:{REALM}:pw".encode()).hexdigest()
    )
    assert (
        compute_ha1("bob", REALM, "pw", "SHA-256")
        == hashlib.sha256(f"bob:{REALM}:pw".encode()).hexdigest()
    )
    with pytest.raises(DigestError):
        compute_ha1("bob", REALM, "pw", "CRC32")


def test_challenge_headers_offer_md5_first_by_default() -> None:
    # first-challenge-only, MD5-only UAs (sipp 3.6, many phones) must succeed by default
    server = DigestServer(SECRET)
    headers = server.challenge_headers(REALM, now=1000.0)
    assert [name for name, _ in headers] == ["WWW-Authenticate", "WWW-Authenticate"]
    first, second = (parse_challenge(v) for _, v in headers)
    assert (first.algorithm, second.algorithm) == ("MD5", "SHA-256")
    assert first.qop == second.qop == "auth"
    assert first.realm == REALM
    assert first.nonce == second.nonce
    assert not first.stale
    proxy = server.challenge_headers(REALM, now=1000.0, stale=True, proxy=True)
    assert proxy[0][0] == "Proxy-Authenticate"
    assert "stale=true" in proxy[0][1]
    assert parse_challenge(proxy[1][1]).stale


def test_per_request_algorithms_order_and_restrict() -> None:
    server = DigestServer(SECRET)
    only = server.challenge_headers(REALM, now=1000.0, algorithms=("SHA-256",))
    assert [parse_challenge(v).algorithm for _, v in only] == ["SHA-256"]
    challenge = parse_challenge(
        server.challenge_headers(REALM, now=1000.0, algorithms=("MD5",))[0][1]
    )
    value = answer_challenge(challenge, "REGISTER", "sip:example.com", "bob", "pw")
    creds = parse_credentials(value)
    ha1 = compute_ha1("bob", REALM, "pw", "MD5")
    assert server.verify(creds, "REGISTER", ha1, 1001.0, algorithms=("SHA-256",)) is (
        AuthResult.BAD_ALGORITHM
    )
    assert server.verify(creds, "REGISTER", ha1, 1001.0) is AuthResult.OK


def test_stateless_nonce_lifecycle() -> None:
    server = DigestServer(SECRET, nonce_lifetime=300)
    nonce = server.make_nonce(REALM, now=1000.0)
    assert server.check_nonce(nonce, REALM, 1000.0) is NonceStatus.VALID
    assert server.check_nonce(nonce, REALM, 1300.0) is NonceStatus.VALID
    assert server.check_nonce(nonce, REALM, 1300.5) is NonceStatus.STALE
    assert server.check_nonce(nonce, "other.example.com", 1000.0) is NonceStatus.INVALID
    assert DigestServer(b"x" * 32).check_nonce(nonce, REALM, 1000.0) is NonceStatus.INVALID
    tampered = ("A" if nonce[0] != "A" else "B") + nonce[1:]
    assert server.check_nonce(tampered, REALM, 1000.0) is NonceStatus.INVALID
    assert server.check_nonce("not base64 !!", REALM, 1000.0) is NonceStatus.INVALID
    assert server.make_nonce(REALM, 1000.0) != nonce


def _login(
    server: DigestServer, now: float, algorithm: str = "SHA-256", nc: int = 1, password: str = "pw"
) -> tuple[AuthResult, str]:
    challenges = [parse_challenge(v) for _, v in server.challenge_headers(REALM, now)]
    challenge = next(c for c in challenges if c.algorithm == algorithm)
    value = answer_challenge(
        challenge, "REGISTER", "sip:tenant1.example.com", "bob", password, nc=nc, cnonce="abc"
    )
    creds = parse_credentials(value)
    ha1 = compute_ha1("bob", REALM, "pw", creds.algorithm)
    return server.verify(creds, "REGISTER", ha1, now, realm=REALM), value


@pytest.mark.parametrize("algorithm", ["SHA-256", "MD5"])
def test_full_round_trip(algorithm: str) -> None:
    server = DigestServer(SECRET)
    result, value = _login(server, 50.0, algorithm)
    assert result is AuthResult.OK
    assert f"algorithm={algorithm}" in value
    assert _login(server, 50.0, algorithm, password="wrong")[0] is AuthResult.BAD_RESPONSE


def test_replay_and_nonce_count() -> None:
    server = DigestServer(SECRET)
    challenge = server.challenges(REALM, 10.0, algorithms=("SHA-256",))[0]
    ha1 = compute_ha1("bob", REALM, "pw", "SHA-256")

    def attempt(nc: int) -> AuthResult:
        creds = parse_credentials(
            answer_challenge(challenge, "INVITE", "sip:x@y", "bob", "pw", nc=nc, cnonce="c")
        )
        return server.verify(creds, "INVITE", ha1, 11.0)

    assert attempt(1) is AuthResult.OK
    assert attempt(1) is AuthResult.REPLAY
    assert attempt(2) is AuthResult.OK
    assert attempt(5) is AuthResult.OK
    assert attempt(3) is AuthResult.REPLAY


def test_stale_nonce_with_right_password() -> None:
    server = DigestServer(SECRET, nonce_lifetime=30)
    challenge = server.challenges(REALM, 0.0, algorithms=("SHA-256",))[0]
    creds = parse_credentials(answer_challenge(challenge, "REGISTER", "sip:r", "bob", "pw"))
    ha1 = compute_ha1("bob", REALM, "pw", "SHA-256")
    assert server.verify(creds, "REGISTER", ha1, 31.0) is AuthResult.STALE
    bad = parse_credentials(answer_challenge(challenge, "REGISTER", "sip:r", "bob", "nope"))
    assert server.verify(bad, "REGISTER", ha1, 31.0) is AuthResult.BAD_RESPONSE


def test_wrong_realm_algorithm_and_foreign_nonce() -> None:
    server = DigestServer(SECRET)
    foreign = Challenge(REALM, "bm90LW91cnM", "SHA-256")
    creds = parse_credentials(answer_challenge(foreign, "REGISTER", "sip:r", "bob", "pw"))
    ha1 = compute_ha1("bob", REALM, "pw", "SHA-256")
    assert server.verify(creds, "REGISTER", ha1, 1.0) is AuthResult.INVALID_NONCE
    assert server.verify(creds, "REGISTER", ha1, 1.0, realm="other") is AuthResult.WRONG_REALM
    sha512 = Challenge(REALM, server.make_nonce(REALM, 1.0), "MD5-sess")
    creds = parse_credentials(answer_challenge(sha512, "REGISTER", "sip:r", "bob", "pw"))
    assert server.verify(creds, "REGISTER", ha1, 1.0) is AuthResult.BAD_ALGORITHM


def test_nonce_counter_is_bounded_and_expires() -> None:
    counter = NonceCounter(max_entries=3, lifetime=10.0)
    for i in range(5):
        assert counter.accept(f"n{i}", 1, now=0.0)
    assert len(counter) == 3
    assert counter.accept("n0", 1, now=0.0)  # evicted, so accepted again
    assert not counter.accept("n4", 1, now=0.0)
    assert counter.accept("n4", 1, now=10.0)  # expired entry
    assert len(counter) == 1


def test_parse_authorization_with_commas_in_quotes() -> None:
    value = (
        'Digest username="bob, the builder", realm="a,b", nonce="n==", uri="sip:x@y;a=1,2",\r\n'
        ' response="ABCDEF", algorithm=SHA-256, qop=auth, nc=0000000a, cnonce="c\\"q", opaque=""'
    )
    creds = parse_credentials(value)
    assert creds.username == "bob, the builder"
    assert creds.realm == "a,b"
    assert creds.uri == "sip:x@y;a=1,2"
    assert creds.response == "abcdef"
    assert creds.nc == "0000000a"
    assert creds.cnonce == 'c"q'
    assert creds.opaque == ""


@pytest.mark.parametrize(
    "value",
    [
        "NoOneKnowsThisScheme opaque-data=here",  # RFC 4475 regaut01
        'Digest username="bob"',
        'Digest username="bob, realm="x"',
        "Digest =x",
        'Digest username="a" realm="b"',
        'Digest username="a", realm="b", nonce="n", uri="u", response="r", qop=auth',
        "",
    ],
)
def test_bad_credentials_raise_digest_error(value: str) -> None:
    with pytest.raises(DigestError):
        parse_credentials(value)


def test_choose_strongest_challenge() -> None:
    chosen = choose_challenge(
        [Challenge("r", "n", "MD5"), Challenge("r", "n", "SHA-256"), Challenge("r", "n", "FOO")]
    )
    assert chosen.algorithm == "SHA-256"
    with pytest.raises(DigestError):
        choose_challenge([Challenge("r", "n", "FOO")])


def test_challenge_without_qop_uses_rfc2617_response() -> None:
    challenge = parse_challenge('Digest realm="r", nonce="n"')
    assert challenge.qop is None
    assert challenge.algorithm == "MD5"
    value = answer_challenge(challenge, "REGISTER", "sip:r", "u", "p")
    creds = parse_credentials(value)
    assert creds.qop is None
    assert creds.nc is None
    ha1 = compute_ha1("u", "r", "p")
    assert (
        creds.response
        == hashlib.md5(f"{ha1}:n:{hashlib.md5(b'REGISTER:sip:r').hexdigest()}".encode()).hexdigest()
    )


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=200))
def test_auth_param_parser_only_raises_digest_error(text: str) -> None:
    try:
        parse_auth_params(text)
        parse_credentials(text)
    except DigestError:
        pass
    server = DigestServer(SECRET)
    assert server.check_nonce(text, REALM, 0.0) in (
        NonceStatus.INVALID,
        NonceStatus.STALE,
        NonceStatus.VALID,
    )


def test_find_credentials_by_realm_skips_junk() -> None:
    from centrex.sip import find_credentials, parse_message
    from centrex.sip.message import Request
    from tests.sip import fixtures as fx

    server = DigestServer(SECRET)
    challenge = server.challenges(REALM, 0.0, algorithms=("SHA-256",))[0]
    good = answer_challenge(challenge, "REGISTER", "sip:example.com", "bob", "pw")
    other = answer_challenge(
        Challenge("other.example.com", "n"), "REGISTER", "sip:example.com", "bob", "pw"
    )
    extra = f"Authorization: NoOneKnowsThisScheme opaque-data=here\nAuthorization: {other}\nAuthorization: {good}\n"
    request = parse_message(fx.base_request("REGISTER", "sip:example.com", extra))
    assert isinstance(request, Request)
    creds = find_credentials(request, REALM)
    assert creds is not None
    assert creds.realm == REALM
    assert (
        server.verify(creds, "REGISTER", compute_ha1("bob", REALM, "pw", "SHA-256"), 1.0)
        is AuthResult.OK
    )
    assert find_credentials(request, "nowhere") is None
    assert find_credentials(request, REALM, proxy=True) is None


def test_authenticated_retry_for_trunk_register() -> None:
    from centrex.sip import (
        authenticated_retry,
        build_register,
        build_response,
        find_credentials,
        make_via,
        parse_message,
        parse_name_addr,
        parse_uri,
    )
    from centrex.sip.message import Request

    register = build_register(
        parse_uri("sip:trunk.example.com"),
        parse_uri("sip:acct@trunk.example.com"),
        parse_name_addr("<sip:acct@127.0.0.1:5060>"),
        call_id="c1",
        cseq=7,
        via=make_via("127.0.0.1", 5060, branch="z9hG4bKfirst"),
        from_tag="ft",
    )
    server = DigestServer(SECRET)
    challenge = build_response(
        register, 401, to_tag="tt", headers=server.challenge_headers(REALM, 100.0)
    )
    retry = authenticated_retry(
        register, challenge, "acct", "pw", branch="z9hG4bKsecond", cnonce="cn"
    )
    wire = parse_message(retry.serialize())
    assert isinstance(wire, Request)
    assert wire.cseq is not None
    assert wire.cseq.number == 8
    assert wire.vias[0].branch == "z9hG4bKsecond"
    assert wire.vias[0].has_rport
    assert wire.call_id == "c1"
    assert len(wire.headers.get_all("authorization")) == 1
    creds = find_credentials(wire, REALM)
    assert creds is not None
    assert creds.algorithm == "SHA-256"
    assert (
        server.verify(creds, "REGISTER", compute_ha1("acct", REALM, "pw", "SHA-256"), 101.0)
        is AuthResult.OK
    )
    proxy_challenge = build_response(
        register, 407, to_tag="tt", headers=server.challenge_headers(REALM, 100.0, proxy=True)
    )
    again = authenticated_retry(retry, proxy_challenge, "acct", "pw", branch="z9hG4bKthird")
    assert again.headers.get("proxy-authorization") is not None
    assert again.cseq is not None
    assert again.cseq.number == 9
    with pytest.raises(DigestError):
        authenticated_retry(
            register, build_response(register, 401), "acct", "pw", branch="z9hG4bKx"
        )

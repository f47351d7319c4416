"""SDES-SRTP (RFC 4568): a=crypto parse/build with exact errors, the policy table, and SRTP
terminated on a leg over real loopback sockets (an SRTP phone bridged to a plain one)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from centrex.media.engine import MediaEngine
from centrex.media.sdes import (
    POLICY,
    CryptoAttribute,
    CryptoError,
    Decision,
    OfferKind,
    SrtpPolicy,
    SrtpRefused,
    classify,
    parse_crypto,
)
from centrex.media.sdp_rewrite import NoCommonCodecError
from centrex.media.webrtc.srtp import SrtpContext, SrtpProfile
from centrex.sip.sdp import parse_sdp
from tests.media.phones import LOOPBACK, Phone, make_engine, rtp, sdp, wait_until

KEY = bytes(range(30))
KEY_B64 = base64.b64encode(KEY).decode()
SUITE = "AES_CM_128_HMAC_SHA1_80"


def crypto_line(tag: int = 1, suite: str = SUITE, key: str = KEY_B64, tail: str = "") -> str:
    return f"a=crypto:{tag} {suite} inline:{key}{tail}"


def savp(port: int, *lines: str, proto: str = "RTP/SAVP") -> bytes:
    text = sdp(port, (0,)).decode().replace("RTP/AVP", proto)
    return (text + "".join(line + "\r\n" for line in lines)).encode()


# --- a=crypto -------------------------------------------------------------------------------


def test_parse_and_serialize_round_trip() -> None:
    value = f"1 {SUITE} inline:{KEY_B64}|2^31"
    parsed = parse_crypto(value)
    assert parsed == CryptoAttribute(1, SrtpProfile.AES_CM_128_HMAC_SHA1_80, KEY, "2^31")
    assert parsed.serialize() == value
    short = parse_crypto(f"7 AES_CM_128_HMAC_SHA1_32 inline:{KEY_B64}")
    assert (short.tag, short.profile) == (7, SrtpProfile.AES_CM_128_HMAC_SHA1_32)
    assert short.serialize() == f"7 AES_CM_128_HMAC_SHA1_32 inline:{KEY_B64}"


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (f"1 {SUITE}", "needs a tag, a suite and key parameters"),
        (f"x {SUITE} inline:{KEY_B64}", "tag must be 1-9 digits"),
        (f"1234567890 {SUITE} inline:{KEY_B64}", "tag must be 1-9 digits"),
        (f"1 F8_128_HMAC_SHA1_80 inline:{KEY_B64}", "unsupported crypto-suite 'F8_128"),
        (f"1 AEAD_AES_128_GCM inline:{KEY_B64}", "unsupported crypto-suite 'AEAD_AES_128_GCM'"),
        (f"1 {SUITE} inline:{KEY_B64} UNENCRYPTED_SRTP", "unsupported session parameters"),
        (f"1 {SUITE} inline:{KEY_B64};inline:{KEY_B64}", "several master keys"),
        (f"1 {SUITE} uri:http://keys.test/1", "key method must be inline"),
        (f"1 {SUITE} inline:{KEY_B64}|2^20|1:4", "MKI is not supported"),
        (f"1 {SUITE} inline:{KEY_B64}|forever", "bad key lifetime"),
        (f"1 {SUITE} inline:not*base64!", "key is not base64"),
        (f"1 {SUITE} inline:{KEY_B64[:-4]}", "needs a 30-byte key||salt, got 27"),
        (f"1 {SUITE} inline:{base64.b64encode(bytes(46)).decode()}", "got 46"),
    ],
)
def test_bad_crypto_lines_name_the_fault(value: str, error: str) -> None:
    with pytest.raises(CryptoError, match=error.replace("|", r"\|").replace("*", r"\*")):
        parse_crypto(value)


def test_classify_offers() -> None:
    assert classify(parse_sdp(sdp(4000))) == (OfferKind.PLAIN, None)
    kind, crypto = classify(parse_sdp(savp(4000, crypto_line()))) or (None, None)
    assert kind is OfferKind.SAVP
    assert crypto is not None
    assert crypto.key_salt == KEY
    best = classify(parse_sdp(savp(4000, crypto_line(), proto="RTP/AVP")))
    assert best is not None
    assert best[0] is OfferKind.BEST_EFFORT
    # the first usable line wins; a bad one before it is skipped (RFC 4568 §6.1)
    picked = classify(parse_sdp(savp(4000, crypto_line(1, "NULL_HMAC"), crypto_line(2))))
    assert picked is not None
    assert picked[1] is not None
    assert picked[1].tag == 2
    assert classify(parse_sdp(savp(4000, crypto_line(key="AAAA")))) == (
        OfferKind.SAVP_NO_KEY,
        None,
    )
    dtls = savp(4000, "a=fingerprint:sha-256 AB:CD", proto="UDP/TLS/RTP/SAVPF")
    assert classify(parse_sdp(dtls)) is None  # DTLS-SRTP: the WebRTC path's


# --- the policy table -----------------------------------------------------------------------


def test_policy_table_rows() -> None:
    assert POLICY[(SrtpPolicy.OPTIONAL, OfferKind.PLAIN)] is Decision.PLAIN
    assert POLICY[(SrtpPolicy.OPTIONAL, OfferKind.SAVP)] is Decision.SRTP
    assert POLICY[(SrtpPolicy.REQUIRED, OfferKind.PLAIN)] is Decision.REFUSE
    assert POLICY[(SrtpPolicy.REQUIRED, OfferKind.BEST_EFFORT)] is Decision.SRTP
    assert POLICY[(SrtpPolicy.OFF, OfferKind.SAVP)] is Decision.REFUSE
    assert POLICY[(SrtpPolicy.OFF, OfferKind.BEST_EFFORT)] is Decision.PLAIN


@given(st.sampled_from(SrtpPolicy), st.sampled_from(OfferKind))
def test_policy_table_is_total(policy: SrtpPolicy, kind: OfferKind) -> None:
    decision = POLICY[(policy, kind)]
    assert isinstance(decision, Decision)
    if kind is OfferKind.SAVP_NO_KEY:
        assert decision is Decision.REFUSE  # nothing to answer SRTP with
    if policy is SrtpPolicy.REQUIRED:
        assert decision is not Decision.PLAIN
    if policy is SrtpPolicy.OFF:
        assert decision is not Decision.SRTP


def test_policy_values_match_the_extensions_column() -> None:
    from centrex.data.models.telephony import SrtpMode

    assert [p.value for p in SrtpPolicy] == [m.value for m in SrtpMode]


# --- SRTP on real sockets -------------------------------------------------------------------


@pytest.fixture
async def env() -> AsyncIterator[tuple[MediaEngine, Phone, Phone]]:
    engine, _clock = make_engine()
    a = await Phone.open()
    b = await Phone.open()
    yield engine, a, b
    a.close()
    b.close()
    await engine.close()


def answer_key(answer: str, tag: int = 1) -> bytes:
    line = next(v for v in answer.splitlines() if v.startswith(f"a=crypto:{tag} "))
    return base64.b64decode(line.split("inline:")[1].split("|")[0])


async def test_srtp_phone_bridged_to_a_plain_phone(env: tuple[MediaEngine, Phone, Phone]) -> None:
    engine, pa, pb = env
    offer = savp(pa.port, crypto_line())
    a = await engine.allocate("a")
    engine.set_remote(a, offer, signalling_host=LOOPBACK)
    b = await engine.allocate("b")
    offer_b = engine.offer_for(b, offer).serialize().decode()
    assert "RTP/AVP" in offer_b
    assert "crypto" not in offer_b
    engine.set_remote(b, sdp(pb.port, (0,)))
    answer = engine.answer_for(a, offer, peer=b).serialize().decode()
    assert "m=audio" in answer
    assert " RTP/SAVP " in answer
    ours = answer_key(answer)
    assert len(ours) == 30
    assert ours != KEY
    engine.bridge(a, b)
    phone = SrtpContext(SrtpProfile.AES_CM_128_HMAC_SHA1_80, tx_key=KEY, rx_key=ours)

    voice = [bytes((i * 3 + k) & 0xFF for k in range(160)) for i in range(10)]
    for i, data in enumerate(voice):
        packet = phone.protect(rtp(0, 100 + i, 160 * i, 0xA1, data))
        assert packet is not None
        pa.send(packet, (LOOPBACK, a.rtp_port))
    got = await pb.wait_for(10)
    assert [p.payload for p in got] == voice  # decrypted into the plain relay

    for i, data in enumerate(voice[:5]):
        pb.send(rtp(0, i, 160 * i, 0xB2, data), (LOOPBACK, b.rtp_port))
    await wait_until(lambda: len(pa.received) >= 5)
    wire = [d for d, _addr in pa.received[:5]]
    assert all(voice[i] not in wire[i] for i in range(5))  # encrypted on the wire
    plain = [phone.unprotect(d) for d in wire]
    assert [p[12:] for p in plain if p is not None] == voice[:5]

    forged = bytearray(phone.protect(rtp(0, 200, 16000, 0xA1, voice[0])) or b"")
    forged[20] ^= 0xFF
    pa.send(bytes(forged), (LOOPBACK, a.rtp_port))
    await wait_until(lambda: engine.snapshot(a).srtp_auth_failures == 1)
    snap = engine.snapshot(a)
    assert (snap.srtp_packets_in, snap.srtp_packets_out) == (10, 5)
    assert engine.snapshot(b).srtp_packets_in == 0  # the plain leg has no SRTP


async def test_best_effort_offer_is_answered_with_srtp_on_rtp_avp(
    env: tuple[MediaEngine, Phone, Phone],
) -> None:
    engine, pa, _pb = env
    a = await engine.allocate("a")
    offer = savp(pa.port, crypto_line(3), proto="RTP/AVP")
    answer = engine.answer_for(a, offer).serialize().decode()
    assert " RTP/AVP " in answer
    assert "a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:" in answer
    assert engine.sdes.active(a)


async def test_required_refuses_plain_and_offers_savp(
    env: tuple[MediaEngine, Phone, Phone],
) -> None:
    engine, pa, pb = env
    a = await engine.allocate("a", srtp_policy="required")
    with pytest.raises(SrtpRefused, match="SRTP is required") as refused:
        engine.set_remote(a, sdp(pa.port), signalling_host=LOOPBACK)
    assert refused.value.status == 488
    assert isinstance(refused.value, NoCommonCodecError)  # the call layer's 488 path

    b = await engine.allocate("b", srtp_policy="required")
    offer = engine.offer_for(b, sdp(pa.port)).serialize().decode()
    assert " RTP/SAVP " in offer
    assert "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" in offer
    assert "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" in offer
    with pytest.raises(SrtpRefused, match="no usable a=crypto"):
        engine.set_remote(b, sdp(pb.port))  # a plain answer to our SAVP offer

    c = await engine.allocate("c", srtp_policy="required")
    engine.offer_for(c, sdp(pa.port))
    engine.set_remote(c, savp(pb.port, crypto_line(2, "AES_CM_128_HMAC_SHA1_32")))
    assert engine.sdes.active(c)
    hold = engine.offer_for(c, direction="sendonly").serialize().decode()  # the key is kept
    assert hold.count("a=crypto:") == 1
    assert "a=crypto:2 AES_CM_128_HMAC_SHA1_32" in hold


async def test_off_refuses_savp_and_strips_best_effort(
    env: tuple[MediaEngine, Phone, Phone],
) -> None:
    engine, pa, _pb = env
    a = await engine.allocate("a", srtp_policy="off")
    with pytest.raises(SrtpRefused, match="SRTP is off"):
        engine.set_remote(a, savp(pa.port, crypto_line()))
    best_effort = savp(pa.port, crypto_line(), proto="RTP/AVP")
    answer = engine.answer_for(a, best_effort).serialize().decode()
    assert "crypto" not in answer
    assert " RTP/AVP " in answer
    assert not engine.sdes.active(a)


async def test_unknown_suite_only_is_refused(env: tuple[MediaEngine, Phone, Phone]) -> None:
    engine, pa, _pb = env
    a = await engine.allocate("a")
    with pytest.raises(SrtpRefused, match="without a usable a=crypto"):
        engine.answer_for(a, savp(pa.port, crypto_line(1, "AES_256_CM_HMAC_SHA1_80")))
    with pytest.raises(SrtpRefused):
        engine.set_remote(a, savp(pa.port, crypto_line(key=KEY_B64[:-8])))


@given(st.text(max_size=120))
def test_parse_crypto_refuses_junk_with_crypto_error_only(value: str) -> None:
    try:
        parsed = parse_crypto(value)
    except CryptoError:
        return
    assert parse_crypto(parsed.serialize()) == parsed  # whatever parses round-trips

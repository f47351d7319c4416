"""Byte fixtures for the SIP parser, modelled on the RFC 4475 torture messages.

Addresses are rewritten to loopback / example.com values; each message is written here by hand
with the property it exercises named in its constant. `\\r\\n` line ends are added by `crlf`.
"""

from __future__ import annotations


def crlf(text: str) -> bytes:
    """Turn a readable multi-line string into wire bytes with CRLF line ends."""
    return text.replace("\n", "\r\n").encode("utf-8")


SDP_BODY = (
    "v=0\n"
    "o=alice 2890844526 2890844526 IN IP4 127.0.0.1\n"
    "s=-\n"
    "c=IN IP4 127.0.0.1\n"
    "t=0 0\n"
    "m=audio 49170 RTP/AVP 0 8 101\n"
    "a=rtpmap:0 PCMU/8000\n"
    "a=rtpmap:8 PCMA/8000\n"
    "a=rtpmap:101 telephone-event/8000\n"
    "a=fmtp:101 0-16\n"
    "a=ptime:20\n"
    "a=sendrecv\n"
)

REGISTER = crlf(
    "REGISTER sip:example.com SIP/2.0\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK776asdhds;rport\n"
    "Max-Forwards: 70\n"
    "To: Bob <sip:bob@example.com>\n"
    'From: "Bob" <sip:bob@example.com>;tag=456248\n'
    "Call-ID: 843817637684230@998sdasdh09\n"
    "CSeq: 1826 REGISTER\n"
    "Contact: <sip:bob@127.0.0.1:5062;transport=udp>;expires=7200;q=0.8, "
    "<sip:bob@127.0.0.2>\n"
    "Expires: 3600\n"
    "Content-Length: 0\n"
    "\n"
)

INVITE = crlf(
    "INVITE sip:bob@example.com SIP/2.0\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKnashds8\n"
    "Max-Forwards: 70\n"
    "To: Bob <sip:bob@example.com>\n"
    "From: Alice <sip:alice@example.com>;tag=1928301774\n"
    "Call-ID: a84b4c76e66710@pc33.example.com\n"
    "CSeq: 314159 INVITE\n"
    "Contact: <sip:alice@127.0.0.1:5060>\n"
    "Record-Route: <sip:p2.example.com;lr>, <sip:p1.example.com;lr>\n"
    "Content-Type: application/sdp\n"
    f"Content-Length: {len(crlf(SDP_BODY))}\n"
    "\n" + SDP_BODY
)

# RFC 4475 3.1.1.1 style: folding, whitespace around colons and separators, compact forms,
# escaped quotes in display names, unknown headers with odd values, leading zeros.
WSINV = crlf(
    "INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0\n"
    "TO :\n"
    " sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n\n"
    'from   : "J Rosenberg \\\\\\""       <sip:jdrosen@example.com>\n'
    "  ;\n"
    "  tag = 98asjd8\n"
    "MaX-fOrWaRdS: 0068\n"
    "Call-ID: wsinv.ndaksdj@127.0.0.1\n"
    "Content-Length   : 4\n"
    "cseq: 0009\n"
    "  INVITE\n"
    "Via  : SIP  /   2.0\n"
    " /UDP\n"
    "    127.0.0.2;branch=390skdjuw\n"
    "s :\n"
    "NewFangledHeader:   newfangled value\n"
    " continued newfangled value\n"
    "UnknownHeaderWithUnusualValue: ;;,,;;,;\n"
    "Content-Type: application/sdp\n"
    "Route:\n"
    " <sip:services.example.com;lr;unknownwith=value;unknown-no-value>\n"
    "v:  SIP  / 2.0  / TCP     spindle.example.com   ;\n"
    "  branch  =   z9hG4bK9ikj8  ,\n"
    " SIP  /    2.0   / UDP  127.0.0.3   ; branch=\n"
    " z9hG4bK30239\n"
    'm:"Quoted string \\"\\"" <sip:jdrosen@example.com> ; newparam =\n'
    "      newvalue ;\n"
    "  secondparam ; q = 0.33\n"
    "\n"
    "v=0\n"
)

# RFC 4475 3.1.1.2 style: unusual but legal characters everywhere.
INTMETH = crlf(
    "!interesting-Method0123456789_*+`.%indeed'~ "
    "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too."
    "(doesn't-it)@example.com SIP/2.0\n"
    "Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~\n"
    'To: "BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f" '
    "<sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com>\n"
    "From: token1~` token2'+_ token3*%!.- <sip:mundane@example.com>"
    ";fromParam''~+*_!.-%=\"работающий\""
    ";tag=_token~1'+`*%!-.\n"
    "Call-ID: intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{\n"
    "CSeq: 139122385 !interesting-Method0123456789_*+`.%indeed'~\n"
    "Max-Forwards: 255\n"
    "extensionHeader-!.%*+_`'~: 大停電\n"
    "Content-Length: 0\n"
    "\n"
)

# 3.1.1.3 style: escaped characters in the Request-URI and To.
ESC01 = crlf(
    "INVITE sip:sips%3Auser%40example.com@example.net SIP/2.0\n"
    "To: sip:%75se%72@example.com\n"
    "From: <sip:I%20have%20spaces@example.net>;tag=938\n"
    "Max-Forwards: 87\n"
    "i: esc01.239409asdfakjkn23onasd0-3234\n"
    "CSeq: 234234 INVITE\n"
    "Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bKkdjuw\n"
    "C: application/sdp\n"
    "Contact:\n"
    "  <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>\n"
    "Content-Length: 0\n"
    "\n"
)

# 3.1.1.6 style: display name directly followed by <.
LWSDISP = crlf(
    "OPTIONS sip:user@example.com SIP/2.0\n"
    "To: sip:user@example.com\n"
    "From: caller<sip:caller@example.com>;tag=323\n"
    "Max-Forwards: 70\n"
    "Call-ID: lwsdisp.1234abcd@funky.example.com\n"
    "CSeq: 60 OPTIONS\n"
    "Via: SIP/2.0/UDP funky.example.com;branch=z9hG4bKkdjuw\n"
    "l: 0\n"
    "\n"
)

# 3.1.1.8 style: trailing octets after Content-Length in a datagram are ignored.
DBLREQ = crlf(
    "REGISTER sip:example.com SIP/2.0\n"
    "To: sip:j.user@example.com\n"
    "From: sip:j.user@example.com;tag=43251j3j324\n"
    "Max-Forwards: 8\n"
    "I: dblreq.0ha0isndaksdj99sdfafnl3lk233412\n"
    "Contact: sip:j.user@host.example.com\n"
    "CSeq: 8 REGISTER\n"
    "Via: SIP/2.0/UDP 127.0.0.4;branch=z9hG4bKkdjuw23492\n"
    "Content-Length: 0\n"
    "\n"
    "INVITE sip:joe@example.com SIP/2.0\n"
    "t: sip:joe@example.com\n"
    "\n"
)

# 3.1.1.9 style: semicolon in the user part.
SEMIURI = crlf(
    "OPTIONS sip:user;par=u%40example.net@example.com SIP/2.0\n"
    "To: sip:j_user@example.com\n"
    "From: sip:caller@example.org;tag=33242\n"
    "Max-Forwards: 3\n"
    "Call-ID: semiuri.0ha0isndaksdj\n"
    "CSeq: 8 OPTIONS\n"
    "Accept: application/sdp, application/pkcs7-mime,\n"
    "        multipart/mixed, multipart/signed,\n"
    "        message/sip, message/sipfrag\n"
    "Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKkdjuw\n"
    "l: 0\n"
    "\n"
)

# 3.1.1.10 style: Via with several transports including unknown ones.
TRANSPORTS = crlf(
    "OPTIONS sip:user@example.com SIP/2.0\n"
    "To: sip:user@example.com\n"
    "From: <sip:caller@example.com>;tag=323\n"
    "Max-Forwards: 70\n"
    "Call-ID:  transports.kijh4akdnaqjkwendsasfdj\n"
    "Accept: application/sdp\n"
    "CSeq: 60 OPTIONS\n"
    "Via: SIP/2.0/UDP t1.example.com;branch=z9hG4bKkdjuw\n"
    "Via: SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf\n"
    "Via: SIP/2.0/TLS t3.example.com;branch=z9hG4bK2980unddj\n"
    "Via: SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en\n"
    "Via: SIP/2.0/TCP t5.example.com;branch=z9hG4bK0a9idfnee\n"
    "l: 0\n"
    "\n"
)

# 3.1.1.12 style: UTF-8 reason phrase; 3.1.1.13 style: empty reason phrase.
UNREASON = crlf(
    "SIP/2.0 200 = 2**3 * 5**2 но сто\n"
    "Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKas0asd\n"
    "Call-ID: unreason.1234ksdfak3j2erwedfsASdf\n"
    "CSeq: 35 INVITE\n"
    "From: sip:user@example.com;tag=11141343\n"
    "To: sip:user@example.edu;tag=2229\n"
    "Content-Length: 0\n"
    "\n"
)
NOREASON = crlf(
    "SIP/2.0 100 \n"
    "Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKas0asd\n"
    "Call-ID: noreason.asndj203insdf99223ndf\n"
    "CSeq: 35 INVITE\n"
    "From: <sip:user@example.com>;tag=11141343\n"
    "To: <sip:user@example.edu>;tag=2229\n"
    "Content-Length: 0\n"
    "\n"
)

IPV6 = crlf(
    "REGISTER sip:[2001:db8::10] SIP/2.0\n"
    "To: sip:user@example.com\n"
    "From: sip:user@example.com;tag=81x2\n"
    "Via: SIP/2.0/UDP [2001:db8::9:1];branch=z9hG4bKas3-111\n"
    "Call-ID: SSG9559905523997077@hlau_4100\n"
    "Max-Forwards: 70\n"
    'Contact: "Caller" <sip:caller@[2001:db8::9:1]:5070>\n'
    "CSeq: 98176 REGISTER\n"
    "Content-Length: 0\n"
    "\n"
)


def _base(method: str = "OPTIONS", uri: str = "sip:user@example.com", extra: str = "") -> str:
    return (
        f"{method} {uri} SIP/2.0\n"
        "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKbase01\n"
        "To: <sip:user@example.com>\n"
        "From: <sip:caller@example.com>;tag=abc\n"
        "Call-ID: base.1@example.com\n"
        f"CSeq: 1 {method}\n"
        "Max-Forwards: 70\n"
        f"{extra}"
    )


def base_request(
    method: str = "OPTIONS", uri: str = "sip:user@example.com", extra: str = ""
) -> bytes:
    """A minimal legal request with optional extra header lines (each ending in \\n)."""
    return crlf(_base(method, uri, extra) + "Content-Length: 0\n\n")


# ---- syntactically broken messages: parse_message must raise SipParseError ------------------
BROKEN: dict[str, bytes] = {
    # 3.1.2.1 badinv01: empty Via parameters
    "badinv01": base_request().replace(
        b"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKbase01",
        b"Via: SIP/2.0/UDP 127.0.0.1;;,;,,",
    ),
    # 3.1.2.3 ncl: negative Content-Length
    "ncl": base_request().replace(b"Content-Length: 0", b"Content-Length: -999"),
    # 3.1.2.4 scalar02: overlarge CSeq
    "scalar02": base_request().replace(b"CSeq: 1 OPTIONS", b"CSeq: 36893488147419103232 OPTIONS"),
    "scalar02-maxfwd": base_request().replace(b"Max-Forwards: 70", b"Max-Forwards: 300"),
    "scalar02-expires": base_request(extra="Expires: 280297596632815\n"),
    "scalar02-contact-expires": base_request(
        extra="Contact: <sip:user@127.0.0.1>;expires=280297596632815\n"
    ),
    # 3.1.2.6 quotbal: unterminated quoted display name
    "quotbal": base_request().replace(
        b"To: <sip:user@example.com>", b'To: "Mr. J. User <sip:user@example.com>'
    ),
    # 3.1.2.7 ltgtruri: Request-URI in angle brackets
    "ltgtruri": base_request(uri="<sip:user@example.com>"),
    # 3.1.2.8 lwsruri: whitespace inside the Request-URI
    "lwsruri": base_request(uri="sip:user@example.com; lr"),
    # 3.1.2.9 lwsstart: multiple SP in the request line
    "lwsstart": base_request().replace(b"OPTIONS sip:", b"OPTIONS  sip:"),
    # 3.1.2.10 trws: trailing whitespace after the version
    "trws": base_request().replace(b"SIP/2.0\r\nVia", b"SIP/2.0 \r\nVia"),
    # 3.1.2.11 escruri: unescaped space in a URI
    "escruri": base_request(uri="sip:user@example.com?Route=<sip:example.com>"),
    # 3.1.2.13 regbadct: Contact URI with '?' outside angle brackets
    "regbadct": base_request(
        extra="Contact: sip:user@example.com?Route=%3Csip:sip.example.com%3E\n"
    ),
    # 3.1.2.14 badaspec: spaces inside the angle-bracketed URI
    "badaspec": base_request().replace(
        b"To: <sip:user@example.com>", b'To: "Watson, Thomas" < sip:t.watson@example.org >'
    ),
    # 3.1.2.15 baddn: unquoted display name with a comma
    "baddn": base_request().replace(
        b"From: <sip:caller@example.com>;tag=abc",
        b"From: Bell, Alexander <sip:a.g.bell@example.com>;tag=43",
    ),
    # 3.1.2.18 bigcode: status code not three digits
    "bigcode": crlf(
        "SIP/2.0 4294967301 better not break the receiver\n"
        "Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK29\n"
        "Call-ID: bigcode.asdof3uj203asdnf3429uasdhfas3ehjasdfas9i\n"
        "CSeq: 353494 INVITE\n"
        "From: <sip:user@example.com>;tag=39ansfi3\n"
        "To: <sip:user@example.edu>;tag=902jndnke3\n"
        "Content-Length: 0\n\n"
    ),
    # RFC 4475 mcl01: conflicting Content-Length values
    "mcl01": base_request().replace(
        b"Content-Length: 0", b"Content-Length: 0\r\nContent-Length: 12"
    ),
    "no-colon": base_request(extra="NoColonHere\n"),
    "status-out-of-range": crlf("SIP/2.0 099 Low\nContent-Length: 0\n\n"),
    "garbage": b"\x00\x01\x02 hello\r\n\r\n",
    "empty": b"",
    "only-crlf": b"\r\n\r\n",
    "bad-version-token": base_request().replace(b"SIP/2.0\r\nVia", b"HTTP/1.1\r\nVia"),
    "bad-port": base_request(uri="sip:user@example.com:99999"),
    "bad-ipv6": base_request(uri="sip:[2001:db8::zz]"),
    "too-large": base_request(extra="X-Big: " + "a" * 70000 + "\n"),
    "continuation-first": crlf("OPTIONS sip:a@example.com SIP/2.0\n folded\n\n"),
}

"""WebRTC media on Centrex's side of a leg: ICE-lite, DTLS-SRTP, SRTP (issue 14).

One concept per module: `stun` (the STUN codec, pure), `ice` (ICE-lite responder, pure),
`dtls` (DTLS handshake through memory BIOs, certificate, fingerprint), `srtp` (counted SRTP
contexts, shared with the SDES path), `sdp` (WebRTC SDP attributes and DTLS roles, pure),
`leg` (the per-leg transport that demultiplexes one UDP port, RFC 7983).
"""

"""SIP credentials: generated passwords and the HA1 digests we store instead of them."""

from __future__ import annotations

import hashlib
import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def generate_password(length: int = 20) -> str:
    """A strong random password (about 119 bits for 20 characters), without ambiguous symbols."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def ha1(username: str, realm: str, password: str, algorithm: str) -> str:
    """HA1 = H(username ":" realm ":" password), RFC 7616 §3.4.2, for MD5 or SHA-256."""
    data = f"{username}:{realm}:{password}".encode()
    if algorithm == "MD5":
        return hashlib.md5(data, usedforsecurity=False).hexdigest()
    if algorithm == "SHA-256":
        return hashlib.sha256(data).hexdigest()
    raise ValueError(f"unsupported digest algorithm {algorithm}")

"""HTTP Digest authentication (RFC 7616 / 2617, MD5 and SHA-256, qop=auth) for our clients.

GA/T 1400 registration answers the first POST with ``401`` and a ``WWW-Authenticate: Digest``
challenge; the second POST carries the ``Authorization`` header built here. Pure functions,
so the header is tested against RFC 2617's worked example.
"""

from __future__ import annotations

import hashlib
import re
import secrets

__all__ = ["digest_authorization", "parse_challenge"]

_PARAM = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^,\s]+)')


def parse_challenge(header: str) -> dict[str, str]:
    """``Digest realm="x", nonce="y", qop="auth"`` → ``{"realm": "x", "nonce": "y", "qop": "auth"}``."""
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "digest":
        raise ValueError(f"not a Digest challenge: {header[:40]!r}")
    return {k.lower(): v[1:-1] if v.startswith('"') else v for k, v in _PARAM.findall(rest)}


def _hash(algorithm: str):
    algorithm = (algorithm or "MD5").upper()
    if algorithm in ("MD5", "MD5-SESS"):
        return lambda s: hashlib.md5(s.encode()).hexdigest()  # noqa: S324 - the protocol's choice
    if algorithm in ("SHA-256", "SHA-256-SESS"):
        return lambda s: hashlib.sha256(s.encode()).hexdigest()
    raise ValueError(f"unsupported Digest algorithm {algorithm!r}")


def digest_authorization(
    *,
    challenge: dict[str, str],
    method: str,
    uri: str,
    username: str,
    password: str,
    nc: int = 1,
    cnonce: str | None = None,
) -> str:
    """The ``Authorization`` header value answering ``challenge``."""
    algorithm = challenge.get("algorithm", "MD5")
    h = _hash(algorithm)
    realm, nonce = challenge.get("realm", ""), challenge["nonce"]
    qops = [q.strip() for q in challenge.get("qop", "").split(",") if q.strip()]
    cnonce = cnonce or secrets.token_hex(8)
    ha1 = h(f"{username}:{realm}:{password}")
    if algorithm.upper().endswith("-SESS"):
        ha1 = h(f"{ha1}:{nonce}:{cnonce}")
    ha2 = h(f"{method}:{uri}")
    nc_value = f"{nc:08x}"
    parts = [f'username="{username}"', f'realm="{realm}"', f'nonce="{nonce}"', f'uri="{uri}"']
    if "auth" in qops:
        response = h(f"{ha1}:{nonce}:{nc_value}:{cnonce}:auth:{ha2}")
        parts += ["qop=auth", f"nc={nc_value}", f'cnonce="{cnonce}"']
    else:
        response = h(f"{ha1}:{nonce}:{ha2}")
    parts.append(f'response="{response}"')
    if "opaque" in challenge:
        parts.append(f'opaque="{challenge["opaque"]}"')
    if "algorithm" in challenge:
        parts.append(f"algorithm={algorithm}")
    return "Digest " + ", ".join(parts)


def digest_expected_response(*, params: dict[str, str], method: str, password: str) -> str:
    """What a server expects in ``response=`` (used by our fake GA/T 1400 server)."""
    h = _hash(params.get("algorithm", "MD5"))
    ha1 = h(f"{params['username']}:{params.get('realm', '')}:{password}")
    ha2 = h(f"{method}:{params['uri']}")
    if params.get("qop") == "auth":
        return h(f"{ha1}:{params['nonce']}:{params['nc']}:{params['cnonce']}:auth:{ha2}")
    return h(f"{ha1}:{params['nonce']}:{ha2}")

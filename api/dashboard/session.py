"""The dashboard's login over TCP: a session cookie bound to the bearer token, and its CSRF token.

Stateless: the cookie is `issued.nonce.mac`, the mac an HMAC-SHA256 keyed with the daemon's
current token, so a restarted daemon still accepts it and a rotated token ends every session at
once. The CSRF token is another HMAC of the nonce; the page carries it in a meta tag and the
JavaScript sends it as `X-CSRF-Token` on every state-changing request. `api.server.TokenAuth`
checks both; a cookie is HttpOnly and SameSite=Strict, so scripts never read it and other
sites never send it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie

COOKIE_NAME = "dockform_session"
CSRF_HEADER = "x-csrf-token"
# Which key in an ASGI scope holds the request's valid session (set by api.server.TokenAuth).
SESSION_KEY = "dockform.session"
SESSION_MAX_AGE_S = 12 * 3600
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Session:
    issued: int
    nonce: str


def _mac(token: str, message: str) -> str:
    digest = hmac.new(token.encode(), message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def issue(token: str, now: float | None = None) -> str:
    """A new cookie value for a client that just proved it holds `token`."""
    issued = int(time.time() if now is None else now)
    nonce = secrets.token_urlsafe(18)
    return f"{issued}.{nonce}.{_mac(token, f'session|{issued}|{nonce}')}"


def check(value: str, token: str, now: float | None = None) -> Session | None:
    """The session a cookie value stands for, or None (forged, expired, or another token's)."""
    issued_text, _, rest = value.partition(".")
    nonce, _, mac = rest.partition(".")
    if not issued_text.isdigit() or not nonce or not mac:
        return None
    expected = _mac(token, f"session|{issued_text}|{nonce}")
    if not hmac.compare_digest(mac.encode(), expected.encode()):
        return None
    issued = int(issued_text)
    age = (time.time() if now is None else now) - issued
    if age < -60 or age > SESSION_MAX_AGE_S:
        return None
    return Session(issued, nonce)


def csrf_token(session: Session, token: str) -> str:
    return _mac(token, f"csrf|{session.nonce}")


def csrf_ok(session: Session, token: str, sent: bytes) -> bool:
    return hmac.compare_digest(sent, csrf_token(session, token).encode())


def cookie_value(cookie_header: bytes) -> str | None:
    """Our cookie's value in a Cookie header, or None."""
    if not cookie_header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(cookie_header.decode("latin-1"))
    except CookieError:
        return None
    morsel = jar.get(COOKIE_NAME)
    return morsel.value if morsel is not None else None


def set_cookie_header(value: str, secure: bool) -> str:
    attributes = f"{COOKIE_NAME}={value}; Path=/; HttpOnly; SameSite=Strict"
    attributes += f"; Max-Age={SESSION_MAX_AGE_S}"
    return attributes + ("; Secure" if secure else "")


def clear_cookie_header() -> str:
    return f"{COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"

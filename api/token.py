"""The TCP listener's bearer token: its file, its strength and its rotation.

`api.server.TokenAuth` asks `BearerToken.matches` on every TCP request; `api.routes.token`
rotates it (unix socket only); `cli.daemon` loads or creates it at start. The file holds one
line, mode 0600; a rotation writes a new file next to it and renames it over the old one, so a
reader never sees half a token, then swaps the value in memory: TCP clients need the new token
from the next request on, without a restart.
"""

from __future__ import annotations

import hmac
import math
import os
import secrets
import string
from pathlib import Path

# 32 random bytes, as `secrets.token_urlsafe(32)` makes: 43 url-safe base64 characters.
MIN_ENTROPY_BITS = 256
TOKEN_BYTES = 32
# Which key in an ASGI scope says the request came on the unix socket (set by api.server).
LOCAL_LISTENER_KEY = "dockform.local"
# Which key says the request carried the right bearer token (set by api.server.TokenAuth).
AUTHENTICATED_KEY = "dockform.authenticated"

_HEX = frozenset(string.hexdigits)
_BASE64 = frozenset(string.ascii_letters + string.digits + "-_+/=")
_PRINTABLE_ALPHABET = 95  # printable ASCII


class WeakToken(ValueError):
    """A token file whose token is too short or too plain to resist guessing."""


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def entropy_bits(token: str) -> float:
    """An upper bound of the token's entropy, from its length and the alphabet it draws on.

    A random token of 32 bytes reaches 256 bits as 43 base64 or 64 hex characters. The bound is
    generous to a human-made token of the same length (it cannot know how the token was made);
    a token of fewer than 8 distinct characters (`aaaa...`) counts only those as its alphabet.
    """
    distinct = len(set(token))
    if distinct < 2:
        return 0.0
    alphabet = _alphabet_size(token) if distinct >= 8 else distinct
    return len(token) * math.log2(alphabet)


def _alphabet_size(token: str) -> int:
    characters = set(token)
    if characters <= _HEX:
        return 16  # case adds no randomness to a hex digest
    if characters <= _BASE64:
        return 64
    return _PRINTABLE_ALPHABET


def check_strength(token: str, path: Path | None = None) -> None:
    """WeakToken, saying how to fix it, for a token under MIN_ENTROPY_BITS."""
    bits = entropy_bits(token)
    if bits >= MIN_ENTROPY_BITS:
        return
    where = f"the token in {path}" if path else "the token"
    raise WeakToken(
        f"{where} is too weak ({len(token)} characters, at most {bits:.0f} bits of entropy; "
        f"at least {MIN_ENTROPY_BITS} are needed, e.g. 43 url-safe base64 or 64 hex "
        "characters of random bytes). Run `dockform token rotate` on a running daemon, or "
        "delete the file and a new token is made at the next start"
    )


def write_token_file(path: Path, token: str) -> None:
    """`token` into `path` (0600), atomically: a new file renamed over the old one."""
    draft = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(token + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(draft, path)
    except BaseException:
        draft.unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a crash
    finally:
        os.close(directory)


class BearerToken:
    """The token TCP clients must send, and the file it lives in (None: fixed, for tests)."""

    def __init__(self, value: str, path: Path | None = None) -> None:
        self.path = path
        self._header = f"Bearer {value}".encode()
        self._value = value

    @classmethod
    def load_or_create(cls, path: Path) -> BearerToken:
        """The token in `path`, created (0600) at first start; WeakToken for a weak one."""
        if not path.exists():
            token = new_token()
            write_token_file(path, token)
            return cls(token, path)
        token = path.read_text().strip()
        check_strength(token, path)
        return cls(token, path)

    @property
    def value(self) -> str:
        return self._value

    def matches(self, authorization: bytes) -> bool:
        """Whether an Authorization header carries this token (in constant time)."""
        return hmac.compare_digest(authorization, self._header)

    def rotate(self) -> None:
        """A new random token, in the file first (so a failed write keeps the old one)."""
        if self.path is None:
            raise ValueError("a fixed token has no file to rotate")
        token = new_token()
        write_token_file(self.path, token)
        # One assignment each; a request between them compares against the old header.
        self._value = token
        self._header = f"Bearer {token}".encode()

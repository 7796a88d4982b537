"""The daemon's secret key, and the one cipher Secrets are kept under at rest.

A Secret's content is encrypted at apply (`store.sealing`) and stored encrypted in its spec
(`sealed`); the controller alone decrypts it, when it writes the files a container mounts or
the environment it starts with. The key is 64 random bytes in `$DOCKFORM_HOME/secret.key`
(base64, mode 0600), made at the daemon's first start; a key file other users may read is
refused, not used.

The cipher is AES-SIV (RFC 5297, `cryptography`'s AESSIV with a 512-bit key): authenticated
and deterministic, so the same content sealed twice gives the same text, and applying an
unchanged Secret again changes nothing. It reveals only whether two contents are equal, which
their sha256 (shown in every read) says anyway. The object's kind, namespace and name are
authenticated with the content, so a sealed value copied onto another Secret does not open.
"""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV

KEY_FILE = "secret.key"
KEY_BYTES = 64
_PREFIX = "v1:"


class SealBroken(Exception):
    """A sealed value that does not open with this key (another daemon's key, or altered)."""


class Vault:
    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"a secret key is {KEY_BYTES} bytes, not {len(key)}")
        self._cipher = AESSIV(key)

    @classmethod
    def generate(cls) -> Vault:
        return cls(os.urandom(KEY_BYTES))

    @classmethod
    def load_or_create(cls, path: Path) -> Vault:
        """The key in `path`, made (0600) when there is none; ValueError for a key file that
        other users can read or that holds no key."""
        if not path.exists():
            key = os.urandom(KEY_BYTES)
            _write_key(path, key)
            return cls(key)
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise ValueError(
                f"{path} is open to other users (mode {mode:o}): it decrypts every Secret. "
                f"Make it private (chmod 600 {path}) and start the daemon again"
            )
        try:
            key = base64.urlsafe_b64decode(path.read_text().strip())
            return cls(key)
        except ValueError as error:
            raise ValueError(
                f"{path} holds no secret key ({error}); restore it from a backup, or move it "
                "away to make a new one (Secrets applied under the old key must then be "
                "applied again)"
            ) from error

    def seal(self, context: str, content: bytes) -> str:
        sealed = self._cipher.encrypt(content, [context.encode()])
        return _PREFIX + base64.urlsafe_b64encode(sealed).decode()

    def open(self, context: str, sealed: str) -> bytes:
        if not sealed.startswith(_PREFIX):
            raise SealBroken("not a sealed value of this daemon")
        try:
            data = base64.urlsafe_b64decode(sealed.removeprefix(_PREFIX))
            return self._cipher.decrypt(data, [context.encode()])
        except (ValueError, InvalidTag) as error:
            raise SealBroken(
                "it does not open with this daemon's key (secret.key changed since it was "
                "applied, or the store was altered)"
            ) from error


def seal_context(kind: str, namespace: str, name: str) -> str:
    """What a sealed value is bound to: its object (`Secret/NAMESPACE/NAME`, the namespace
    always written, so a value copied to a Secret of another namespace does not open)."""
    return f"{kind}/{namespace}/{name}"


def _write_key(path: Path, key: bytes) -> None:
    draft = path.with_name(path.name + ".new")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(base64.urlsafe_b64encode(key).decode() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(draft, path)

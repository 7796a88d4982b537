"""Whether a forge's webhook call carries the shared secret: pure functions, no I/O.

The forges sign (or carry) a webhook three ways, and `verify` accepts any of them:

- GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`. Gitea and Forgejo
  send the same header beside their own.
- Gitea (and Gogs-style forks): `X-Gitea-Signature: <hex HMAC-SHA256 of the raw body>`.
- GitLab: `X-Gitlab-Token: <the secret itself>` (GitLab signs nothing; TLS must protect it).

Every header present must verify (a call that carries one right and one wrong signature is
refused), at least one must be present, and each comparison takes constant time
(`hmac.compare_digest`). The route (`api.routes.webhooks`) reads the body, finds the secret and
acts on the verdict.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

GITHUB_SIGNATURE = "x-hub-signature-256"
GITEA_SIGNATURE = "x-gitea-signature"
GITLAB_TOKEN = "x-gitlab-token"
GITHUB_EVENT = "x-github-event"
_GITHUB_PREFIX = "sha256="
# A header longer than this is no signature of ours (a sha256 hex digest is 64 characters).
_MAX_HEADER = 1024


class Forge(StrEnum):
    GITHUB = "GitHub"
    GITEA = "Gitea"
    GITLAB = "GitLab"


@dataclass(frozen=True)
class Verdict:
    """`forge` that signed the call when `ok`; otherwise `message` says what is wrong."""

    ok: bool
    message: str
    forge: Forge | None = None


MISSING = (
    "the call is not signed: send X-Hub-Signature-256 (GitHub), X-Gitea-Signature (Gitea) or "
    "X-Gitlab-Token (GitLab) made with the secret of the GitSource's spec.webhook"
)


def hmac_sha256_hex(secret: bytes, body: bytes) -> str:
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


def github_signature(secret: bytes, body: bytes) -> str:
    """The X-Hub-Signature-256 value GitHub would send for `body`."""
    return _GITHUB_PREFIX + hmac_sha256_hex(secret, body)


def _same(given: str, expected: str) -> bool:
    # compare_digest wants ASCII str or bytes; a header may hold anything, so compare bytes.
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode())


def _check_github(value: str, secret: bytes, body: bytes) -> str | None:
    if not value.startswith(_GITHUB_PREFIX):
        return f"X-Hub-Signature-256 must read {_GITHUB_PREFIX}<hex HMAC-SHA256 of the body>"
    if not _same(value.lower(), github_signature(secret, body)):
        return "X-Hub-Signature-256 does not match the body signed with the webhook secret"
    return None


def _check_gitea(value: str, secret: bytes, body: bytes) -> str | None:
    if not _same(value.lower(), hmac_sha256_hex(secret, body)):
        return "X-Gitea-Signature does not match the body signed with the webhook secret"
    return None


def _check_gitlab(value: str, secret: bytes, body: bytes) -> str | None:
    if not _same(value, secret.decode("utf-8", "surrogateescape")):
        return "X-Gitlab-Token is not the webhook secret"
    return None


_CHECKS = (
    (GITHUB_SIGNATURE, Forge.GITHUB, _check_github),
    (GITEA_SIGNATURE, Forge.GITEA, _check_gitea),
    (GITLAB_TOKEN, Forge.GITLAB, _check_gitlab),
)


def verify(headers: Mapping[str, str], body: bytes, secret: bytes) -> Verdict:
    """Whether `body` with `headers` (lower-case names) was sent with `secret`."""
    if not secret:
        raise ValueError("an empty secret verifies nothing")
    signed_by: Forge | None = None
    for header, forge, check in _CHECKS:
        value = headers.get(header)
        if value is None:
            continue
        value = value.strip()
        if len(value) > _MAX_HEADER:
            return Verdict(False, f"{header} is longer than any signature ({_MAX_HEADER} max)")
        problem = check(value, secret, body)
        if problem is not None:
            return Verdict(False, problem)
        signed_by = signed_by or forge
    if signed_by is None:
        return Verdict(False, MISSING)
    return Verdict(True, f"signed by {signed_by.value}", signed_by)


def is_ping(headers: Mapping[str, str]) -> bool:
    """GitHub's check that a new hook reaches us: answered, never acted on."""
    return headers.get(GITHUB_EVENT, "").strip().lower() == "ping"

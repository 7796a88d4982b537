"""api.webhook_signatures: the forges' signatures, checked as each forge makes them."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from dockform.api.webhook_signatures import (
    MISSING,
    Forge,
    github_signature,
    is_ping,
    verify,
)

SECRET = b"s3cret-shared-with-the-forge"
BODY = b'{"ref":"refs/heads/main","after":"0123abcd"}'
HEX = hmac.new(SECRET, BODY, hashlib.sha256).hexdigest()


def test_github_signature_is_sha256_equals_the_hex_hmac_of_the_body() -> None:
    assert github_signature(SECRET, BODY) == "sha256=" + HEX
    verdict = verify({"x-hub-signature-256": "sha256=" + HEX}, BODY, SECRET)
    assert verdict.ok and verdict.forge is Forge.GITHUB


def test_a_github_signature_in_upper_case_hex_is_the_same_signature() -> None:
    assert verify({"x-hub-signature-256": "sha256=" + HEX.upper()}, BODY, SECRET).ok


def test_gitea_signature_is_the_bare_hex_hmac() -> None:
    verdict = verify({"x-gitea-signature": HEX}, BODY, SECRET)
    assert verdict.ok and verdict.forge is Forge.GITEA


def test_gitlab_token_is_the_secret_itself() -> None:
    verdict = verify({"x-gitlab-token": SECRET.decode()}, BODY, SECRET)
    assert verdict.ok and verdict.forge is Forge.GITLAB


@pytest.mark.parametrize(
    ("headers", "words"),
    [
        ({}, MISSING),
        ({"x-hub-signature-256": HEX}, "must read sha256="),
        ({"x-hub-signature-256": "sha256=" + "0" * 64}, "does not match"),
        ({"x-hub-signature-256": "sha1=" + HEX}, "must read sha256="),
        ({"x-gitea-signature": "0" * 64}, "X-Gitea-Signature does not match"),
        ({"x-gitea-signature": ""}, "X-Gitea-Signature does not match"),
        ({"x-gitlab-token": "s3cret"}, "X-Gitlab-Token is not the webhook secret"),
        ({"x-gitlab-token": "é" * 10}, "X-Gitlab-Token is not the webhook secret"),
        ({"x-gitea-signature": "a" * 5000}, "longer than any signature"),
        ({"x-github-event": "push"}, MISSING),
    ],
)
def test_unsigned_or_wrongly_signed_calls_are_refused_saying_why(
    headers: dict[str, str], words: str
) -> None:
    verdict = verify(headers, BODY, SECRET)
    assert not verdict.ok and verdict.forge is None
    assert words in verdict.message


def test_a_signature_of_another_body_or_secret_is_refused() -> None:
    assert not verify({"x-hub-signature-256": "sha256=" + HEX}, BODY + b" ", SECRET).ok
    assert not verify({"x-hub-signature-256": "sha256=" + HEX}, BODY, SECRET + b"x").ok


def test_every_signature_present_must_verify() -> None:
    both = {"x-hub-signature-256": "sha256=" + HEX, "x-gitea-signature": "0" * 64}
    assert not verify(both, BODY, SECRET).ok
    both["x-gitea-signature"] = HEX  # Gitea sends both, alike
    verdict = verify(both, BODY, SECRET)
    assert verdict.ok and verdict.forge is Forge.GITHUB


def test_an_empty_secret_verifies_nothing() -> None:
    with pytest.raises(ValueError, match="empty secret"):
        verify({"x-gitlab-token": ""}, BODY, b"")


def test_ping_is_github_s_ping_event_only() -> None:
    assert is_ping({"x-github-event": "ping"})
    assert not is_ping({"x-github-event": "push"})
    assert not is_ping({})

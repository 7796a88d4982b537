"""The TCP listener's guard (TokenAuth), its TLS files and clear-text warning, the token file
and --listen parsing."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dockform.api.app import create_app
from dockform.api.deps import AppState
from dockform.api.server import Tls, TokenAuth, parse_listen, warn_if_clear_text
from dockform.api.token import BearerToken
from tests.tls import self_signed


@pytest.fixture
def guarded(state: AppState) -> TestClient:
    return TestClient(TokenAuth(create_app(state), "s3cret"))


def test_healthz_needs_no_token(guarded: TestClient) -> None:
    assert guarded.get("/healthz").status_code == 200


@pytest.mark.parametrize("header", [None, "Bearer wrong", "s3cret", "Basic s3cret", "Bearer "])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/containers"),
        ("POST", "/v1/apply"),
        ("GET", "/metrics"),
        ("GET", "/docs"),
        ("GET", "/openapi.json"),
        ("GET", "/healthz/"),
    ],
)
def test_everything_else_needs_the_token(
    guarded: TestClient, header: str | None, method: str, path: str
) -> None:
    headers = {"Authorization": header} if header is not None else {}
    response = guarded.request(method, path, headers=headers)
    assert response.status_code == 401
    assert "bearer token" in response.json()["error"]
    assert response.headers["www-authenticate"] == "Bearer"


def test_the_right_token_passes(guarded: TestClient) -> None:
    response = guarded.get("/v1/containers", headers={"Authorization": "Bearer s3cret"})
    assert response.status_code == 200


def test_token_file_is_private_and_stable(tmp_path: Path) -> None:
    path = tmp_path / "token"
    first = BearerToken.load_or_create(path).value
    assert len(first) >= 43
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert BearerToken.load_or_create(path).value == first


@pytest.mark.parametrize(
    ("host", "tls", "warned"),
    [
        ("0.0.0.0", False, True),
        ("192.0.2.7", False, True),
        ("dockform.example", False, True),
        ("0.0.0.0", True, False),
        ("127.0.0.1", False, False),
        ("::1", False, False),
        ("localhost", False, False),
    ],
)
def test_plain_http_off_loopback_is_warned_about(
    caplog: pytest.LogCaptureFixture, host: str, tls: bool, warned: bool
) -> None:
    with caplog.at_level(logging.WARNING, logger="dockform.api"):
        warn_if_clear_text(host, Tls(Path("cert.pem"), Path("key.pem")) if tls else None)
    messages = [record.getMessage() for record in caplog.records]
    assert bool(messages) is warned
    if warned:
        assert host in messages[0] and "clear text" in messages[0] and "--tls-cert" in messages[0]


def test_tls_files_must_exist_and_load(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    with pytest.raises(ValueError, match=f"--tls-cert {cert}: no such file"):
        Tls(cert, key).check()
    cert.write_text("not a certificate\n")
    key.write_text("not a key\n")
    with pytest.raises(ValueError, match="cannot load them as a PEM certificate"):
        Tls(cert, key).check()


@pytest.mark.parametrize(
    ("address", "expected"),
    [("tcp://127.0.0.1:7420", ("127.0.0.1", 7420)), ("tcp://[::1]:80", ("::1", 80))],
)
def test_parse_listen(address: str, expected: tuple[str, int]) -> None:
    assert parse_listen(address) == expected


@pytest.mark.parametrize("address", ["127.0.0.1:7420", "tcp://127.0.0.1", "tcp://:80", "unix:///x"])
def test_parse_listen_refuses_other_shapes(address: str) -> None:
    with pytest.raises(ValueError, match="tcp://HOST:PORT"):
        parse_listen(address)


def test_a_self_signed_pair_loads(tmp_path: Path) -> None:
    Tls(*self_signed(tmp_path)).check()

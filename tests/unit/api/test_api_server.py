"""The TCP listener's guard (TokenAuth), the token file and --listen parsing."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dockform.api.app import create_app
from dockform.api.deps import AppState
from dockform.api.server import TokenAuth, load_or_create_token, parse_listen


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
    first = load_or_create_token(path)
    assert len(first) >= 32
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_or_create_token(path) == first


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

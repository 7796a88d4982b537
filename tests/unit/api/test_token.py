"""The TCP token: its strength check, its file, its rotation and the routes that show and rotate
it (on the unix socket only)."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dockform.api.app import create_app
from dockform.api.deps import AppState
from dockform.api.server import LocalListener, TokenAuth
from dockform.api.token import BearerToken, WeakToken, check_strength, entropy_bits


@pytest.mark.parametrize(
    "token",
    [secrets.token_urlsafe(32), secrets.token_hex(32), secrets.token_urlsafe(48)],
)
def test_random_tokens_of_32_bytes_pass(token: str) -> None:
    assert entropy_bits(token) >= 256
    check_strength(token)


@pytest.mark.parametrize(
    "token",
    [
        "weak",
        "",
        secrets.token_urlsafe(32)[:42],  # 252 bits
        secrets.token_hex(32)[:63],
        "a" * 200,
        "abababababab" * 20,
    ],
)
def test_short_or_plain_tokens_are_weak(token: str) -> None:
    with pytest.raises(WeakToken, match="dockform token rotate"):
        check_strength(token)


def test_a_weak_token_file_is_refused_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("weak\n")
    with pytest.raises(WeakToken, match=f"the token in {path} is too weak"):
        BearerToken.load_or_create(path)


def test_rotate_replaces_file_and_memory(tmp_path: Path) -> None:
    path = tmp_path / "token"
    token = BearerToken.load_or_create(path)
    old = token.value
    token.rotate()
    assert token.value != old and len(token.value) >= 43
    assert path.read_text() == token.value + "\n"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert token.matches(f"Bearer {token.value}".encode())
    assert not token.matches(f"Bearer {old}".encode())
    assert sorted(os.listdir(tmp_path)) == ["token"]  # no draft left behind


@pytest.fixture
def token(tmp_path: Path) -> BearerToken:
    return BearerToken.load_or_create(tmp_path / "token")


@pytest.fixture
def local(state: AppState, token: BearerToken) -> TestClient:
    """The app as the unix socket serves it."""
    state.token = token
    return TestClient(LocalListener(create_app(state)))


@pytest.fixture
def tcp(state: AppState, token: BearerToken) -> TestClient:
    """The app as the TCP listener serves it, sharing the token with `local`."""
    state.token = token
    return TestClient(TokenAuth(create_app(state), token))


def test_rotation_on_the_socket_locks_out_the_old_token(
    local: TestClient, tcp: TestClient, token: BearerToken
) -> None:
    old = token.value
    assert tcp.get("/v1/containers", headers={"Authorization": f"Bearer {old}"}).status_code == 200
    response = local.post("/v1/token/rotate")
    assert response.status_code == 200
    assert response.json() == {"path": str(token.path)}
    new = Path(response.json()["path"]).read_text().strip()
    assert new != old
    assert tcp.get("/v1/containers", headers={"Authorization": f"Bearer {old}"}).status_code == 401
    assert tcp.get("/v1/containers", headers={"Authorization": f"Bearer {new}"}).status_code == 200
    assert local.get("/v1/token").json() == {"path": str(token.path), "token": new}


@pytest.mark.parametrize(("method", "path"), [("POST", "/v1/token/rotate"), ("GET", "/v1/token")])
def test_token_routes_are_refused_over_tcp(
    tcp: TestClient, token: BearerToken, method: str, path: str
) -> None:
    before = token.value
    headers = {"Authorization": f"Bearer {before}"}
    response = tcp.request(method, path, headers=headers)
    assert response.status_code == 403
    assert "unix socket" in response.json()["error"]
    assert token.value == before


def test_token_routes_are_refused_without_a_listener_mark(client: TestClient) -> None:
    assert client.post("/v1/token/rotate").status_code == 403


def test_a_daemon_without_tcp_has_no_token(state: AppState) -> None:
    local = TestClient(LocalListener(create_app(state)))
    response = local.post("/v1/token/rotate")
    assert response.status_code == 409
    assert "--listen" in response.json()["error"]

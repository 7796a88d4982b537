"""The TCP listener with TLS, and the daemon's credentials, on real daemons: HTTPS with the
token (httpx and the CLI with DOCKFORM_TLS_CA), plain HTTP refused on the TLS port, open modes
fixed at start, a weak token refused, and `dockform token rotate` on a running daemon."""

from __future__ import annotations

import os
import secrets
import ssl
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.api.conftest import ApiDaemon, free_port
from tests.integration.engine.conftest import DOCKFORM, start_daemon, teardown_daemon
from tests.tls import self_signed


@pytest.fixture(scope="module")
def tls_daemon(
    tmp_path_factory: pytest.TempPathFactory, docker_runtime: Any
) -> Iterator[tuple[ApiDaemon, Path]]:
    """A daemon serving TLS, started on a home whose modes were left open (0755 / 0644)."""
    cert, key = self_signed(tmp_path_factory.mktemp("tls"))
    home = tmp_path_factory.mktemp("dockform-tls")
    os.chmod(home, 0o755)
    token_file = home / "token"
    token_file.write_text(secrets.token_urlsafe(32) + "\n")
    os.chmod(token_file, 0o644)
    port = free_port()
    listen = f"tcp://127.0.0.1:{port}"
    daemon = start_daemon(home, "--listen", listen, "--tls-cert", str(cert), "--tls-key", str(key))
    yield ApiDaemon(daemon, port), cert
    teardown_daemon(daemon)


def https(running: ApiDaemon, cert: Path, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"https://127.0.0.1:{running.port}",
        headers={"Authorization": f"Bearer {token}"},
        verify=ssl.create_default_context(cafile=cert),
        timeout=30,
    )


def test_open_modes_were_fixed_and_named(tls_daemon: tuple[ApiDaemon, Path]) -> None:
    running, _ = tls_daemon
    assert stat.S_IMODE(os.stat(running.home).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(running.home / "token").st_mode) == 0o600
    log = running.daemon.log()
    assert f"WARNING dockform.daemon: {running.home} was open to other users" in log
    assert f"WARNING dockform.daemon: {running.home / 'token'} was open to other users" in log
    assert f"https://127.0.0.1:{running.port}" in log
    assert "clear text" not in log


def test_https_with_the_token(tls_daemon: tuple[ApiDaemon, Path]) -> None:
    running, cert = tls_daemon
    with https(running, cert, running.token) as client:
        assert client.get("/v1/containers").status_code == 200
    with https(running, cert, "wrong") as client:
        assert client.get("/v1/containers").status_code == 401


def test_plain_http_to_the_tls_port_fails(tls_daemon: tuple[ApiDaemon, Path]) -> None:
    running, _ = tls_daemon
    with pytest.raises(httpx.TransportError), running.tcp(running.token) as client:
        client.get("/v1/containers")
    plain = running.cli(
        "get", DOCKFORM_HOST=f"http://127.0.0.1:{running.port}", DOCKFORM_TOKEN=running.token
    )
    assert plain.returncode == 1
    assert "DOCKFORM_HOST=https://" in plain.stderr


def test_cli_over_https_verifies_against_dockform_tls_ca(
    tls_daemon: tuple[ApiDaemon, Path],
) -> None:
    running, cert = tls_daemon
    host = f"https://127.0.0.1:{running.port}"
    trusted = running.cli(
        "get", DOCKFORM_HOST=host, DOCKFORM_TOKEN=running.token, DOCKFORM_TLS_CA=str(cert)
    )
    assert trusted.returncode == 0, trusted.stderr
    untrusted = running.cli("get", DOCKFORM_HOST=host, DOCKFORM_TOKEN=running.token)
    assert untrusted.returncode == 1
    assert "CERTIFICATE_VERIFY_FAILED" in untrusted.stderr
    assert "set DOCKFORM_TLS_CA" in untrusted.stderr


def test_rotate_on_a_running_daemon(tls_daemon: tuple[ApiDaemon, Path]) -> None:
    running, cert = tls_daemon
    old = running.token
    rotated = running.cli("token", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    assert rotated.stdout == ""  # the token is printed only with --show
    assert str(running.home / "token") in rotated.stderr
    new = running.token
    assert new != old
    with https(running, cert, old) as client:
        assert client.get("/v1/containers").status_code == 401
    with https(running, cert, new) as client:
        assert client.get("/v1/containers").status_code == 200
    shown = running.cli("token", "rotate", "--show")
    assert shown.returncode == 0 and shown.stdout.strip() == running.token != new
    assert running.cli("token", "show").stdout.strip() == running.token


def test_rotate_over_tcp_is_refused(tls_daemon: tuple[ApiDaemon, Path]) -> None:
    running, cert = tls_daemon
    before = running.token
    refused = running.cli(
        "token",
        "rotate",
        DOCKFORM_HOST=f"https://127.0.0.1:{running.port}",
        DOCKFORM_TOKEN=before,
        DOCKFORM_TLS_CA=str(cert),
    )
    assert refused.returncode == 1
    assert "unix socket" in refused.stderr and "HTTP 403" in refused.stderr
    assert running.token == before


def run_daemon(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A daemon that is expected to refuse to start."""
    return subprocess.run(
        [DOCKFORM, "daemon", *args],
        env={**os.environ, "DOCKFORM_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_weak_token_is_refused_at_start(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("weak\n")
    refused = run_daemon(tmp_path, "--listen", f"tcp://127.0.0.1:{free_port()}")
    assert refused.returncode == 2
    assert f"the token in {tmp_path / 'token'} is too weak" in refused.stderr
    assert "dockform token rotate" in refused.stderr
    assert not (tmp_path / "dockform.db").exists()  # refused before anything started


def test_tls_cert_alone_is_refused(tmp_path: Path) -> None:
    cert, _ = self_signed(tmp_path)
    listen = f"tcp://127.0.0.1:{free_port()}"
    refused = run_daemon(tmp_path / "home", "--listen", listen, "--tls-cert", str(cert))
    assert refused.returncode == 2
    assert "--tls-cert needs its pair" in refused.stderr


def test_plain_http_off_loopback_is_warned_about_at_start(
    tmp_path: Path, docker_runtime: Any
) -> None:
    daemon = start_daemon(tmp_path, "--listen", f"tcp://0.0.0.0:{free_port()}")
    try:
        log = daemon.log()
        assert "WARNING dockform.api: TCP listener on 0.0.0.0 serves plain HTTP" in log
        assert "--tls-cert FILE --tls-key FILE" in log
    finally:
        teardown_daemon(daemon)

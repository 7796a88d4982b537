"""The daemon's credentials at start: private modes for its home, token and store, and the TLS
options (both or neither, only with --listen)."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from dockform.cli.daemon import DaemonOptions, make_private, tls_files
from dockform.store.db import sqlite_files
from tests.tls import self_signed


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_open_modes_are_fixed_and_each_path_named(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    os.chmod(home, 0o755)
    store = sqlite_files(f"sqlite:///{home / 'dockform.db'}")
    for path in [home / "token", *store]:
        path.write_text("x")
        os.chmod(path, 0o644)
    with caplog.at_level(logging.WARNING, logger="dockform.daemon"):
        make_private(home, store)
    assert mode(home) == 0o700
    assert [mode(path) for path in [home / "token", *store]] == [0o600] * 4
    warned = "\n".join(record.getMessage() for record in caplog.records)
    for path in [home, home / "token", *store]:
        assert f"{path} was open to other users (mode " in warned


def test_private_modes_are_left_alone(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    (home / "token").write_text("x")
    os.chmod(home / "token", 0o400)
    with caplog.at_level(logging.WARNING, logger="dockform.daemon"):
        make_private(home, sqlite_files(f"sqlite:///{home / 'dockform.db'}"))  # absent: fine
    assert mode(home / "token") == 0o400
    assert not caplog.records


def test_a_shared_directory_is_no_home(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    with pytest.raises(ValueError, match="shared directory"):
        make_private(shared, [])
    assert mode(shared) == 0o1777


def test_only_sqlite_stores_have_files(tmp_path: Path) -> None:
    assert sqlite_files("postgresql://dockform@db/dockform") == []
    assert sqlite_files("sqlite:///:memory:") == []
    assert [path.name for path in sqlite_files(f"sqlite:///{tmp_path / 'x.db'}")] == [
        "x.db",
        "x.db-wal",
        "x.db-shm",
    ]


def test_tls_needs_both_files_and_a_listener(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    tcp = ("127.0.0.1", 7420)
    assert tls_files(DaemonOptions(), tcp) is None
    with pytest.raises(ValueError, match="--tls-cert needs its pair"):
        tls_files(DaemonOptions(tls_cert=str(cert)), tcp)
    with pytest.raises(ValueError, match="--tls-key needs its pair"):
        tls_files(DaemonOptions(tls_key=str(key)), tcp)
    with pytest.raises(ValueError, match="add --listen"):
        tls_files(DaemonOptions(tls_cert=str(cert), tls_key=str(key)), None)
    tls = tls_files(DaemonOptions(tls_cert=str(cert), tls_key=str(key)), tcp)
    assert tls is not None and tls.cert_file == cert

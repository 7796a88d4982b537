"""One daemon per instance and engine: a second daemon of the same `--instance` refuses to
start, names the first, and touches nothing; the first goes on undisturbed."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.integration.engine.conftest import DOCKFORM, Daemon, start_daemon


def instance_of(daemon: Daemon) -> str:
    return "t-" + daemon.label.rsplit("=", 1)[1]


def test_a_second_daemon_of_the_instance_refuses_to_start(daemon: Daemon, tmp_path: Path) -> None:
    second_home = tmp_path / "second"
    env = {**os.environ, "DOCKFORM_HOME": str(second_home)}
    refused = subprocess.run(
        [DOCKFORM, "daemon", "--instance", instance_of(daemon), "--label", "dockform.test=1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 1, refused.stderr
    assert f"instance {instance_of(daemon)!r}" in refused.stderr
    assert str(daemon.home) in refused.stderr  # names the daemon that holds it
    assert "--instance" in refused.stderr  # and what to do
    # It stopped before its store or its socket existed.
    assert not (second_home / "dockform.db").exists()
    assert not (second_home / "dockform.sock").exists()
    assert daemon.process.poll() is None and daemon.client.healthz()


def test_another_instance_on_the_same_engine_starts(daemon: Daemon, tmp_path: Path) -> None:
    other = start_daemon(tmp_path / "other")
    try:
        assert other.client.healthz() and daemon.client.healthz()
    finally:
        other.stop()
        other.client.close()

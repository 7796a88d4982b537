"""`dockform daemon --engine`: which driver it makes, and why it refuses Swarm."""

from __future__ import annotations

import pytest

from dockform.cli.daemon import DaemonOptions, build_settings, make_runtime
from dockform.runtime.docker_driver import DockerRuntime
from dockform.runtime.swarm_driver import SwarmRuntime, swarm_manager_refusal

NOT_IN_A_SWARM = swarm_manager_refusal({"Swarm": {"LocalNodeState": "inactive"}})


def _make(monkeypatch: pytest.MonkeyPatch, refusal: str, **options: object) -> tuple[object, str]:
    monkeypatch.setattr(SwarmRuntime, "swarm_refusal", lambda self: refusal)
    monkeypatch.setattr(DockerRuntime, "ping", lambda self: True)
    daemon_options = DaemonOptions(**options)  # type: ignore[arg-type]
    return make_runtime(daemon_options, build_settings(daemon_options))


def test_engine_is_the_default_and_swarm_is_chosen_on_a_manager(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runtime, engine = _make(monkeypatch, "")
    assert engine == "engine" and type(runtime) is DockerRuntime
    runtime, engine = _make(monkeypatch, "", engine="swarm", registry="127.0.0.1:5000")
    assert engine == "swarm" and isinstance(runtime, SwarmRuntime)
    runtime, engine = _make(monkeypatch, "", engine="auto")
    assert engine == "swarm"
    runtime, engine = _make(monkeypatch, NOT_IN_A_SWARM, engine="auto")
    assert engine == "engine" and type(runtime) is DockerRuntime


def test_swarm_on_an_engine_in_no_swarm_says_what_to_run(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match=r"--engine swarm: .*docker swarm init --advertise-addr"):
        _make(monkeypatch, NOT_IN_A_SWARM, engine="swarm")


def test_a_worker_is_told_to_use_a_manager() -> None:
    refusal = swarm_manager_refusal({"Swarm": {"LocalNodeState": "active"}})
    assert "worker, not a manager" in refusal


def test_registry_and_unknown_engines_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="--registry is for --engine swarm"):
        _make(monkeypatch, "", registry="127.0.0.1:5000")
    with pytest.raises(ValueError, match="choose engine, swarm or auto"):
        _make(monkeypatch, "", engine="kubernetes")

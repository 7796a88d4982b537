"""Typed status and settings: each kind's observed facts keep the camelCase keys the API has
always shown, and every tunable is validated (naming the field) before the daemon does
anything."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from dockform.cli.daemon import DaemonOptions, build_settings, run_daemon
from dockform.manifests.status import (
    ContainerObserved,
    GitSourceObserved,
    ImageObserved,
    NetworkObserved,
    Observed,
    VolumeObserved,
)
from dockform.settings import Backoff, ControllerSettings, KindLimits, Settings, SourceSettings

FULL: list[tuple[type[Observed], dict[str, Any]]] = [
    (
        ContainerObserved,
        {
            "containerId": "c0ffee",
            "state": "running",
            "health": "healthy",
            "restartCount": 2,
            "exitCode": 0,
            "imageId": "sha256:abc",
            "addresses": {"back": "172.18.0.2"},
            "ports": ["127.0.0.1:32768->8080/tcp"],
            "unhealthyRestarts": 1,
            "lastUnhealthyRestart": "2026-01-01T00:00:00+00:00",
        },
    ),
    (
        ImageObserved,
        {
            "imageId": "sha256:abc",
            "ref": "app:1",
            "contextDigest": "d1",
            "pulledGeneration": 3,
            "loadedFingerprint": "f1",
        },
    ),
    (
        NetworkObserved,
        {
            "networkId": "n1",
            "driver": "bridge",
            "internal": False,
            "subnet": "172.18.0.0/16",
            "gateway": "172.18.0.1",
        },
    ),
    (
        VolumeObserved,
        {"volumeName": "data", "driver": "local", "mountpoint": "/var/lib/docker/volumes/data"},
    ),
    (
        GitSourceObserved,
        {
            "url": "https://example.com/repo.git",
            "branch": "main",
            "path": "deploy",
            "commit": "9a2e71c04f51",
            "commitTime": "2026-01-01T00:00:00+00:00",
            "objects": ["Container/web"],
            "appliedGeneration": 2,
            "fetchedAt": "2026-01-01T00:00:01+00:00",
            "failedCommit": "0123456789ab",
        },
    ),
]


@pytest.mark.parametrize(("model", "facts"), FULL, ids=[model.__name__ for model, _ in FULL])
def test_observed_facts_dump_the_camel_case_keys_the_api_shows(
    model: type[Observed], facts: dict[str, Any]
) -> None:
    read = model.read(facts)
    assert read.dump() == facts
    assert list(read.dump()) == list(facts)  # no key renamed, none added


@pytest.mark.parametrize(("model", "facts"), FULL, ids=[model.__name__ for model, _ in FULL])
def test_unset_facts_are_left_out(model: type[Observed], facts: dict[str, Any]) -> None:
    assert model().dump() == {}
    first = next(iter(facts))
    assert model.read({first: facts[first]}).dump() == {first: facts[first]}


def test_an_empty_address_map_is_left_out_and_a_false_flag_kept() -> None:
    assert ContainerObserved(state="created", addresses={}).dump() == {"state": "created"}
    assert NetworkObserved(internal=False).dump() == {"internal": False}
    assert ContainerObserved(restart_count=0, exit_code=0).dump() == {
        "restartCount": 0,
        "exitCode": 0,
    }


def test_old_statuses_with_unknown_keys_still_read() -> None:
    # Written by an older release: keys since dropped are ignored, the known ones kept.
    old = {"imageId": "sha256:abc", "contentHash": "h1", "ref": "app:1"}
    read = ImageObserved.read(old)
    assert read.image_id == "sha256:abc" and read.ref == "app:1"
    assert read.dump() == {"imageId": "sha256:abc", "ref": "app:1"}
    container = ContainerObserved.read({"containerId": "c1", "specHash": "x", "addresses": {}})
    assert container.container_id == "c1" and container.addresses == {}


def test_snake_case_names_populate_too() -> None:
    assert VolumeObserved(volume_name="data").dump() == {"volumeName": "data"}
    assert GitSourceObserved.read({"failed_commit": "abc"}).failed_commit == "abc"


# --- settings


def refusal(error: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [".".join(str(part) for part in item["loc"]) for item in error.value.errors()]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"base_s": -1, "cap_s": 10}, "base_s"),
        ({"base_s": 0, "cap_s": 10}, "base_s"),
        ({"base_s": 1, "cap_s": -5}, "cap_s"),
    ],
)
def test_a_bad_backoff_is_refused_naming_the_field(values: dict[str, float], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Backoff.model_validate(values)
    assert field in refusal(raised)


def test_a_backoff_whose_cap_is_below_its_base_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"cap_s \(1\.0\) is below base_s \(5\.0\)"):
        Backoff(base_s=5, cap_s=1)


def test_backoff_doubles_up_to_its_cap() -> None:
    backoff = Backoff(base_s=0.5, cap_s=3)
    assert [backoff.delay(failures) for failures in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert backoff.delay(-1) == 0.5 and backoff.delay(10_000) == 3.0


@pytest.mark.parametrize(
    ("values", "path"),
    [
        ({"controller": {"kinds": {"Image": {"workers": 0}}}}, "controller.kinds.Image.workers"),
        (
            {"controller": {"kinds": {"Image": {"timeout_s": 0}}}},
            "controller.kinds.Image.timeout_s",
        ),
        ({"controller": {"retry": {"base_s": -1, "cap_s": 1}}}, "controller.retry.base_s"),
        ({"controller": {"resync_s": 0.5}}, "controller.resync_s"),
        ({"controller": {"resync_workers": 0}}, "controller.resync_workers"),
        ({"sources": {"debounce_s": 0}}, "sources.debounce_s"),
        ({"sources": {"rescan_s": 0}}, "sources.rescan_s"),
        ({"sources": {"file_retry": {"base_s": 2, "cap_s": -1}}}, "sources.file_retry.cap_s"),
        ({"controller": {"retyr": {"base_s": 1, "cap_s": 2}}}, "controller.retyr"),
    ],
)
def test_bad_settings_are_refused_with_the_fields_path(values: dict[str, Any], path: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Settings.model_validate(values)
    assert path in refusal(raised)


def test_the_defaults_are_valid_and_the_documented_ones() -> None:
    settings = Settings()
    assert settings.controller == ControllerSettings()
    assert settings.sources == SourceSettings()
    assert settings.controller.retry == Backoff(base_s=0.2, cap_s=60.0)
    assert settings.controller.resync_s == 60.0
    assert KindLimits() == KindLimits(workers=2, timeout_s=120.0)


def test_settings_are_frozen() -> None:
    with pytest.raises(ValidationError):
        Settings().controller.resync_s = 1.0  # type: ignore[misc]


def test_build_settings_takes_the_daemon_options() -> None:
    settings = build_settings(DaemonOptions(workers=3, resync_s=5, rescan_s=7))
    assert settings.controller.kinds["Container"].workers == 3
    assert settings.controller.resync_s == 5
    assert settings.sources.rescan_s == 7


@pytest.mark.parametrize(
    ("options", "field"),
    [
        (DaemonOptions(workers=0), "workers"),
        (DaemonOptions(workers=65), "workers"),
        (DaemonOptions(resync_s=0.5), "resync_s"),
        (DaemonOptions(rescan_s=0), "rescan_s"),
    ],
)
def test_build_settings_refuses_bad_options_naming_the_field(
    options: DaemonOptions, field: str
) -> None:
    with pytest.raises(ValueError, match="invalid daemon settings") as raised:
        build_settings(options)
    assert field in str(raised.value)


@pytest.mark.parametrize("options", [{"workers": 0}, {"resync_s": 0.5}])
def test_the_daemon_refuses_bad_options_before_touching_its_home(
    tmp_path: Path, options: dict[str, Any]
) -> None:
    home = tmp_path / "home"
    with pytest.raises(ValueError, match="invalid daemon settings"):
        run_daemon(DaemonOptions(home=str(home), **options))
    assert not home.exists()  # no state directory, no store file, no migrations
    assert list(tmp_path.iterdir()) == []

"""What every fault case shares: sizes, labels, the test image, figures and small helpers.

Every Docker object the suite makes carries `dockform.test=1` and `dockform.test.session=
<pid>-<hex>` (the labels of tests/integration/conftest.py, so the integration suite's sweep
knows a crashed run's leftovers as garbage) and `dockform.faults=1`. Every daemon it starts has
an `--instance` of its own, so no other daemon on the engine sees or collects its objects.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import docker.errors
import docker.utils
import yaml

from bench.engine import BUSYBOX, DOCKERFILE, remove_quietly
from bench.stats import percentile, rounded

TEST_LABEL = "dockform.test"  # as tests/integration/conftest.py: its sweep knows these
SESSION_LABEL = "dockform.test.session"
FAULTS_LABEL = "dockform.faults"
CASE_LABEL = "dockform.faults.case"
VERSION_LABEL = "dockform.faults.version"
RUN_ID = f"{os.getpid()}-{secrets.token_hex(3)}"
RUN_TAG = RUN_ID.split("-", 1)[1]
LABELS = {TEST_LABEL: "1", SESSION_LABEL: RUN_ID, FAULTS_LABEL: "1"}
# Tagged per run: two fault runs on one engine never untag each other's image.
IMAGE = f"dockform-faults/busybox:{RUN_TAG}"
# A graceful stop takes milliseconds (sleep as PID 1 would ignore SIGTERM).
COMMAND = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Sizes:
    mode: str
    crash_cycles: int
    crash_converge_every: int
    engine_restarts: int
    engine_containers: int
    restart_objects: int
    fuzz_cases: int
    hostile_manifests: int
    watch_s: float
    engine_errors_s: float
    failover_kills: int


FULL = Sizes("full", 1000, 10, 6, 30, 100, 10_000, 500, 60.0, 60.0, 50)
QUICK = Sizes("quick", 100, 10, 3, 10, 30, 500, 100, 15.0, 20.0, 3)


def say(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


# --- figures: what a case reports, each with its target --------------------------------------


def figure(name: str, value: Any, target: str, ok: bool | None, unit: str = "") -> dict[str, Any]:
    """One row of the table; `ok` None for a figure that could not be measured."""
    verdict = "n/a" if ok is None else ("meets" if ok else "misses")
    return {"figure": name, "value": value, "unit": unit, "target": target, "verdict": verdict}


def reference(name: str, value: Any, unit: str = "") -> dict[str, Any]:
    """A figure without a target, shown for context."""
    return {"figure": name, "value": value, "unit": unit, "target": "", "verdict": "reference"}


def under(
    name: str, seconds: float | None, limit_s: float, gave_up_s: float | None = None
) -> dict[str, Any]:
    """A time in seconds with the target `< limit_s`. None is n/a (not measured), or with
    `gave_up_s` a miss: the wait ended there without the thing happening."""
    target = f"< {limit_s:g} s"
    if seconds is None and gave_up_s is not None:
        return figure(name, f"> {gave_up_s:g}", target, False, "s")
    return figure(name, seconds, target, None if seconds is None else seconds < limit_s, "s")


def zero(name: str, value: int | None) -> dict[str, Any]:
    return figure(name, value, "0", None if value is None else value == 0)


def spread(samples: Sequence[float]) -> dict[str, Any]:
    """p50, p99 and max of samples in seconds (None without samples), with the count."""
    if not samples:
        return {"n": 0, "p50_s": None, "p99_s": None, "max_s": None}
    return {
        "n": len(samples),
        "p50_s": rounded(percentile(samples, 50)),
        "p99_s": rounded(percentile(samples, 99)),
        "max_s": rounded(max(samples)),
    }


# --- waiting, bounded ------------------------------------------------------------------------


def wait_for(probe: Callable[[], object], timeout_s: float, poll_s: float = 0.1) -> bool:
    """Poll until `probe()` is truthy (True) or `timeout_s` passes (False); probe errors are
    a no: the thing under test may be down."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if probe():
                return True
        except Exception:
            pass
        if time.monotonic() > deadline:
            return False
        time.sleep(poll_s)


# --- Docker ----------------------------------------------------------------------------------


def docker_api(base_url: str | None = None, timeout: int = 60) -> Any:
    if base_url is None:
        return docker.APIClient(version="auto", timeout=timeout, **docker.utils.kwargs_from_env())
    return docker.APIClient(base_url=base_url, version="auto", timeout=timeout)


def build_image(api: Any) -> str:
    """The FROM-scratch busybox image (no registry here); returns its id."""
    if not BUSYBOX.is_file():
        raise SystemExit(f"{BUSYBOX} is missing: install Debian's busybox-static")
    with tempfile.TemporaryDirectory(prefix="dockform-faults-image-") as context:
        shutil.copy2(BUSYBOX, Path(context) / "busybox")
        (Path(context) / "Dockerfile").write_text(DOCKERFILE)
        for chunk in api.build(
            path=context, tag=IMAGE, labels=LABELS, rm=True, forcerm=True, decode=True
        ):
            if "error" in chunk:
                raise SystemExit(f"building {IMAGE} failed: {chunk['error']}")
    return str(api.inspect_image(IMAGE)["Id"])


def our_containers(api: Any, case: str, *, running_only: bool = False) -> list[dict[str, Any]]:
    filters = {"label": [f"{SESSION_LABEL}={RUN_ID}", f"{CASE_LABEL}={case}"]}
    if running_only:
        filters["status"] = ["running"]
    return list(api.containers(all=not running_only, filters=filters))


def sweep(api: Any) -> int:
    """Remove this run's containers, networks and volumes (not the image: `remove_image`)."""
    removed = 0
    session = {"label": [f"{SESSION_LABEL}={RUN_ID}"]}
    for summary in api.containers(all=True, filters=session):
        remove_quietly(api, str(summary["Id"]))
        removed += 1
    for network in api.networks(filters=session):
        try:
            api.remove_network(network["Id"])
            removed += 1
        except docker.errors.APIError:
            pass
    for volume in api.volumes(filters=session).get("Volumes") or []:
        try:
            api.remove_volume(volume["Name"], force=True)
            removed += 1
        except docker.errors.APIError:
            pass
    return removed


def remove_image(api: Any) -> None:
    with contextlib.suppress(docker.errors.APIError):  # still used by another run's
        api.remove_image(IMAGE, force=False)


# --- manifests -------------------------------------------------------------------------------


def container(
    name: str,
    case: str,
    version: str = "1",
    extra_spec: dict[str, Any] | None = None,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A Container on the test image whose Docker labels say its case and version."""
    return {
        "apiVersion": "dockform/v1",
        "kind": "Container",
        "metadata": {"name": name},
        "spec": {
            "image": IMAGE,
            "command": list(COMMAND),
            "stopGracePeriod": "5s",
            "labels": {CASE_LABEL: case, VERSION_LABEL: version, **(labels or {})},
            **(extra_spec or {}),
        },
    }


def dump(documents: Sequence[dict[str, Any]]) -> str:
    return yaml.safe_dump_all(list(documents), sort_keys=False)


def name_of(summary: dict[str, Any]) -> str:
    return str(summary["Names"][0]).lstrip("/")

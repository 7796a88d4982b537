"""cli: the `dockform` command's own speed, as a person at a terminal feels it.

Three figures, each the wall time of the command in a fresh process (Python's start-up and
imports included) against a daemon of its own (its own `--instance`), median of the repeats:

- `version_s`: `dockform version`, which asks the daemon its version: the CLI's cold start.
- `apply_s`: `dockform apply -f` of a file of 300 Containers the daemon already has, all
  unchanged. The Containers wait for a dependency no manifest declares, so they stay Pending
  and the engine runs nothing for them (300 running containers would crowd this 2-core host);
  the manifests are the shape the other cases apply. `api_apply_s` is `POST /v1/apply` of the
  same file through the API client, the part of `apply_s` that is the daemon's.
- `get_s`: `dockform get images` of 1000 Image resources, all Ready (as in the api case), as
  a table.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from bench.api import populate
from bench.context import Context, say
from bench.daemon import DOCKFORM, BenchDaemon
from bench.engine import IMAGE, PEER_LABEL
from bench.stats import median, rounded

APPLY_OBJECTS = 300
GET_OBJECTS = 1000
# A Container waiting for this (undeclared) Container is stored and reconciled, never run.
GATE = "cli-gate"


def waiting_containers(count: int) -> str:
    """`count` Container manifests that wait for GATE, as one multi-document YAML file."""
    documents = [
        {
            "apiVersion": "dockform/v1",
            "kind": "Container",
            "metadata": {"name": f"cli-{index:03d}", "labels": {"bench": "cli"}},
            "spec": {
                "image": IMAGE,
                "command": ["sleep", "3600"],
                "restartPolicy": "Always",
                "stopGracePeriod": "1s",
                "labels": {PEER_LABEL: "dockform"},
                "dependsOn": [{"name": GATE}],
            },
        }
        for index in range(count)
    ]
    return yaml.safe_dump_all(documents, sort_keys=False)


def timed_command(home: Path, args: Sequence[str]) -> float:
    """Wall time of `dockform ARGS` against the daemon in `home`; a failure raises."""
    env = {**os.environ, "DOCKFORM_HOME": str(home)}
    env.pop("DOCKFORM_HOST", None)
    # Bytecode as an installed package has it (pip compiles it): without it each run compiles
    # the CLI's modules anew, which no user pays. Kept beside the daemon, not in the sources.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(home.parent / "cli-pycache")
    started = time.monotonic()
    answer = subprocess.run([DOCKFORM, *args], env=env, capture_output=True, text=True, timeout=120)
    elapsed = time.monotonic() - started
    if answer.returncode != 0:
        raise RuntimeError(
            f"dockform {' '.join(args)} failed ({answer.returncode}): {answer.stderr}"
        )
    return elapsed


def _samples(home: Path, args: Sequence[str], repeats: int) -> list[float]:
    timed_command(home, args)  # the first run warms the page cache, not measured
    return [timed_command(home, args) for _ in range(repeats)]


def measure(daemon: BenchDaemon, workdir: Path, repeats: int) -> dict[str, Any]:
    """The three figures on a daemon that has nothing else to do."""
    manifest = workdir / "cli-apply.yaml"
    manifest.write_text(waiting_containers(APPLY_OBJECTS))
    daemon.client.apply(manifest.read_text())
    populate(daemon, GET_OBJECTS)
    time.sleep(1.0)

    version = _samples(daemon.home, ["version"], repeats)
    apply = _samples(daemon.home, ["apply", "-f", str(manifest)], repeats)
    api_apply = []
    for _ in range(repeats):
        started = time.monotonic()
        answer = daemon.client.apply(manifest.read_text())
        api_apply.append(time.monotonic() - started)
        changed = [item for item in answer["results"] if item["action"] != "unchanged"]
        if changed:
            raise RuntimeError(f"cli: the re-apply changed {len(changed)} objects")
    get = _samples(daemon.home, ["get", "images"], repeats)
    return {
        "version_s": rounded(median(version)),
        "apply_n": APPLY_OBJECTS,
        "apply_s": rounded(median(apply)),
        "api_apply_s": rounded(median(api_apply)),
        "get_n": GET_OBJECTS,
        "get_s": rounded(median(get)),
        "repeats": repeats,
        "samples_s": {
            "version": [rounded(value) for value in version],
            "apply": [rounded(value) for value in apply],
            "api_apply": [rounded(value) for value in api_apply],
            "get": [rounded(value) for value in get],
        },
        "method": (
            "wall time of each command in a new process (Python start-up included, bytecode "
            "compiled by the first, unmeasured run, as an installed package has it) against an "
            "otherwise idle daemon on the unix socket, median of the repeats; apply: "
            f"`dockform apply -f` of {APPLY_OBJECTS} unchanged Containers (Pending on "
            f"an undeclared dependency, so nothing runs), api_apply: POST /v1/apply of the same "
            f"file; get: `dockform get images` of {GET_OBJECTS} Ready Image resources"
        ),
    }


def run(context: Context) -> dict[str, Any]:
    daemon = context.start_daemon("daemon-cli", "--resync", "600")
    try:
        result = measure(daemon, context.workdir, context.sizes.cli_repeats)
    finally:
        context.stop_daemon(daemon)
    say(
        f"cli: version {result['version_s']}s, apply -f {result['apply_n']} unchanged "
        f"{result['apply_s']}s (API {result['api_apply_s']}s), get {result['get_n']} "
        f"{result['get_s']}s"
    )
    return result

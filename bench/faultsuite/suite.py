"""The fault run: build the image, each case in order, clean up (also on failure), report.

A case that raises is recorded with its error and the run goes on: a crashed daemon is a
measured result, and a broken case must not hide the others. Around each case the machine's
load average is recorded. The JSON is rewritten after every case, so an interrupted run keeps
what it measured. Whatever happens, this run's Docker objects go at the end.
"""

from __future__ import annotations

import importlib
import os
import platform
import tempfile
import time
import traceback
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench.faultsuite import report
from bench.faultsuite.common import RUN_ID, Sizes, build_image, docker_api, remove_image, say, sweep
from bench.report import write
from bench.suite import git_commit, header, interrupt_on_sigterm, other_daemons
from dockform import __version__

# Case name -> module of bench.faultsuite with `run(sizes, workdir, api) -> dict`.
CASES = {
    "crash": "crash",
    "engine": "engine",
    "restart": "restart",
    "fuzz": "fuzz",
    "hostile": "hostile",
    "watch": "watch",
    "engine-errors": "engine_errors",
    "disk-full": "disk_full",
    "host-access": "host_access",
    "twin": "twin",
    "failover-kill": "failover_kill",
    "failover-postgres": "failover_postgres",
    "failover-partition": "failover_partition",
}
Case = Callable[[Sizes, Path, Any], dict[str, Any]]


def run(sizes: Sizes, only: list[str], out: Path, command: str) -> int:
    interrupt_on_sigterm()
    started = time.monotonic()
    api = docker_api()
    results = header(command, sizes.mode, RUN_ID, api, versions(api))
    results["sizes"] = sizes.__dict__
    results["cases"] = {}
    say(f"fault run {RUN_ID}: {sizes.mode}, cases {', '.join(only)}")
    try:
        results["image_id"] = build_image(api)
        with tempfile.TemporaryDirectory(prefix="dockform-faults-") as workdir:
            for case in only:
                results["cases"][case] = _run_case(case, sizes, Path(workdir) / case, api)
                write(results, out)
    finally:
        swept = sweep(api)
        if swept:
            say(f"removed {swept} Docker objects left by the cases")
        remove_image(api)
    results["machine"]["loadavg_end"] = os.getloadavg()
    results["machine"]["other_dockform_daemons_at_end"] = other_daemons()
    results["duration_s"] = round(time.monotonic() - started, 1)
    results["verdicts"] = report.summary(results)
    write(results, out)
    print(report.text_table(results))
    load = results["machine"]
    print(
        f"\n{sizes.mode} fault run in {results['duration_s']:.0f}s; results in {out}\n"
        f"load average at start {load['loadavg_start'][0]:.2f}, at end "
        f"{load['loadavg_end'][0]:.2f}; verdicts {results['verdicts']}"
    )
    return 0


def _run_case(case: str, sizes: Sizes, workdir: Path, api: Any) -> dict[str, Any]:
    workdir.mkdir(parents=True, exist_ok=True)
    say(f"--- {case}")
    load_before = os.getloadavg()
    started = time.monotonic()
    try:
        module = importlib.import_module(f"bench.faultsuite.{CASES[case]}")
        body: Case = module.run
        result = body(sizes, workdir, api)
    except KeyboardInterrupt:
        raise
    except Exception as error:
        say(f"{case} failed:\n{traceback.format_exc()}")
        result = {"error": f"{type(error).__name__}: {error}", "figures": []}
    result["duration_s"] = round(time.monotonic() - started, 1)
    # What the case left on the main engine (its own clean-up missed it): swept before the next.
    result["leftover_docker_objects"] = sweep(api)
    result["loadavg_before"] = load_before
    result["loadavg_after"] = os.getloadavg()
    say(f"{case}: {result['duration_s']:.0f}s")
    return result


def versions(api: Any) -> dict[str, Any]:
    engine = api.version()
    return {
        "python": platform.python_version(),
        "docker_engine": engine.get("Version"),
        "docker_api": engine.get("ApiVersion"),
        "dockform": __version__,
        "dockform_commit": git_commit(),
        "schemathesis": version("schemathesis"),
        "hypothesis": version("hypothesis"),
    }

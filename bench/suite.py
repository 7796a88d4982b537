"""The run: set up, the cases in order, clean up (also on failure and Ctrl-C), report.

Order: converge (empty daemon), then with n containers under dockform: noop, idle, drift,
recreate; then watch, api, cli, stores, scale and swarm (the last two the full run's), each on
a daemon of its own (swarm's on a three-node swarm of its own, bench.swarm). A case that fails
records its error and the run goes on with the cases that do not depend on it; the exit code
is then 1.
Whatever happens, the daemons stop first and then everything labelled with this run goes.
"""

from __future__ import annotations

import os
import platform
import shlex
import signal
import subprocess
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from bench import api as api_case
from bench import (
    cli_speed,
    converge,
    drift,
    recreate,
    report,
    scale,
    steady,
    stores,
    swarm,
    watch,
)
from bench import compose as compose_peer
from bench.config import Sizes
from bench.context import Context, say
from bench.daemon import BenchDaemon
from bench.engine import (
    RUN_ID,
    EventRecorder,
    Floor,
    api_client,
    build_images,
    remove_images,
    sweep,
)
from dockform import __version__

CASES = (
    "converge",
    "noop",
    "idle",
    "drift",
    "recreate",
    "watch",
    "api",
    "cli",
    "stores",
    "scale",
    "swarm",
)
MAIN_DAEMON_CASES = ("converge", "noop", "idle", "drift", "recreate")
ROOT = Path(__file__).resolve().parent.parent


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def interrupt_on_sigterm() -> None:
    """SIGTERM stops a run as Ctrl-C does: its clean-up (daemons, then the sweep) runs."""
    signal.signal(signal.SIGTERM, _interrupt)


def run(sizes: Sizes, only: set[str], out: Path, command: str) -> int:
    interrupt_on_sigterm()
    started = time.monotonic()
    api = api_client()
    results = header(command, sizes.mode, RUN_ID, api, versions(api))
    errors: dict[str, str] = {}
    _warn_others(results["machine"]["other_dockform_daemons"])
    say(f"run {RUN_ID}: {sizes.mode}, cases {', '.join(c for c in CASES if c in only)}")
    swept = sweep(api, this_run=False)
    if swept:
        say(f"removed {swept} objects left by earlier bench runs that are gone")
    image_ids = build_images(api)
    results["image"] = image_ids
    recorder = EventRecorder()
    recorder.start()
    floor = Floor(api)
    with tempfile.TemporaryDirectory(prefix="dockform-bench-") as workdir:
        context = Context(sizes, api, recorder, floor, Path(workdir))

        def watch_case() -> dict[str, Any]:
            return watch.run(context)

        def api_case_run() -> dict[str, Any]:
            return api_case.run(context)

        def cli_case_run() -> dict[str, Any]:
            return cli_speed.run(context)

        def stores_case_run() -> dict[str, Any]:
            return stores.run(context)

        def scale_case_run() -> dict[str, Any]:
            return scale.run(context)

        def swarm_case_run() -> dict[str, Any]:
            return swarm.run(context)

        interrupted: KeyboardInterrupt | None = None
        try:
            if only & set(MAIN_DAEMON_CASES):
                _guard(errors, "main", lambda: _main_daemon_cases(context, only, results))
            if "watch" in only:
                _guard(errors, "watch", lambda: _timed(results, "watch", watch_case))
            if "api" in only:
                _guard(errors, "api", lambda: _timed(results, "api", api_case_run))
            if "cli" in only:
                _guard(errors, "cli", lambda: _timed(results, "cli", cli_case_run))
            if "stores" in only:
                _guard(errors, "stores", lambda: _timed(results, "stores", stores_case_run))
            if "scale" in only and sizes.scale_containers:
                _guard(errors, "scale", lambda: _timed(results, "scale", scale_case_run))
            elif "scale" in only:
                say(f"scale: not in a {sizes.mode} run (the full run has it; or set BENCH_SCALE)")
            if "swarm" in only and sizes.swarm_services:
                _guard(errors, "swarm", lambda: _timed(results, "swarm", swarm_case_run))
            elif "swarm" in only:
                say(f"swarm: not in a {sizes.mode} run (the full run has it; or set BENCH_SWARM)")
        except KeyboardInterrupt as stop:
            # The cases that finished keep their figures: they go to a file of their own,
            # so an interrupted run does not replace the last complete one.
            interrupted = stop
            errors["interrupted"] = str(stop) or "interrupted"
            out = out.with_suffix(".interrupted.json")
        finally:
            for daemon in list(context.daemons):
                context.stop_daemon(daemon)
            recorder.stop()
            floor.close()
            sweep(api, this_run=True)
            remove_images(api)
    results["machine"]["loadavg_end"] = os.getloadavg()
    results["machine"]["other_dockform_daemons_at_end"] = other_daemons()
    results["duration_s"] = round(time.monotonic() - started, 1)
    if errors:
        results["errors"] = errors
    results["verdicts"] = report.verdicts(results)
    report.write(results, out)
    print(report.text_table(results))
    load = results["machine"]
    print(
        f"\n{sizes.mode} run in {results['duration_s']:.0f}s; results in {out}\n"
        f"load average at start {load['loadavg_start'][0]:.2f}, at end "
        f"{load['loadavg_end'][0]:.2f}; other running containers at start: "
        f"{load['other_running_containers_at_start']} (figures are noisier on a busy host)"
    )
    _warn_others(results["machine"]["other_dockform_daemons_at_end"])
    for case, message in errors.items():
        print(f"ERROR in {case}: {message}")
    if interrupted is not None:
        raise interrupted
    return 1 if errors else 0


def _guard(errors: dict[str, str], case: str, body: Callable[[], object]) -> None:
    try:
        body()
    except KeyboardInterrupt:
        raise
    except Exception as error:
        errors[case] = f"{type(error).__name__}: {error}"
        say(f"{case} failed:\n{traceback.format_exc()}")


def _timed(results: dict[str, Any], case: str, body: Callable[[], dict[str, Any]]) -> None:
    """Run a case; its figures get the host's load average before and after it (issue 17:
    a load above the core count marks the case noisy in the table)."""
    load_before = os.getloadavg()
    started = time.monotonic()
    results[case] = body()
    results[case]["load"] = report.case_load(load_before, os.getloadavg(), os.cpu_count() or 1)
    results.setdefault("case_durations_s", {})[case] = round(time.monotonic() - started, 1)


def _main_daemon_cases(context: Context, only: set[str], results: dict[str, Any]) -> None:
    # BENCH_DAEMON_ARGS (say "--workers 8") tries a setting; the results record the arguments.
    daemon = context.start_daemon("daemon", *shlex.split(os.environ.get("BENCH_DAEMON_ARGS", "")))
    try:
        _on_main_daemon(context, daemon, only, results)
    finally:
        # Also when a case failed: the next case's daemon is of the same instance.
        context.stop_daemon(daemon)


def _on_main_daemon(
    context: Context, daemon: BenchDaemon, only: set[str], results: dict[str, Any]
) -> None:
    count = context.sizes.converge_n
    if "converge" in only:
        _timed(results, "converge", lambda: converge.run(context, daemon))
    if only & {"noop", "idle", "drift", "recreate"}:
        names = steady.bring_up(context, daemon, count)
        if "noop" in only:
            _timed(results, "noop", lambda: steady.run_noop(context, daemon, names))
        if "idle" in only:
            _timed(results, "idle", lambda: steady.run_idle(context, daemon, count))
        if "drift" in only:
            _timed(results, "drift", lambda: drift.run(context, daemon, names))
        if "recreate" in only:
            _timed(results, "recreate", lambda: recreate.run(context, daemon, names))
        daemon.delete_all()
        context.wait_no_containers("dockform")
    results["daemon"] = {"args": daemon.args[1:], "defaults": "--workers 4 --resync 60"}


# --- what the figures were measured on ---------------------------------------------------------


def header(
    command: str, mode: str, run_id: str, api: Any, versions: dict[str, Any]
) -> dict[str, Any]:
    """The start of a results file: how the run was called, when, and on what."""
    return {
        "command": command,
        "mode": mode,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "run_id": run_id,
        "machine": machine(api),
        "versions": versions,
    }


def machine(api: Any) -> dict[str, Any]:
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    total_kib = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal:"))
    cpu_model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown",
    )
    others = [
        summary
        for summary in api.containers(filters={"status": "running"})
        if (summary.get("Labels") or {}).get("dockform.bench.run") != RUN_ID
    ]
    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(total_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "cpu": cpu_model,
        "loadavg_start": os.getloadavg(),
        # Other work on the same engine or host makes figures noisier; say how much there was.
        "other_running_containers_at_start": len(others),
        "other_dockform_daemons": other_daemons(),
    }


def other_daemons() -> list[str]:
    """Command lines of the `dockform daemon` processes on this host that this run did not
    start: their work competes with the bench for the CPU and the engine. A daemon older
    than instance scoping (`--instance`, default "default") also garbage-collected every
    managed container on the engine, the bench's included, which its repairs then showed as
    Docker events in noop, CPU in idle and outliers in drift."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        is_daemon = any(arg.endswith("dockform") for arg in argv) and "daemon" in argv
        if is_daemon and not any(RUN_ID in arg for arg in argv):
            found.append(f"{cmdline.parent.name}: {' '.join(argv).strip()}")
    return found


def _warn_others(daemons: list[str]) -> None:
    for line in daemons:
        say(f"note: another dockform daemon runs on this host ({line[:160]})")


def versions(api: Any) -> dict[str, Any]:
    engine = api.version()
    return {
        "python": platform.python_version(),
        "docker_engine": engine.get("Version"),
        "docker_api": engine.get("ApiVersion"),
        "docker_compose": compose_peer.version(),
        "docker_compose_v2": compose_peer.v2().version(),
        "dockform": __version__,
        "dockform_commit": git_commit(),
    }


def git_commit() -> str:
    def git(*args: str) -> str:
        answer = subprocess.run(
            ["git", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=30
        )
        return answer.stdout.strip() if answer.returncode == 0 else ""

    commit = git("rev-parse", "HEAD") or "unknown"
    # Changes outside bench/results (which this run rewrites) mean the tree is not the commit.
    dirty = [
        line for line in git("status", "--porcelain").splitlines() if "bench/results/" not in line
    ]
    return f"{commit}-dirty" if dirty else commit

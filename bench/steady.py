"""noop and idle: what a converged host costs.

noop: with n containers running under dockform and n under each Compose, re-apply the same
objects (dockform: `POST /v1/apply`; Compose v2 and 1.29: `docker-compose up -d`),
interleaved. The Engine's event log for the whole window (plus a settle time for anything
asynchronous) then says how many create/start/stop/destroy events each peer caused. The
`dockform apply -f` wall time, which adds a Python CLI start-up, is recorded beside it.

idle: the daemon's CPU (utime + stime from /proc/<pid>/stat) and resident memory over a window
with the n containers managed and nothing happening; the window includes whatever periodic
work the daemon does (its resync runs every 60 s).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from bench import compose as compose_peer
from bench.cli_speed import timed_command
from bench.context import SETTLE_S, Context, say
from bench.converge import dockform_names
from bench.daemon import BenchDaemon, manifests
from bench.engine import IMAGE, RUN_TAG, count_events, peer_container_ids
from bench.stats import median, rounded

COUNTED_ACTIONS = ("create", "start", "stop", "destroy", "die", "kill")
CAUSED_ACTIONS = ("create", "start", "stop", "destroy")
# Events caused by an apply may trail it (the controller works asynchronously).
EVENT_SETTLE_S = 2.0


def bring_up(context: Context, daemon: BenchDaemon, count: int) -> list[str]:
    """Apply n Containers and wait until they run; returns their names."""
    names = dockform_names(count)
    mark = context.recorder.mark()
    daemon.client.apply(manifests(names, IMAGE))
    context.recorder.wait_started(mark, count, peer="dockform")
    return names


def run_noop(
    context: Context, daemon: BenchDaemon, names: list[str], with_peers: bool = True
) -> dict[str, Any]:
    """`with_peers=False` (the scale case) times dockform alone: no Compose projects."""
    count = len(names)
    text = manifests(names, IMAGE)
    manifest_file = context.workdir / "noop.yaml"
    manifest_file.write_text(text)
    projects = compose_peer.projects(
        context.workdir / "compose-noop",
        f"dockform-bench-{RUN_TAG}-noop",
        count,
        IMAGE,
        compose_peer.peers() if with_peers else [],
    )
    for peer, project in projects.items():
        mark = context.recorder.mark()
        project.up()
        context.recorder.wait_started(mark, count, peer=peer)
    time.sleep(SETTLE_S)

    dockform_s: list[float] = []
    dockform_cli_s: list[float] = []
    compose_s: dict[str, list[float]] = {peer: [] for peer in projects}
    since = time.time()
    for repeat in range(context.sizes.noop_repeats):
        started = time.monotonic()
        answer = daemon.client.apply(text)
        dockform_s.append(time.monotonic() - started)
        changed = [item for item in answer["results"] if item["action"] != "unchanged"]
        if changed:
            raise RuntimeError(f"noop apply changed {len(changed)} objects: {changed[:3]}")
        dockform_cli_s.append(_cli_apply(daemon.home, manifest_file))
        for peer, project in projects.items():
            compose_s[peer].append(project.up())
        peers = ", ".join(f"{peer} {values[-1]:.2f}s" for peer, values in compose_s.items())
        say(
            f"noop {repeat + 1}/{context.sizes.noop_repeats}: dockform {dockform_s[-1] * 1000:.1f}"
            f" ms (CLI {dockform_cli_s[-1]:.2f}s), {peers}"
        )
    time.sleep(EVENT_SETTLE_S)
    until = time.time()
    dockform_events = count_events(context.api, since, until, "dockform", COUNTED_ACTIONS)
    compose_events = {
        peer: count_events(context.api, since, until, peer, COUNTED_ACTIONS) for peer in projects
    }
    for peer in projects:
        context.floor.remove_all(peer_container_ids(context.api, peer))
        context.wait_no_containers(peer)

    def compose_median(peer: str) -> float | None:
        return rounded(median(compose_s[peer])) if compose_s.get(peer) else None

    def compose_caused(peer: str) -> int | None:
        events = compose_events.get(peer)
        return None if events is None else _caused(events.counts) - _caused(events.repairs)

    return {
        "n": count,
        "dockform_s": rounded(median(dockform_s), 4),
        "compose_v2_s": compose_median(compose_peer.PEER_V2),
        "compose_s": compose_median(compose_peer.PEER),
        "docker_events": _caused(dockform_events.counts) - _caused(dockform_events.repairs),
        "repeats": context.sizes.noop_repeats,
        "dockform_events_by_action": dockform_events.counts,
        "repairs_of_outside_removals": _caused(dockform_events.repairs),
        "compose_v2_docker_events": compose_caused(compose_peer.PEER_V2),
        "compose_docker_events": compose_caused(compose_peer.PEER),
        "samples_s": {
            "dockform": [rounded(value, 4) for value in dockform_s],
            "dockform_cli": [rounded(value) for value in dockform_cli_s],
            **{peer: [rounded(value) for value in values] for peer, values in compose_s.items()},
        },
        "dockform_cli_s": rounded(median(dockform_cli_s)),
        "method": (
            "median over repeats, interleaved; dockform_s is POST /v1/apply of the same n "
            "Container manifests (dockform_cli_s: `dockform apply -f`, Python start-up "
            "included); compose_v2_s and compose_s are `docker-compose up -d` (Compose v2, "
            "1.29) with nothing to do; docker_events "
            "counts create/start/stop/destroy of dockform's containers in the Engine's event log "
            f"from the first re-apply until {EVENT_SETTLE_S:.0f}s after the last, less "
            "repairs_of_outside_removals (containers force-removed by someone else, which "
            "dockform never does, and the create/start that put them back)"
        ),
    }


def _caused(counts: dict[str, int]) -> int:
    return sum(counts[action] for action in CAUSED_ACTIONS)


def _cli_apply(home: Path, manifest_file: Path) -> float:
    # As the cli case runs the command: with its bytecode compiled (bench.cli_speed).
    return timed_command(home, ["apply", "-f", str(manifest_file)])


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the command name: state is field 3, utime 14 and stime 15 (1-based, man 5 proc).
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def run_idle(
    context: Context, daemon: BenchDaemon, containers: int, window_s: float | None = None
) -> dict[str, Any]:
    window = context.sizes.idle_window_s if window_s is None else window_s
    time.sleep(SETTLE_S * 3)
    window_start = time.time()
    with context.profile(daemon, "idle"):
        cpu_before = _cpu_seconds(daemon.pid)
        started = time.monotonic()
        rss: list[float] = []
        while time.monotonic() - started < window:
            rss.append(_rss_mib(daemon.pid))
            time.sleep(min(1.0, max(window - (time.monotonic() - started), 0.0)))
        elapsed = time.monotonic() - started
        cpu = _cpu_seconds(daemon.pid) - cpu_before
    rss.append(_rss_mib(daemon.pid))
    # The daemon follows the whole Engine's event stream: other work on this engine (other
    # test runs, health checks) costs it CPU that a quiet host would not see.
    engine_events = sum(
        1
        for _ in context.api.events(
            since=f"{window_start:.9f}", until=f"{time.time():.9f}", decode=True
        )
    )
    say(f"idle: {cpu / elapsed:.4f} cores, max RSS {max(rss):.1f} MiB over {elapsed:.0f}s")
    return {
        "containers": containers,
        "cpu_cores": rounded(cpu / elapsed, 4),
        "rss_mib": rounded(max(rss), 1),
        "window_s": rounded(elapsed, 1),
        "rss_mean_mib": rounded(sum(rss) / len(rss), 1),
        "samples": {"rss_mib": [rounded(value, 1) for value in rss], "cpu_s": rounded(cpu, 3)},
        "engine_events_in_window": engine_events,
        "method": (
            "daemon process utime+stime over the window divided by its length; rss_mib is the "
            "largest VmRSS sampled each second; the daemon runs with its default --resync 60; "
            "engine_events_in_window counts every Docker event on the engine meanwhile (work "
            "of others that the daemon still reads)"
        ),
    }

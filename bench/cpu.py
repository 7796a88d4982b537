"""CPU seconds of processes from /proc: the daemon's, and the engine's (dockerd, containerd and
the containerd-shim of each container) over a case, to say what a created container costs each.

Counted for each process: utime + stime + cutime + cstime (man 5 proc: its own CPU and that of
the children it has waited for; a shim's includes the `runc` runs it waited for). dockerd and
containerd are found by name and counted over the whole case; shims come and go with their
containers, so those counted are the ones alive at the end of the case that started within it
(the new containers' shims). A shim that exited meanwhile (recreate's old containers) is not
counted: its CPU went with it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from bench.stats import median

ENGINE_NAMES = ("dockerd", "containerd")
# /proc/<pid>/comm keeps 15 characters: containerd-shim-runc-v2 shows as this.
SHIM_NAME = "containerd-shim"
TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    # After the command name (which may hold spaces): state is field 3 (index 0 here).
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int, children: bool = False) -> float:
    """utime + stime of `pid` (fields 14, 15), plus cutime + cstime (16, 17) with children."""
    fields = _stat_fields(pid)
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / TICKS


def _start_ticks(pid: int) -> int:
    return int(_stat_fields(pid)[19])  # field 22: start time, clock ticks after boot


def _uptime_ticks() -> int:
    return int(float(Path("/proc/uptime").read_text().split()[0]) * TICKS)


def _pids_by_name() -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            name = comm.read_text().strip()
        except OSError:
            continue
        if name in ENGINE_NAMES or name == SHIM_NAME:
            found.setdefault(name, []).append(int(comm.parent.name))
    return found


def _total(pids: list[int], children: bool) -> float:
    total = 0.0
    for pid in pids:
        try:
            total += cpu_seconds(pid, children)
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
    return total


@dataclass(frozen=True)
class Snapshot:
    started_ticks: int
    daemon_s: float
    engine_s: dict[str, float]


def snapshot(daemon_pid: int) -> Snapshot:
    """Before a case: the daemon's and the engine's CPU so far."""
    pids = _pids_by_name()
    return Snapshot(
        _uptime_ticks(),
        cpu_seconds(daemon_pid),
        {name: _total(pids.get(name, []), children=True) for name in ENGINE_NAMES},
    )


def spent(before: Snapshot, daemon_pid: int) -> dict[str, float]:
    """CPU seconds each spent since `before`: dockform, dockerd, containerd, shims."""
    pids = _pids_by_name()
    new_shims = []
    for pid in pids.get(SHIM_NAME, []):
        try:
            if _start_ticks(pid) >= before.started_ticks:
                new_shims.append(pid)
        except (OSError, IndexError, ValueError):
            continue
    used = {"dockform": cpu_seconds(daemon_pid) - before.daemon_s}
    for name in ENGINE_NAMES:
        used[name] = _total(pids.get(name, []), children=True) - before.engine_s[name]
    used["containerd_shims"] = _total(new_shims, children=True)
    return used


def per_container(samples: list[dict[str, float]], count: int) -> dict[str, float]:
    """The median over repeats of each process group's CPU seconds, divided by `count`."""
    if not samples:
        return {}
    return {
        name: round(median([sample[name] for sample in samples]) / count, 5) for name in samples[0]
    }


METHOD = (
    "cpu_s_per_container: CPU seconds (utime+stime from /proc/<pid>/stat; for dockerd, "
    "containerd and shims also cutime+cstime, the children they waited for, runc included) "
    "over each dockform measurement, median over repeats, divided by n; dockform is the daemon "
    "process; containerd_shims counts the shims alive at the end that started during the "
    "measurement (shims that exited meanwhile, as recreate's old containers' do, are not "
    "counted)"
)

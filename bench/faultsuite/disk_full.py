"""disk full: the store on a small tmpfs that fills up, then gets space back.

The daemon's home (and so its SQLite store) is a 16 MiB tmpfs the suite mounts (root needed);
its log lives elsewhere. With 3 Containers applied, a filler file takes every free byte, then
applies of new Containers are sent: each should fail with 507 (any other status is reported as
seen). Every apply that got a 2xx, before or during the fill, must still be in the store after
the filler goes and after a restart; and an apply once space is back must succeed.
"""

from __future__ import annotations

import contextlib
import errno
import subprocess
from pathlib import Path
from typing import Any

from bench.faultsuite.common import Sizes, container, dump, figure, reference, wait_for, zero
from bench.faultsuite.daemon import FaultDaemon

CASE = "disk-full"
SIZE = "16m"
APPLIES_WHILE_FULL = 10


def fill(path: Path) -> int:
    """Write zeros until the filesystem is full; returns the bytes written."""
    written = 0
    with path.open("wb", buffering=0) as handle:
        for block in (1 << 20, 1 << 12, 1):
            chunk = bytes(block)
            while True:
                try:
                    written += handle.write(chunk) or 0
                except OSError as error:
                    if error.errno != errno.ENOSPC:
                        raise
                    break
    return written


def try_apply(daemon: FaultDaemon, names: list[str]) -> str:
    """The status of one apply as text: "2xx", a 4xx/5xx code, or the transport failure."""
    text = dump([container(name, CASE, extra_spec={"env": {"PAD": "x" * 4096}}) for name in names])
    try:
        daemon.client.apply(text)
    except Exception as error:
        status = getattr(error, "status", None)
        return str(status) if status is not None else type(error).__name__
    return "2xx"


def run(sizes: Sizes, workdir: Path, api: Any) -> dict[str, Any]:
    mountpoint = workdir / "tmpfs"
    mountpoint.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SIZE},mode=0700", "tmpfs", str(mountpoint)],
        check=True,
        capture_output=True,
    )
    daemon = FaultDaemon(mountpoint / "home", CASE, log_path=workdir / "daemon.log")
    filler = mountpoint / "filler"
    acknowledged: list[str] = []
    while_full: dict[str, int] = {}
    after_space = "not tried"
    lost_after_space: list[str] = []
    lost_after_restart: list[str] = []
    try:
        if not daemon.start():
            raise RuntimeError(f"the daemon did not start:\n{daemon.log_tail()}")
        first = ["df-0", "df-1", "df-2"]
        if try_apply(daemon, first) == "2xx":
            acknowledged += first
        filled = fill(filler)
        for index in range(APPLIES_WHILE_FULL):
            status = try_apply(daemon, [f"df-full-{index}"])
            while_full[status] = while_full.get(status, 0) + 1
            if status == "2xx":
                acknowledged.append(f"df-full-{index}")
        alive_while_full = daemon.alive()
        filler.unlink()
        if not daemon.alive():
            daemon.start()
        after_space = try_apply(daemon, ["df-after"])
        if after_space == "2xx":
            acknowledged.append("df-after")
        lost_after_space = missing(daemon, acknowledged)
        daemon.stop()
        daemon.start()
        lost_after_restart = missing(daemon, acknowledged)
        daemon.delete_everything()
    finally:
        daemon.close()
        filler.unlink(missing_ok=True)
        with contextlib.suppress(subprocess.CalledProcessError):
            subprocess.run(["umount", str(mountpoint)], check=True, capture_output=True)
    refused_507 = while_full.get("507", 0)
    return {
        "figures": [
            figure(
                "applies answered 507 while full",
                refused_507,
                f"{APPLIES_WHILE_FULL} of {APPLIES_WHILE_FULL}",
                refused_507 == APPLIES_WHILE_FULL,
            ),
            reference("statuses while full", ", ".join(f"{k}: {n}" for k, n in while_full.items())),
            zero("daemon died while full", 0 if alive_while_full else 1),
            zero("acknowledged writes lost", len(set(lost_after_space) | set(lost_after_restart))),
            figure("apply once space is back", after_space, "2xx", after_space == "2xx"),
        ],
        "filler_bytes": filled,
        "statuses_while_full": while_full,
        "acknowledged": acknowledged,
        "lost_after_space": lost_after_space,
        "lost_after_restart": lost_after_restart,
        "method": (
            f"home on a {SIZE} tmpfs; 3 Containers applied, the tmpfs filled to the last byte, "
            f"{APPLIES_WHILE_FULL} applies of a new Container, the filler removed, one more "
            "apply, then a restart; acknowledged objects looked up through the API after both"
        ),
    }


def missing(daemon: FaultDaemon, names: list[str]) -> list[str]:
    if not wait_for(lambda: daemon.items() is not None, 10):
        return list(names)
    present = {str(item["name"]) for item in daemon.items() or []}
    return [name for name in names if name not in present]

"""One daemon per instance and engine: a lock held for the daemon's whole life.

Two daemons of one `--instance` on one engine each take the other's containers for their own:
they replace them back and forth and garbage-collect what only the other's store holds. So
the daemon takes an exclusive `flock` on a file named after the engine's address and the
instance before it touches anything, and keeps it until it exits. The kernel releases the
lock when the process dies however it dies (SIGKILL included), so a crashed daemon never
leaves a stale lock behind and nothing has to guess whether its holder still lives.

The file sits in one directory per host (`/run/dockform/locks` for root, otherwise under
`$XDG_RUNTIME_DIR` or `/tmp/dockform-<uid>`), never in the daemon's home: two daemons with
different homes must find the same file. It also records who holds it, so the second daemon
can name the first. The lock sees daemons of this host only; two hosts driving one remote
engine over TCP are the failover issue's lease.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

DEFAULT_ENGINE = "unix:///var/run/docker.sock"
LOCK_DIR_ENV = "DOCKFORM_LOCK_DIR"


class InstanceTaken(Exception):
    """Another live daemon holds this instance on this engine."""

    def __init__(self, instance: str, engine: str, holder: dict[str, Any]) -> None:
        self.instance = instance
        self.engine = engine
        self.holder = holder
        known = [key for key in ("pid", "home", "socket") if key in holder]
        who = ", ".join(f"{key} {holder[key]}" for key in known)
        super().__init__(
            f"instance {instance!r} on engine {engine} is already run by another dockform "
            f"daemon ({who or 'holder unknown'}); two daemons of one instance would fight over "
            f"its containers: stop that daemon, or start this one with another --instance"
        )


def engine_address(docker_host: str | None) -> str:
    """The engine's address as the lock knows it: a unix socket by its real path (symlinks
    and `..` resolved, so two spellings of one socket are one engine), anything else as given."""
    address = docker_host or os.environ.get("DOCKER_HOST") or DEFAULT_ENGINE
    if address.startswith("unix://"):
        return "unix://" + os.path.realpath(address.removeprefix("unix://"))
    return address.rstrip("/")


def lock_directory() -> Path:
    configured = os.environ.get(LOCK_DIR_ENV)
    if configured:
        return Path(configured)
    if os.geteuid() == 0:
        return Path("/run/dockform/locks")
    runtime_dir = os.environ.get("XDG_RUNTIME_DIR")
    if runtime_dir:
        return Path(runtime_dir) / "dockform" / "locks"
    return Path(f"/tmp/dockform-{os.geteuid()}") / "locks"


def lock_path(directory: Path, engine: str, instance: str) -> Path:
    digest = hashlib.sha256(f"{engine}\0{instance}".encode()).hexdigest()[:24]
    return directory / f"{instance}-{digest}.lock"


@dataclass
class InstanceLock:
    """Held while this object's file stays open; `release` (or the process's end) frees it."""

    path: Path
    _file: IO[str]

    @classmethod
    def acquire(
        cls,
        instance: str,
        engine: str,
        holder: dict[str, Any],
        directory: Path | None = None,
        *,
        shared: bool = False,
    ) -> InstanceLock:
        """Take the lock or raise InstanceTaken naming who holds it. `shared`: a daemon on a
        shared store (PostgreSQL), which may run beside others of its kind (they elect a
        leader by the store's lease) but never beside a daemon with a store of its own."""
        directory = directory or lock_directory()
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = lock_path(directory, engine, instance)
        # Not truncated on open: a daemon that loses the race must still read the holder.
        file = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - kept open while held
        try:
            mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
            fcntl.flock(file.fileno(), mode | fcntl.LOCK_NB)
        except OSError as error:
            file.seek(0)
            text = file.read()
            file.close()
            if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            raise InstanceTaken(instance, engine, _parse_holder(text)) from None
        file.seek(0)
        existing = _parse_holder(file.read())
        if not (shared and existing.get("shared")):
            # Sharers keep a live sharer's record: it names a daemon of this instance all the same.
            file.seek(0)
            file.truncate()
            record = {**holder, "instance": instance, "engine": engine, "shared": shared}
            file.write(json.dumps(record) + "\n")
            file.flush()
        return cls(path, file)

    def release(self) -> None:
        if not self._file.closed:
            self._file.close()


def _parse_holder(text: str) -> dict[str, Any]:
    try:
        parsed = json.loads(text)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}

"""Content-addressed copies of the files and directories apps mount from their source.

A compose app bind-mounts files that live beside its compose file (`./nginx.conf`,
`./prometheus/`). From a GitSource the file is in a commit's checkout, which is removed when
the next commit arrives, so the container cannot mount it there; from a watched directory it
is live, and an edit would reach the container without anything knowing. Both sources mount a
copy instead, under `root/<digest>/<name>`, where `digest` is the sha256 of the content (names,
file bytes, executable bits and symlink targets, walked in order): the path stays the same
while the content does, so an unchanged file never replaces a container, and changed content
is a new path, a changed spec, and so a replaced container, as a changed build context
rebuilds an image.

A copy that no applied manifest names any more is removed by `prune` once it is older than
`min_age_s` (a container being replaced may still run on it), and only when it still holds
what it was made from: a container that wrote into its copy keeps it, and a log line says so.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import stat
import time
from collections.abc import Collection
from pathlib import Path

log = logging.getLogger("dockform.sources.content")

MAX_CONTENT_BYTES = 256 * 1024 * 1024  # one mounted file or directory, copied per version
MAX_ENTRIES = 100_000
PRUNE_MIN_AGE_S = 600.0
_CHUNK = 1 << 20


class ContentTooLarge(Exception):
    """The mounted path is too big to copy; the message names it and what to do."""


def content_digest(path: str) -> str:
    """sha256 of `path`'s name and what it holds: a file's bytes and mode, or a directory's
    entries (names, types, file bytes, executable bits, symlink targets), symlinks not
    followed. ContentTooLarge beyond MAX_CONTENT_BYTES or MAX_ENTRIES."""
    digest = hashlib.sha256()
    budget = [MAX_CONTENT_BYTES, MAX_ENTRIES]
    _feed(digest, path, os.path.basename(path.rstrip("/")) or "content", budget, top=path)
    return digest.hexdigest()


def _feed(digest: hashlib._Hash, path: str, name: str, budget: list[int], top: str) -> None:
    budget[1] -= 1
    if budget[1] < 0:
        raise ContentTooLarge(f"{top} holds more than {MAX_ENTRIES} entries to copy")
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        digest.update(f"l\0{name}\0{os.readlink(path)}\0".encode())
    elif stat.S_ISDIR(info.st_mode):
        digest.update(f"d\0{name}\0".encode())
        for entry in sorted(os.listdir(path)):
            _feed(digest, os.path.join(path, entry), f"{name}/{entry}", budget, top)
    elif stat.S_ISREG(info.st_mode):
        budget[0] -= info.st_size
        if budget[0] < 0:
            raise ContentTooLarge(
                f"{top} is larger than {MAX_CONTENT_BYTES // (1024 * 1024)} MiB: mount it "
                "read-write (it is then the app's state, mounted as it is) or use a Volume"
            )
        executable = "x" if info.st_mode & stat.S_IXUSR else "-"
        digest.update(f"f\0{name}\0{executable}\0{info.st_size}\0".encode())
        with open(path, "rb") as file:
            while chunk := file.read(_CHUNK):
                digest.update(chunk)
    else:
        digest.update(f"o\0{name}\0".encode())  # a FIFO or device: its name only, not copied


class ContentStore:
    """Copies under `root`, one directory per digest."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def place(self, path: str) -> str:
        """The path of `path`'s copy (made now unless it exists): `root/<digest>/<name>`."""
        digest = content_digest(path)
        name = os.path.basename(path.rstrip("/")) or "content"
        target = self.root / digest / name
        if target.exists() or target.is_symlink():
            return str(target)
        staging = self.root / f".{digest}.{os.getpid()}.partial"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.copytree(path, staging / name, symlinks=True)
            else:
                shutil.copy2(path, staging / name, follow_symlinks=False)
            os.rename(staging, self.root / digest)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            if not target.exists():  # not made by another sync meanwhile
                raise
        return str(target)

    def prune(self, referenced: Collection[str], min_age_s: float = PRUNE_MIN_AGE_S) -> list[str]:
        """Remove copies no path in `referenced` leads into, older than `min_age_s`, that
        still hold their content; the digests removed."""
        if not self.root.is_dir():
            return []
        used = {_digest_of(path, self.root) for path in referenced}
        removed = []
        now = time.time()
        for entry in sorted(os.listdir(self.root)):
            folder = self.root / entry
            if entry.startswith(".") and now - _mtime(folder) > min_age_s:
                shutil.rmtree(folder, ignore_errors=True)  # a copy left half-made
                continue
            if entry in used or entry.startswith(".") or now - _mtime(folder) < min_age_s:
                continue
            if not _holds(folder, entry):
                log.info("kept %s: a container wrote into it (remove it by hand when done)", folder)
                continue
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(entry)
        return removed


def _digest_of(path: str, root: Path) -> str | None:
    relative = os.path.relpath(path, root)
    if relative.startswith(os.pardir):
        return None
    return relative.split(os.sep, 1)[0]


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _holds(folder: Path, digest: str) -> bool:
    """Whether the copy in `folder` still has the content its name says."""
    try:
        entries = os.listdir(folder)
        return len(entries) == 1 and content_digest(str(folder / entries[0])) == digest
    except (OSError, ContentTooLarge):
        return False

"""Content digest of an image build context: the files Docker would send, their modes and bytes.

An Image with `build` is rebuilt exactly when this digest, the Dockerfile or the build args
change. Patterns in `.dockerignore` are honoured (fnmatch on the relative path and its parent
directories; `!` exceptions are applied in order), so editing an ignored file rebuilds nothing.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
from pathlib import Path

_CHUNK = 1 << 20


class BuildContextError(ValueError):
    pass


def _ignore_patterns(context: Path) -> list[str]:
    ignore_file = context / ".dockerignore"
    if not ignore_file.is_file():
        return []
    patterns = []
    for raw in ignore_file.read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            patterns.append(line.rstrip("/").removeprefix("./"))
    return patterns


def _ignored(relative: str, patterns: list[str]) -> bool:
    ignored = False
    parts = relative.split("/")
    prefixes = ["/".join(parts[: index + 1]) for index in range(len(parts))]
    for pattern in patterns:
        negate = pattern.startswith("!")
        body = pattern[1:] if negate else pattern
        if any(fnmatch.fnmatchcase(prefix, body) for prefix in prefixes):
            ignored = not negate
    return ignored


def context_digest(context_dir: str, dockerfile: str) -> str:
    """sha256 over (path, mode, content) of every file in the context, sorted by path."""
    context = Path(context_dir)
    if not context.is_dir():
        raise BuildContextError(f"build context {context_dir} is not a directory")
    dockerfile_path = context / dockerfile
    if not dockerfile_path.is_file():
        raise BuildContextError(f"Dockerfile {dockerfile_path} does not exist")
    patterns = _ignore_patterns(context)
    digest = hashlib.sha256()
    for root, dirs, files in os.walk(context):
        dirs.sort()
        for file_name in sorted(files):
            path = Path(root) / file_name
            relative = path.relative_to(context).as_posix()
            if _ignored(relative, patterns) and path != dockerfile_path:
                continue
            stat = path.lstat()
            digest.update(f"{relative}\0{stat.st_mode & 0o777}\0".encode())
            if path.is_symlink():
                digest.update(os.readlink(path).encode())
                continue
            with path.open("rb") as handle:
                while chunk := handle.read(_CHUNK):
                    digest.update(chunk)
            digest.update(b"\0")
    return digest.hexdigest()


def file_fingerprint(path: str) -> str:
    """A cheap identity for an image tarball: its path, size and modification time."""
    stat = Path(path).stat()
    return f"{path}:{stat.st_size}:{stat.st_mtime_ns}"

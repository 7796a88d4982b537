"""Reading manifest files for the sources: which names count, and bytes to text, safely.

Both sources read files here before `manifests.loader.load_text` parses them: the watched
directory (`sources.directory`) and the git checkouts (`sources.git`). Reading once, here,
means the bytes parsed are exactly the bytes hashed into the source's revision, and the limits
are the loader's: at most `MAX_FILE_BYTES`, UTF-8 text, no binary. A file is opened without
blocking and must be a regular file, so a FIFO named `x.yaml` cannot hang a source, and a file
that changes while it is read is refused (`FileChanging`) rather than half-read.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from dockform.manifests.errors import ManifestIssue, file_issue
from dockform.manifests.loader import MAX_FILE_BYTES, LoadedManifest
from dockform.manifests.text import NotText, decode_manifest_text

MANIFEST_SUFFIXES = (".yaml", ".yml")

# What the daemon adds on top of the manifest checks: `manifests.policy.host_access_issues`
# unless it runs with --allow-host-access. It gets the manifests, each file's text (to name
# a field's own line) and the source's own directories (the watched directory, the git
# checkout), which it allows on top of the daemon's roots; the issues it finds are treated
# like invalid manifests.
ManifestCheck = Callable[
    [Sequence[LoadedManifest], Mapping[str, str], Sequence[str]], list[ManifestIssue]
]


def is_manifest_name(name: str) -> bool:
    """`*.yaml` / `*.yml`, and not an editor's or a tool's temporary.

    The suffix rule alone drops `app.yaml~`, `app.yaml.swp`, `#app.yaml#`, `app.yaml.tmp`;
    dotfiles drop vim's `.app.yaml.swp`, emacs' `.#app.yaml` and hidden `.app.yaml.XXXX` files
    that tools write before renaming them into place.
    """
    return name.endswith(MANIFEST_SUFFIXES) and not name.startswith((".", "#", "~"))


def is_manifest_path(root: str, path: str) -> bool:
    """`path` is a manifest below `root` whose directories are not hidden (`.git/...`)."""
    relative = os.path.relpath(path, root)
    if relative.startswith(os.pardir + os.sep) or relative in (os.curdir, os.pardir):
        return False
    parts = relative.split(os.sep)
    if any(part.startswith(".") for part in parts[:-1]):
        return False
    return is_manifest_name(parts[-1])


def walk_manifests(root: str) -> list[str]:
    """Every manifest below `root`, sorted; hidden directories skipped, links not followed
    into other directories (a linked file is read, a linked directory is not entered)."""
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(name for name in dirnames if not name.startswith("."))
        found += [os.path.join(dirpath, name) for name in filenames if is_manifest_name(name)]
    return sorted(found)


@dataclass(frozen=True)
class ManifestFile:
    path: str
    text: str
    digest: str  # sha256 of the bytes read: the revision a watched file is applied at
    size: int


class FileProblem(Exception):
    """The file cannot be used as it is now; `issue` says why, for the source's status.

    `signature` identifies the file's state (size, mtime) so a source does not report the
    same problem again until the file changes.
    """

    def __init__(self, issue: ManifestIssue, signature: str) -> None:
        super().__init__(str(issue))
        self.issue = issue
        self.signature = signature


class FileChanging(Exception):
    """The file changed while it was read: a writer is at work, read it again later."""


def _signature(info: os.stat_result) -> str:
    return f"stat:{info.st_ino}:{info.st_size}:{info.st_mtime_ns}"


def read_manifest_file(
    path: str, display: str | None = None, inside: str | None = None
) -> ManifestFile:
    """The file's text and digest. Raises FileProblem (unusable as it is) or FileChanging.

    `display` names the file in issues (default `path`); `inside`, when given, refuses a file
    whose real path leaves that directory (a symlink in a git checkout pointing elsewhere).
    """
    shown = display or path
    if inside is not None:
        real = os.path.realpath(path)
        if os.path.commonpath([real, os.path.realpath(inside)]) != os.path.realpath(inside):
            raise FileProblem(
                file_issue(shown, "is a link that leads out of the tree; not read"), ""
            )
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        if error.errno in (errno.ENOENT, errno.ENOTDIR):
            raise FileChanging(f"{shown} disappeared while being read") from error
        raise FileProblem(file_issue(shown, f"cannot read: {error.strerror}"), "") from error
    with os.fdopen(descriptor, "rb") as handle:
        before = os.fstat(handle.fileno())
        if not stat.S_ISREG(before.st_mode):
            raise FileProblem(
                file_issue(shown, "is not a regular file; not read"), _signature(before)
            )
        if before.st_size > MAX_FILE_BYTES:
            message = f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; not read"
            raise FileProblem(file_issue(shown, message), _signature(before))
        try:
            data = handle.read(MAX_FILE_BYTES + 1)
        except OSError as error:
            raise FileProblem(file_issue(shown, f"cannot read: {error.strerror}"), "") from error
        after = os.fstat(handle.fileno())
    if _signature(before) != _signature(after) or len(data) != after.st_size:
        raise FileChanging(f"{shown} changed while being read")
    try:
        current = os.stat(path)
    except OSError as error:
        raise FileChanging(f"{shown} disappeared while being read") from error
    if _signature(current) != _signature(after):
        raise FileChanging(f"{shown} was replaced while being read")
    return ManifestFile(path=path, text=decode(data, shown), digest=_digest(data), size=len(data))


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode(data: bytes, display: str) -> str:
    """UTF-8 text of a manifest file; FileProblem for binary content or another encoding."""
    try:
        return decode_manifest_text(data)
    except NotText as problem:
        raise FileProblem(problem.issue(display), "sha256:" + _digest(data)) from problem


def summarize(issues: Sequence[ManifestIssue], limit: int = 20) -> str:
    """Issues as one message for a source's status, one issue per line, at most `limit`."""
    lines = [str(issue) for issue in issues[:limit]]
    if len(issues) > limit:
        lines.append(f"and {len(issues) - limit} more problems")
    return "\n".join(lines)

"""Host paths as the kernel will see them, and whether the daemon lets a manifest reach them.

`manifests.policy` finds every host path a manifest names; this module answers, for one path,
where it really leads and whether that place is allowed:

- `resolve_host_path`: the path with duplicate slashes, `.` and `..` collapsed, every
  `/proc/<pid>/root` (or `self`, `thread-self`) prefix dropped (it is the host's `/` seen
  through a process) and symlinks followed (`os.path.realpath`, on the machine this runs on:
  the daemon's host). Parts that do not exist yet are kept as written.
- `forbidden_reason`: the places no root can allow: `/proc`, `/sys`, `/dev`, the Docker and
  containerd data roots and sockets, and any directory that contains one of them (`/`,
  `/var`, `/run`...).
- `refusal`: why a path is refused at apply (forbidden, or outside every allowed root), or
  None; `recheck_refusal`: the same just before an engine call, where the apply's own root is
  no longer known (see its docstring).

Roots are compared by their real paths too, so a root given through a symlink still holds
what lies below it.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Sequence

# A process's view of `/`: /proc/1/root/etc is the host's /etc.
_PROC_ROOT = re.compile(r"^/proc/(?:self|thread-self|[0-9]+)(?:/task/[0-9]+)?/root(?=/|$)")
_RESOLVE_ROUNDS = 8

_ENGINE = "gives the container control of the Docker Engine (root on the host)"
# Never allowed, whatever the roots: the path itself, anything inside it, anything holding it.
FORBIDDEN_TREES: tuple[tuple[str, str], ...] = (
    ("/proc", "exposes the host's processes and, through /proc/*/root, its whole filesystem"),
    ("/sys", "exposes the host's kernel settings and devices"),
    ("/dev", "exposes the host's devices"),
    ("/var/lib/docker", "exposes the Docker Engine's data (every container's filesystem)"),
    ("/var/lib/containerd", "exposes containerd's data (every container's filesystem)"),
    ("/run/docker", _ENGINE),
    ("/var/run/docker", _ENGINE),
    ("/run/containerd", _ENGINE),
    ("/var/run/containerd", _ENGINE),
    ("/run/docker.sock", _ENGINE),
    ("/var/run/docker.sock", _ENGINE),
)
# Engine sockets wherever they are (rootless engines keep them under /run/user/<uid>/).
_SOCKET_NAMES = ("docker.sock", "containerd.sock", "containerd.sock.ttrpc", "dockerd.sock")


def normalise(path: str) -> str:
    """`//etc/./nginx/../` -> `/etc`: textual only, symlinks are not followed."""
    normal = posixpath.normpath("/" + path.lstrip("/"))
    # POSIX lets normpath keep a leading "//"; on Linux it is the same as "/".
    return "/" + normal.lstrip("/")


def _tidy(path: str) -> str:
    """Duplicate slashes and `.` parts gone; `..` kept, as only the kernel knows what it
    means after a symlink (`/var/run/../run` is `/run` when /var/run links to /run)."""
    parts = [part for part in path.split("/") if part not in ("", ".")]
    return "/" + "/".join(parts)


def _drop_proc_root(path: str) -> str:
    while (match := _PROC_ROOT.match(path)) is not None:
        path = _tidy(path[match.end() :] or "/")
    return path


def resolve_host_path(path: str, base: str | None = None) -> str:
    """Where `path` (relative ones against `base`, else `/`) leads on this host."""
    joined = path if path.startswith("/") else posixpath.join(base or "/", path)
    resolved = _drop_proc_root(_tidy(joined))
    for _ in range(_RESOLVE_ROUNDS):
        # realpath may land on another /proc/<pid>/root (a link to one): drop it and go again.
        following = _drop_proc_root(normalise(os.path.realpath(resolved)))
        if following == resolved:
            break
        resolved = following
    return resolved


def is_inside(path: str, root: str) -> bool:
    """`path` is `root` or below it (both normalised absolute paths)."""
    return path == root or root == "/" or path.startswith(root.rstrip("/") + "/")


def forbidden_reason(resolved: str) -> str | None:
    """Why no root can allow the resolved path `resolved`, or None."""
    name = posixpath.basename(resolved)
    if name in _SOCKET_NAMES:
        return f"{resolved} is an engine socket and {_ENGINE}"
    for tree, why in FORBIDDEN_TREES:
        if is_inside(resolved, tree):
            return f"{resolved} {why}"
        if is_inside(tree, resolved):
            return f"{resolved} contains {tree}, which {why}"
    return None


def real_roots(roots: Sequence[str]) -> list[str]:
    """The roots as real absolute paths, in order, without repeats."""
    return list(dict.fromkeys(resolve_host_path(root) for root in roots if root))


def refusal(path: str, roots: Sequence[str], base: str | None = None) -> str | None:
    """Why the host path `path` is refused when `roots` are allowed, or None (allowed)."""
    resolved = resolve_host_path(path, base)
    forbidden = forbidden_reason(resolved)
    if forbidden is not None:
        return _leads(path, resolved) + forbidden
    allowed = real_roots(roots)
    if any(is_inside(resolved, root) for root in allowed):
        return None
    where = ", ".join(allowed) if allowed else "none"
    return (
        f"{_leads(path, resolved)}{resolved} is outside the directories the daemon allows "
        f"(the manifest's own directory and --host-path-root: {where})"
    )


def recheck_refusal(path: str, roots: Sequence[str]) -> str | None:
    """Why `path`, allowed at apply, is refused now, just before the engine uses it.

    The store keeps no apply root per object, so this cannot ask again whether the path is
    under the directory it was applied from. What it can see is what changes after an apply:
    a part of the path became a symlink (or a /proc link). A path that still leads where its
    text says is where apply approved it; one that leads elsewhere must land under the
    daemon's own roots (`roots`: --host-path-root, watched directories, the git cache). The
    forbidden places are refused always.
    """
    resolved = resolve_host_path(path)
    forbidden = forbidden_reason(resolved)
    if forbidden is not None:
        return _leads(path, resolved) + forbidden
    if resolved == normalise(path):
        return None
    if any(is_inside(resolved, root) for root in real_roots(roots)):
        return None
    return (
        f"{path} now leads to {resolved} (a symlink changed after apply), outside the "
        "directories the daemon allows"
    )


def _leads(path: str, resolved: str) -> str:
    return "" if resolved == path else f"{path} leads to {resolved}; "

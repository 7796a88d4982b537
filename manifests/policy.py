"""Host-access policy: which Container settings hand the host to whoever writes the manifest.

A privileged container, one in the host's network, PID or IPC namespace, or one that mounts
`/`, `/etc` or the Docker socket can take over the machine dockform runs on. The daemon
refuses such manifests unless it was started with `--allow-host-access`; this module only
finds them, as `ManifestIssue`s naming file, document, line and field, so every apply path
(the API, watched directories, git sources) can refuse them with the same words.

`host_access_issues` is pure: no I/O, and paths are compared after textual normalisation
(`//etc/./x/..` is `/etc`) without following symlinks, because the paths are the host's and
this code may not run on it. `locate_field` finds the line of a field path in YAML text, for
callers that have the text and want a field's own line rather than its document's.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping, Sequence

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from dockform.manifests.composer import ComposeError, compose_documents
from dockform.manifests.errors import ManifestIssue
from dockform.manifests.host_settings import engine_setting_issues
from dockform.manifests.loader import LoadedManifest
from dockform.manifests.models import Container

ALLOW_FLAG = "--allow-host-access"

# Mounting any of these (or, for /etc, anything inside it) gives the container the host.
_DOCKER_SOCKETS = ("/var/run/docker.sock", "/run/docker.sock")
_FORBIDDEN_TREES = ("/etc",)

_FLAGS: tuple[tuple[str, str, str], ...] = (
    ("privileged", "spec.privileged", "a privileged container gets every host device and power"),
    ("host_network", "spec.hostNetwork", "the container would share the host's network stack"),
    ("host_pid", "spec.hostPID", "the container would see and signal every host process"),
    ("host_ipc", "spec.hostIPC", "the container would share the host's IPC namespace"),
)

_PATH_PART = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_-]*)|\[([0-9]+)\]")


def normalise_host_path(path: str) -> str:
    """`//etc/./nginx/../` -> `/etc`: textual only, symlinks are not followed."""
    normal = posixpath.normpath("/" + path.lstrip("/"))
    # POSIX lets normpath keep a leading "//"; on Linux it is the same as "/".
    return "/" + normal.lstrip("/")


def dangerous_host_path(path: str) -> str | None:
    """Why mounting host `path` is refused, or None when it is allowed."""
    normal = normalise_host_path(path)
    if normal == "/":
        return "mounting the host's root filesystem gives the container the whole host"
    for tree in _FORBIDDEN_TREES:
        if normal == tree or normal.startswith(tree + "/"):
            return f"mounting {normal} exposes the host's configuration ({tree})"
    for socket in _DOCKER_SOCKETS:
        if normal == socket:
            return f"mounting {normal} gives the container control of the Docker Engine"
        if socket.startswith(normal + "/"):
            return f"mounting {normal} exposes the Docker socket {socket} inside it"
    return None


def host_access_issues(
    loaded: Sequence[LoadedManifest], texts: Mapping[str, str] | None = None
) -> list[ManifestIssue]:
    """Every host-access setting in `loaded`, in manifest order.

    `texts` maps a manifest's `file` to its YAML text; when given, each issue names the line of
    the field itself, otherwise the line where its document starts.
    """
    issues: list[ManifestIssue] = []
    for item in loaded:
        manifest = item.manifest
        if not isinstance(manifest, Container):
            continue
        spec = manifest.spec
        found: list[tuple[str, str]] = [
            (path, why) for attribute, path, why in _FLAGS if getattr(spec, attribute)
        ]
        for index, mount in enumerate(spec.volumes):
            if mount.host_path is None:
                continue
            why = dangerous_host_path(mount.host_path)
            if why is not None:
                found.append((f"spec.volumes[{index}].hostPath", why))
        found += engine_setting_issues(spec)
        text = (texts or {}).get(item.file)
        found_issues: list[ManifestIssue] = []
        for path, why in found:
            line = locate_field(text, item.document, path) if text is not None else None
            found_issues.append(
                ManifestIssue(
                    file=item.file,
                    document=item.document,
                    line=line or item.line,
                    path=path,
                    message=(
                        f"{why}; refused because the daemon does not allow host access "
                        f"(start it with `dockform daemon {ALLOW_FLAG}` to allow it)"
                    ),
                    kind=item.kind,
                    name=item.name,
                )
            )
        issues += sorted(found_issues, key=lambda issue: issue.line or 0)
    return issues


def locate_field(text: str, document: int, path: str) -> int | None:
    """The 1-based line of field `path` (`spec.volumes[0].hostPath`) in document `document`
    (1-based) of YAML `text`; the deepest existing parent's line when the field is absent,
    None when the document or path cannot be read."""
    parts = _split_path(path)
    if parts is None:
        return None
    try:
        for composed in compose_documents(text):
            if composed.index != document:
                continue
            return None if composed.root is None else _line_of(composed.root, parts)
    except (ComposeError, ValueError):
        return None
    return None


def _split_path(path: str) -> list[str | int] | None:
    parts: list[str | int] = []
    position = 0
    while position < len(path):
        match = _PATH_PART.match(path, position)
        if match is None:
            return None
        key, index = match.groups()
        parts.append(key if key is not None else int(index))
        position = match.end()
    return parts


def _line_of(root: Node, parts: list[str | int]) -> int | None:
    node = root
    line = None if root.start_mark is None else root.start_mark.line + 1
    for part in parts:
        child: Node | None = None
        if isinstance(node, MappingNode) and isinstance(part, str):
            # The last match wins, as it does when the YAML is constructed.
            for key, value in reversed(node.value):
                if isinstance(key, ScalarNode) and key.value == part:
                    child = value
                    if key.start_mark is not None:
                        line = key.start_mark.line + 1
                    break
        elif (
            isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value)
        ):
            child = node.value[part]
            if child.start_mark is not None:
                line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line

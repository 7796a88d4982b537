"""Host-access policy: which manifest settings hand the host to whoever writes the manifest.

A privileged container, one in the host's network (`hostNetwork`, or the predefined network
`host` in `networks`), PID or IPC namespace, and any host path outside the directories the
daemon allows can take over the machine dockform runs on. Host paths are every path a manifest
can name: a Container's `volumes[].hostPath`, a Volume's bind `driverOpts.device`, an Image's
`build.context`, `build.dockerfile` and `load.path`, a GitSource's local `url` and
`webhook.secretFile`, a Secret's or Config's `file`. Each is resolved (`manifests.host_paths`:
symlinks, `..`, `/proc/<pid>/root`) and must fall under an allowed root: the directory of the
manifest's own source and the daemon's `--host-path-root` directories, never `/proc`, `/sys`,
`/dev` or the engine's sockets and data. The daemon refuses the rest unless it was started
with `--allow-host-access`.

This module finds them, as `ManifestIssue`s naming file, document, line and field, so every
apply path (the API, watched directories, git sources) refuses them with the same words, and
the controller asks `recheck_issues` again just before the engine uses a path.
`locate_field` finds the line of a field path in YAML text, for callers that have the text
and want a field's own line rather than its document's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from dockform.manifests.composer import ComposeError, compose_documents
from dockform.manifests.errors import ManifestIssue
from dockform.manifests.host_paths import recheck_refusal, refusal
from dockform.manifests.host_settings import engine_setting_issues
from dockform.manifests.loader import LoadedManifest, field_line
from dockform.manifests.models import Config as ConfigManifest
from dockform.manifests.models import (
    Container,
    ContainerSpec,
    GitSource,
    GitSourceSpec,
    Image,
    ImageSpec,
    Job,
    Manifest,
    Volume,
    VolumeSpec,
)
from dockform.manifests.models import Secret as SecretManifest

ALLOW_FLAG = "--allow-host-access"
ROOT_FLAG = "--host-path-root"

# Docker's predefined networks that are not a network of their own: `host` is the host's
# network namespace; `none` (no network at all) reaches nothing and is allowed.
HOST_NETWORK = "host"

_FLAGS: tuple[tuple[str, str, str], ...] = (
    ("privileged", "spec.privileged", "a privileged container gets every host device and power"),
    ("host_network", "spec.hostNetwork", "the container would share the host's network stack"),
    ("host_pid", "spec.hostPID", "the container would see and signal every host process"),
    ("host_ipc", "spec.hostIPC", "the container would share the host's IPC namespace"),
)

# Remote git URLs; anything else git would read from this host's filesystem.
_REMOTE_GIT = re.compile(
    r"^(https?|ssh|git)://|^([A-Za-z0-9._-]+@)?[A-Za-z0-9][A-Za-z0-9.-]*:(?!//)"
)
WEBHOOK_FILE_FIELD = "spec.webhook.secretFile"
# Mount options of the local volume driver that make `device` a host directory.
_BIND_OPTIONS = frozenset({"bind", "rbind"})

_PATH_PART = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_-]*)|\[([0-9]+)\]")


@dataclass(frozen=True)
class HostPath:
    """One host path a manifest names: the field that names it and the path as written
    (made absolute by the loader where the manifest model allows relative ones)."""

    field: str
    path: str


def container_host_paths(spec: ContainerSpec) -> list[HostPath]:
    return [
        HostPath(f"spec.volumes[{index}].hostPath", mount.host_path)
        for index, mount in enumerate(spec.volumes)
        if mount.host_path is not None
    ]


def volume_host_paths(spec: VolumeSpec) -> list[HostPath]:
    """The bind source of a local-driver volume: `device` with `o: bind` (or `type: none`),
    or any absolute `device` (a block device or directory of this host)."""
    options = spec.driver_opts
    device = options.get("device")
    if device is None:
        return []
    mount_options = {option.strip() for option in options.get("o", "").split(",")}
    binds = bool(mount_options & _BIND_OPTIONS) or options.get("type", "") == "none"
    if not binds and not device.startswith("/"):
        return []  # nfs (`:/export`), tmpfs and the like: not a path of this host
    return [HostPath("spec.driverOpts.device", device)]


def image_host_paths(spec: ImageSpec) -> list[HostPath]:
    found: list[HostPath] = []
    if spec.build is not None:
        context = spec.build.context
        found.append(HostPath("spec.build.context", context))
        # A Dockerfile path is relative to the context; an absolute one is read from anywhere.
        dockerfile = spec.build.dockerfile
        if not dockerfile.startswith("/"):
            dockerfile = context.rstrip("/") + "/" + dockerfile
        found.append(HostPath("spec.build.dockerfile", dockerfile))
    if spec.load is not None:
        found.append(HostPath("spec.load.path", spec.load.path))
    return found


def local_git_path(url: str) -> str | None:
    """The filesystem path a GitSource url reads from, or None for a remote url."""
    if url.startswith("file://"):
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            return "//" + parts.netloc + unquote(parts.path)
        return unquote(parts.path) or "/"
    if _REMOTE_GIT.match(url):
        return None
    return url


def gitsource_host_paths(spec: GitSourceSpec) -> list[HostPath]:
    path = local_git_path(spec.url)
    found = [] if path is None else [HostPath("spec.url", path)]
    if spec.webhook is not None and spec.webhook.secret_file is not None:
        found.append(HostPath(WEBHOOK_FILE_FIELD, spec.webhook.secret_file))
    return found


def host_paths(manifest: Manifest) -> list[HostPath]:
    """Every host path `manifest` names, in field order."""
    if isinstance(manifest, (Container, Job)):  # a Job's spec is a Container's
        return container_host_paths(manifest.spec)
    if isinstance(manifest, Volume):
        return volume_host_paths(manifest.spec)
    if isinstance(manifest, Image):
        return image_host_paths(manifest.spec)
    if isinstance(manifest, GitSource):
        return gitsource_host_paths(manifest.spec)
    if isinstance(manifest, SecretManifest | ConfigManifest) and manifest.spec.file is not None:
        return [HostPath("spec.file", manifest.spec.file)]
    return []


def container_powers(spec: ContainerSpec) -> list[tuple[str, str]]:
    """(field, why) of every host namespace or privilege a Container asks for."""
    found = [(path, why) for attribute, path, why in _FLAGS if getattr(spec, attribute)]
    found += [
        (f"spec.networks[{index}]", "the predefined network host is the host's network stack")
        for index, network in enumerate(spec.network_names())
        if network == HOST_NETWORK
    ]
    # Capabilities, devices, GPUs, unconfined security options, host-level sysctls.
    found += engine_setting_issues(spec)
    return found


def host_access_issues(
    loaded: Sequence[LoadedManifest],
    texts: Mapping[str, str] | None = None,
    roots: Sequence[str] = (),
) -> list[ManifestIssue]:
    """Every host-access setting in `loaded`, in manifest order, when `roots` are the host
    directories allowed (the manifest's source directory and the daemon's roots).

    Host paths are resolved on this machine: the daemon's host. `texts` maps a manifest's
    `file` to its YAML text; when given, each issue names the line of the field itself,
    otherwise the line where its document starts.
    """
    issues: list[ManifestIssue] = []
    for item in loaded:
        found = manifest_refusals(item.manifest, roots)
        text = (texts or {}).get(item.file)
        found_issues = [
            ManifestIssue(
                file=item.file,
                document=item.document,
                line=(locate_field(text, item.document, path) if text is not None else None)
                or item.line,
                path=path,
                message=f"{why}; {refused_hint(path)}",
                kind=item.kind,
                name=item.name,
            )
            for path, why in found
        ]
        issues += sorted(found_issues, key=lambda issue: issue.line or 0)
    return issues


def manifest_refusals(manifest: Manifest, roots: Sequence[str]) -> list[tuple[str, str]]:
    """(field, why) of every host access of `manifest` when `roots` are allowed."""
    found = container_powers(manifest.spec) if isinstance(manifest, (Container, Job)) else []
    for host_path in host_paths(manifest):
        why = refusal(host_path.path, roots)
        if why is not None:
            found.append((host_path.field, f"{host_path.field} {host_path.path!r}: {why}"))
    return found


def recheck_issues(
    powers: Sequence[tuple[str, str]], paths: Sequence[HostPath], roots: Sequence[str]
) -> list[str]:
    """Reconcile time: what is refused now among a stored spec's powers and host paths
    (`manifests.host_paths.recheck_refusal` says what a re-check can know); one line each."""
    refused = [f"{field}: {why}" for field, why in powers]
    for host_path in paths:
        why = recheck_refusal(host_path.path, roots)
        if why is not None:
            refused.append(f"{host_path.field}: {why}")
    return refused


# The fields that name a host path (host_paths); every other refused field is a power.
_PATH_FIELDS = frozenset(
    {"spec.driverOpts.device", "spec.build.context", "spec.build.dockerfile", "spec.load.path"}
    | {"spec.url", "spec.file", WEBHOOK_FILE_FIELD}
)
_MOUNT_FIELD = re.compile(r"spec\.volumes\[\d+\]\.hostPath")


def refused_hint(field: str) -> str:
    """What the daemon's operator can do about a refusal of `field`."""
    how = f"start it with `dockform daemon {ALLOW_FLAG}` to allow it"
    if field not in _PATH_FIELDS and not _MOUNT_FIELD.fullmatch(field):
        return f"refused because the daemon does not allow host access ({how})"
    return (
        "refused because the daemon does not allow host access there (move it under the "
        f"manifest's directory, give the daemon `{ROOT_FLAG} DIR`, or {how})"
    )


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
            return None if composed.root is None else field_line(composed.root, tuple(parts))
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

"""Where the host paths a source's manifests name inside the source's own tree are mounted.

A source's manifests may bind-mount files of the source (`./nginx.conf` beside a compose file,
a config directory in a git repository) and build images from its directories. The loader
makes those paths absolute inside the tree they were read from; `place` then asks the source's
`Placement` where each one should really lead:

- a GitSource (`GitPlacement`): a path that exists in the commit is content, mounted from its
  content-addressed copy (`sources.content`), valid across commits and new only when the
  content changes; a path the commit does not have (a data directory Compose would create) is
  the app's state, under the GitSource's `state/` directory, kept across commits; a build
  context leads through `current`, so an image is rebuilt only when its context changed;
- a compose project in a watched directory (`WatchedPlacement`): a read-only mount of a path
  that exists is content, copied as above; a writable one is the app's state, mounted live.

Paths outside the tree, volumes and tmpfs mounts are left as they are.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from dockform.manifests.host_paths import is_inside
from dockform.manifests.loader import LoadedManifest
from dockform.manifests.models import Container, Image, Job, Manifest, VolumeMount
from dockform.sources.content import ContentStore


class Placement(Protocol):
    def inside(self, path: str) -> bool:
        """Whether `path` is in the tree the manifests were read from (theirs to place)."""
        ...

    def bind(self, path: str, read_only: bool) -> str:
        """Where a hostPath mount of `path` leads."""
        ...

    def context(self, path: str) -> str:
        """Where an Image builds from for a build context at `path`."""
        ...


@dataclass(frozen=True)
class GitPlacement:
    """Paths inside a GitSource's checkout of `commit` (`tree`) or its `current` link."""

    tree: str  # workdir/checkouts/<commit>
    current: str  # workdir/current
    state: str  # workdir/state
    content: ContentStore

    def _relative(self, path: str) -> str:
        for root in (self.tree, self.current):
            if is_inside(path, root):
                return os.path.relpath(path, root)
        raise ValueError(f"{path} is not inside {self.tree}")

    def bind(self, path: str, read_only: bool) -> str:
        relative = self._relative(path)
        real = os.path.join(self.tree, relative)
        if os.path.lexists(real):
            return self.content.place(real)
        return os.path.normpath(os.path.join(self.state, relative))

    def context(self, path: str) -> str:
        return os.path.normpath(os.path.join(self.current, self._relative(path)))

    def inside(self, path: str) -> bool:
        return is_inside(path, self.tree) or is_inside(path, self.current)


@dataclass(frozen=True)
class WatchedPlacement:
    """Paths inside a compose project's directory (`tree`) in a watched directory."""

    tree: str
    content: ContentStore

    def bind(self, path: str, read_only: bool) -> str:
        if read_only and os.path.exists(path):
            return self.content.place(path)
        return path

    def context(self, path: str) -> str:
        return path

    def inside(self, path: str) -> bool:
        return is_inside(path, self.tree)


def place(loaded: Sequence[LoadedManifest], placement: Placement) -> list[LoadedManifest]:
    """`loaded` with its host paths inside the placement's tree placed (OSError, or
    sources.content.ContentTooLarge, when a copy cannot be made)."""
    return [
        LoadedManifest(_placed(item.manifest, placement), item.file, item.document, item.line)
        for item in loaded
    ]


def _placed(manifest: Manifest, placement: Placement) -> Manifest:
    if isinstance(manifest, Container | Job):
        mounts = [_mount(mount, placement) for mount in manifest.spec.volumes]
        if mounts == manifest.spec.volumes:
            return manifest
        spec = manifest.spec.model_copy(update={"volumes": mounts})
        return manifest.model_copy(update={"spec": spec})
    if isinstance(manifest, Image) and manifest.spec.build is not None:
        build = manifest.spec.build
        if not placement.inside(build.context):
            return manifest
        build = build.model_copy(update={"context": placement.context(build.context)})
        image_spec = manifest.spec.model_copy(update={"build": build})
        return manifest.model_copy(update={"spec": image_spec})
    return manifest


def _mount(mount: VolumeMount, placement: Placement) -> VolumeMount:
    path = mount.host_path
    if path is None or not placement.inside(path):
        return mount
    return mount.model_copy(update={"host_path": placement.bind(path, mount.read_only)})


def placed_paths(loaded: Sequence[LoadedManifest], root: Path) -> list[str]:
    """The host paths of `loaded` inside `root` (a content store's): what `prune` keeps."""
    found = []
    for item in loaded:
        manifest = item.manifest
        if isinstance(manifest, Container | Job):
            found += [
                mount.host_path
                for mount in manifest.spec.volumes
                if mount.host_path is not None and is_inside(mount.host_path, str(root))
            ]
    return found

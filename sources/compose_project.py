"""A compose project as a source: a directory's compose file, normalised, translated, placed.

A watched directory or a GitSource path that holds a compose file (`COMPOSE_FILES`, in
Compose's own order) is a compose project: Docker Compose v2 normalises the directory as
`docker compose config` would there (its overrides, `.env`, `env_file`, `extends`, profiles'
defaults, interpolation; `sources.compose_normaliser`), `manifests.compose.translate` turns
the project into manifests in the project's namespace (its name), and the source's `Placement`
decides where the host paths inside the directory lead (`sources.placement`).

Interpolation sees the daemon's environment without its own `DOCKFORM_*` and Compose's
`COMPOSE_*` variables (a project must not read the daemon's settings, and a stray
`COMPOSE_FILE` must not change which files are read).

The revision of a project is the sha256 of the manifests it becomes: an edit that changes
nothing dockform runs (a comment, a reordered key) applies nothing. Any problem (Compose
refuses the files, a name dockform cannot take, a copy that cannot be made) is a
ManifestError naming the compose file: the source reports it and applies nothing.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from dockform.manifests.compose import ComposeTranslationError, Drop, translate
from dockform.manifests.compose.translate import documents_yaml
from dockform.manifests.errors import ManifestError, file_issue
from dockform.manifests.loader import LoadedManifest, load_text
from dockform.sources.compose_normaliser import Normaliser, NormaliserError, find_normaliser
from dockform.sources.content import ContentTooLarge
from dockform.sources.placement import Placement, place

COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
_HIDDEN_PREFIXES = ("DOCKFORM_", "COMPOSE_")


def compose_file(directory: str) -> str | None:
    """The compose file Compose would read in `directory` (a regular file), or None."""
    for name in COMPOSE_FILES:
        path = os.path.join(directory, name)
        if os.path.isfile(path) and not os.path.islink(path):
            return path
    return None


def is_compose_name(name: str) -> bool:
    return name in COMPOSE_FILES


def compose_environ(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """What interpolation sees: `environ` (default: the daemon's) without DOCKFORM_* and
    COMPOSE_* variables."""
    source = os.environ if environ is None else environ
    return {key: value for key, value in source.items() if not key.startswith(_HIDDEN_PREFIXES)}


@dataclass(frozen=True)
class ComposeProject:
    namespace: str
    manifests: list[LoadedManifest]
    text: str  # the translation as YAML: what the checks name lines in (`file` below)
    file: str  # the name the manifests' issues carry: "<compose file> (converted)"
    drops: list[Drop]
    warnings: str  # what Compose said while succeeding
    revision: str  # sha256 of the manifests as placed: what is applied


def load_compose_project(
    directory: str,
    display: str,
    placement: Placement | None = None,
    *,
    project_name: str | None = None,
    normaliser: Callable[[], Normaliser] = find_normaliser,
    environ: Mapping[str, str] | None = None,
) -> ComposeProject:
    """The project in `directory`, its compose file shown as `display` in issues.

    `project_name` names a project whose file has no `name:` (Compose would take the
    directory's name, which for a git checkout is a commit id)."""
    try:
        normalised = normaliser().config(
            cwd=directory,
            environ=compose_environ(environ),
            project_name=None if project_name is None or _names_itself(directory) else project_name,
        )
    except NormaliserError as error:
        raise ManifestError([file_issue(display, f"docker compose refused it: {error}")]) from error
    try:
        translation = translate(normalised.project)
    except ComposeTranslationError as error:
        raise ManifestError([file_issue(display, str(error))]) from error
    file = f"{display} (converted)"
    text = documents_yaml(translation.documents)
    loaded = load_text(text, filename=file, base_dir=directory)
    if placement is not None:
        try:
            loaded = place(loaded, placement)
        except (OSError, ContentTooLarge) as error:
            raise ManifestError([file_issue(display, f"a mounted path: {error}")]) from error
    applied = documents_yaml(
        item.manifest.model_dump(mode="json", by_alias=True, exclude_defaults=True)
        for item in loaded
    )
    return ComposeProject(
        namespace=translation.namespace,
        manifests=loaded,
        text=text,
        file=file,
        drops=translation.drops,
        warnings=normalised.warnings,
        revision=hashlib.sha256(applied.encode()).hexdigest(),
    )


def _names_itself(directory: str) -> bool:
    """Whether the project's compose file says `name:` at its top level (then that is its
    name, as Compose takes it)."""
    path = compose_file(directory)
    if path is None:
        return False
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            return any(line.startswith("name:") for line in file)
    except OSError:
        return False


def project_file_of(root: str, path: str) -> str | None:
    """The compose file of the project `path` belongs to below the watched directory
    `root`: the nearest directory from `path`'s own up to `root` that holds one. None when
    `path` is in no project, is outside `root`, or is below a hidden directory."""
    relative = os.path.relpath(path, root)
    if relative.startswith(os.pardir + os.sep) or relative in (os.curdir, os.pardir):
        return None
    parts = relative.split(os.sep)
    if any(part.startswith(".") for part in parts[:-1]):
        return None
    directory = os.path.dirname(path)
    while True:
        found = compose_file(directory)
        if found is not None:
            return found
        if directory == root or len(directory) <= len(root):
            return None
        directory = os.path.dirname(directory)


def walk_sources(root: str, is_manifest_name: Callable[[str], bool]) -> list[str]:
    """What feeds a source below `root`, sorted: each compose project's compose file (its
    directory's other files belong to it and are not walked), and every other manifest;
    hidden directories skipped, linked directories not entered."""
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        project = compose_file(dirpath)
        if project is not None:
            dirnames[:] = []
            found.append(project)
            continue
        dirnames[:] = sorted(name for name in dirnames if not name.startswith("."))
        found += [os.path.join(dirpath, name) for name in filenames if is_manifest_name(name)]
    return sorted(found)

"""Source names: who applied an object. The store records one per object and per source row,
and every layer spells it through this module.

    cli           `dockform apply`, and any API client that names no source (the default)
    dir:<path>    a file below a watched directory, by its path relative to that directory
    git:<name>    the GitSource called <name> (`git:<namespace>/<name>` outside `default`)
    system        what dockform makes itself (a namespace's implicit network)

Prune only touches the objects of the source that applies, so the name is the ownership key.
The API checks a client's `?source=` against `PATTERN`, the watched directories and git sources
build names with `dir_source` / `git_source`, and a name is at most `MAX_LENGTH` characters
(the store's column).
"""

from __future__ import annotations

from dockform.manifests.namespaces import NAME_PATTERN

CLI = "cli"
DIR_PREFIX = "dir:"
GIT_PREFIX = "git:"
MAX_LENGTH = 1024
DESCRIPTION = "cli, dir:<file> or git:<name>"

_DIR_PATH = rf"[^\x00-\x1f]{{1,{MAX_LENGTH - len(DIR_PREFIX)}}}"
_GIT_NAME = NAME_PATTERN.removeprefix("^").removesuffix("$")
# A GitSource outside the default namespace is `git:<namespace>/<name>`.
PATTERN = rf"^({CLI}|{DIR_PREFIX}{_DIR_PATH}|{GIT_PREFIX}({_GIT_NAME}/)?{_GIT_NAME})$"


def dir_source(relative_path: str) -> str:
    """`dir:<relative path>`: the source of a watched file (may exceed MAX_LENGTH: check)."""
    return DIR_PREFIX + relative_path


def dir_path(source: str) -> str:
    """The relative path of a `dir:` source."""
    return source.removeprefix(DIR_PREFIX)


def is_dir_source(source: str) -> bool:
    return source.startswith(DIR_PREFIX)


def git_source(name: str) -> str:
    """`git:<name>`: the source of the GitSource `name`."""
    return GIT_PREFIX + name


def source_type(source: str) -> str:
    """`git:prod` -> `git`, `dir:app.yaml` -> `dir`, `cli` -> `cli`."""
    return source.split(":", 1)[0]

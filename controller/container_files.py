"""The files containers mount from the daemon's host: Secrets and Configs (`ContainerFiles`).

Each Container that mounts Secrets or Configs gets a directory of its own under two roots, one
file per mount (`<root>/<namespace>/<container>/<index>-<name>`), written by the executor just
before the container is created and bind-mounted read-only at its target:

- Secrets under a tmpfs directory of the daemon, so their content never reaches a disk:
  `/run/dockform/<instance>/secrets` when `/run` is a tmpfs (systemd hosts), else
  `/dev/shm/dockform/<instance>/secrets`. A root that is not on a tmpfs is refused (the
  container waits, saying why) rather than used. The daemon mounts nothing itself: a tmpfs it
  mounted would have to outlive it, as the containers using it do.
- Configs under `$DOCKFORM_HOME/configs` (they are not secret).

Every directory is 0700 and the daemon's; each file gets the mode, uid and gid its mount asks
for, and is replaced by rename, so a running container keeps the copy it started with until it
is replaced. A container's directory is removed with the container (delete, garbage
collection). This is the one place a Secret is decrypted into a file, and `open_env` the one
place one is decrypted into a container's environment.

Build secrets (an Image's `build.secrets`) go to a directory of their own per build,
`<secrets root>/../builds/build-<pid>-XXXX/` (0700, the files 0400), made just before the build
and removed as soon as it ends (`build_secrets`); those of a daemon killed mid-build are removed
at the next build.
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from dockform.controller.actions import ContainerFile, SealedBuildSecret, SecretEnv
from dockform.runtime.types import BuildSecret
from dockform.store.vault import SealBroken, Vault

_TMPFS = frozenset({"tmpfs", "ramfs"})


class FilesUnavailable(Exception):
    """A file could not be made (no tmpfs, a broken seal, the disk): the message says why."""


def default_secrets_root(instance: str) -> Path:
    run = Path("/run")
    base = run if filesystem_type(run) in _TMPFS else Path("/dev/shm")
    return base / "dockform" / instance / "secrets"


def filesystem_type(path: Path) -> str | None:
    """The type of the filesystem `path` (or its nearest existing parent) lives on."""
    where = Path(os.path.realpath(path))
    best, found = "", None
    try:
        with open("/proc/self/mountinfo") as handle:
            for line in handle:
                fields = line.split()
                mount_point = fields[4].replace("\\040", " ")
                fstype = fields[fields.index("-") + 1]
                inside = str(where) == mount_point or str(where).startswith(
                    mount_point.rstrip("/") + "/"
                )
                if inside and len(mount_point) >= len(best):
                    best, found = mount_point, fstype
    except (OSError, ValueError, IndexError):
        return None
    return found


class ContainerFiles:
    def __init__(
        self,
        vault: Vault | None,
        secrets_root: Path,
        configs_root: Path,
        require_tmpfs: bool = True,
    ) -> None:
        self._vault = vault
        self.secrets_root = secrets_root
        self.configs_root = configs_root
        self._require_tmpfs = require_tmpfs

    # --- where (pure: used by observe to build the plan)

    def secret_path(self, namespace: str, container: str, index: int, name: str) -> str:
        return str(self.secrets_root / namespace / container / f"{index}-{name}")

    def config_path(self, namespace: str, container: str, index: int, name: str) -> str:
        return str(self.configs_root / namespace / container / f"{index}-{name}")

    def missing(self, files: Sequence[ContainerFile]) -> bool:
        return any(not os.path.isfile(file.path) for file in files)

    def containers(self) -> set[tuple[str, str]]:
        """(namespace, name) of the containers that have a directory under either root."""
        found: set[tuple[str, str]] = set()
        for root in (self.secrets_root, self.configs_root):
            if not root.is_dir():
                continue
            for namespace in root.iterdir():
                if namespace.is_dir():
                    found |= {(namespace.name, entry.name) for entry in namespace.iterdir()}
        return found

    # --- acts (the executor's)

    def write(self, namespace: str, container: str, files: Sequence[ContainerFile]) -> int:
        if any(file.context is not None for file in files):
            self._check_secrets_root()
        kept: set[Path] = set()
        for file in files:
            path = Path(file.path)
            _private_dirs(path.parent)
            content = self._content(file)
            draft = path.with_name(f".{path.name}.new")
            descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(descriptor, content)
                os.fchown(descriptor, file.uid, file.gid)
                os.fchmod(descriptor, file.mode)
            finally:
                os.close(descriptor)
            os.replace(draft, path)
            kept.add(path)
        for root in (self.secrets_root, self.configs_root):
            directory = root / namespace / container
            if not directory.is_dir():
                continue
            for entry in directory.iterdir():
                if entry not in kept:
                    entry.unlink(missing_ok=True)
        return len(files)

    def remove(self, namespace: str, container: str) -> None:
        for root in (self.secrets_root, self.configs_root):
            shutil.rmtree(root / namespace / container, ignore_errors=True)
            with contextlib.suppress(OSError):
                (root / namespace).rmdir()  # the namespace's last container

    def open_env(self, secret_env: Sequence[SecretEnv]) -> dict[str, str]:
        opened: dict[str, str] = {}
        for item in secret_env:
            content = self._open(item.context, item.sealed)
            try:
                text = content.decode()
            except UnicodeDecodeError:
                text = "\x00"
            if "\x00" in text:
                raise FilesUnavailable(
                    f"{item.context} is not text (or holds a NUL character): env "
                    f"{item.variable} cannot hold it; mount it as a file (spec.secrets)"
                )
            opened[item.variable] = text
        return opened

    @contextlib.contextmanager
    def build_secrets(
        self, secrets: Sequence[SealedBuildSecret]
    ) -> Iterator[tuple[BuildSecret, ...]]:
        """The build secrets opened into files of a fresh 0700 directory on the tmpfs beside
        the containers' secrets, for as long as the build runs; removed after, whatever
        happened (a failed build, a timeout, the daemon's own error)."""
        self._check_secrets_root()
        builds = self.secrets_root.parent / "builds"
        _private_dirs(builds)
        _remove_stale_builds(builds)
        directory = Path(tempfile.mkdtemp(prefix=f"build-{os.getpid()}-", dir=builds))
        try:
            mounted: list[BuildSecret] = []
            for index, secret in enumerate(secrets):
                path = directory / f"{index}-{secret.id}"
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
                try:
                    os.write(descriptor, self._open(secret.context, secret.sealed))
                finally:
                    os.close(descriptor)
                mounted.append(BuildSecret(id=secret.id, src=str(path)))
            yield tuple(mounted)
        finally:
            shutil.rmtree(directory, ignore_errors=True)

    # --- inside

    def _content(self, file: ContainerFile) -> bytes:
        if file.context is None:
            return base64.b64decode(file.payload)
        return self._open(file.context, file.payload)

    def _open(self, context: str, sealed: str) -> bytes:
        if self._vault is None:
            raise FilesUnavailable("this daemon has no secret key")
        try:
            return self._vault.open(context, sealed)
        except SealBroken as error:
            raise FilesUnavailable(f"{context}: {error}; apply it again") from error

    def _check_secrets_root(self) -> None:
        if not self._require_tmpfs:
            return
        fstype = filesystem_type(self.secrets_root)
        if fstype not in _TMPFS:
            raise FilesUnavailable(
                f"{self.secrets_root} is on {fstype or 'an unknown filesystem'}, not a tmpfs: "
                "secrets would reach a disk; mount a tmpfs there (or on /run)"
            )


def _remove_stale_builds(builds: Path) -> None:
    """The build directories of daemons no longer running (killed mid-build): each is named
    after its daemon's pid, so those of a live daemon sharing the instance are kept."""
    for entry in builds.iterdir():
        parts = entry.name.split("-")
        if len(parts) < 3 or not parts[1].isdigit():
            continue
        try:
            os.kill(int(parts[1]), 0)
        except ProcessLookupError:
            shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            continue  # alive, another user's


def _private_dirs(directory: Path) -> None:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(directory, 0o700)

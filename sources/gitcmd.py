"""The `git` command for the git source: fetch into a bare cache, read a commit, export its tree.

dockform speaks no git protocol itself: it runs the `git` installed on the host, as the
daemon's user, so that user's usual credentials apply (credential helpers, `~/.ssh`, `~/.netrc`,
`~/.gitconfig`). Git never prompts: no terminal (a new session), `GIT_TERMINAL_PROMPT=0`,
stdin closed; a fetch that would ask for a password fails with git's own message instead.
Every call has a timeout. Failures raise `GitError`, whose message names what failed, git's
last words, and what to do.

URLs: `https://`, `http://`, `ssh://`, scp-like `user@host:path`, `file://` and absolute
local paths. Anything else (relative paths, `ext::` and other remote helpers) is refused
before git runs.
"""

from __future__ import annotations

import os
import re
import subprocess
import tarfile
import tempfile
from pathlib import Path

FETCH_TIMEOUT_S = 120.0
LOCAL_TIMEOUT_S = 60.0
REF = "refs/dockform/fetched"
_SCHEMES = ("https://", "http://", "ssh://", "file://")
# `[user@]host:path`, as ssh takes it (git reads a colon before any slash this way).
_SCP_LIKE = re.compile(r"^([A-Za-z0-9._-]+@)?[A-Za-z0-9][A-Za-z0-9.-]*:(?!//)[^:]")
# Variables that would point git at another repository than the one we name.
_REPOSITORY_ENV = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_CEILING_DIRECTORIES",
    "GIT_DISCOVERY_ACROSS_FILESYSTEM",
)


class GitError(Exception):
    """A git step failed; `str()` is the message for the GitSource's status. It may pass by
    itself (network, credentials, a busy disk): the caller retries with backoff."""


class GitSpecError(GitError):
    """The GitSource's url or branch cannot work as given: nothing to retry before a change
    (a push that creates the branch, an edit of the spec)."""


def check_url(url: str) -> None:
    """Refuse URLs git should not be given: relative paths, remote helpers, options."""
    if url.startswith(_SCHEMES) or url.startswith("/"):
        return
    if _SCP_LIKE.match(url) and "::" not in url:
        return
    raise GitSpecError(
        f"url {url!r} is not supported: use https://, ssh://, user@host:path, file:// "
        "or an absolute local path"
    )


def check_branch(branch: str) -> None:
    """Refuse a branch name git would not accept (or would read as an option)."""
    if branch.startswith("-") or not _run_ok(["git", "check-ref-format", f"refs/heads/{branch}"]):
        raise GitSpecError(f"branch {branch!r} is not a valid git branch name")


def _environment() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in _REPOSITORY_ENV}
    env.update(GIT_TERMINAL_PROMPT="0", LC_ALL="C", LANGUAGE="C")
    return env


def _run_ok(args: list[str]) -> bool:
    try:
        return (
            subprocess.run(
                args, capture_output=True, timeout=LOCAL_TIMEOUT_S, env=_environment()
            ).returncode
            == 0
        )
    except FileNotFoundError as error:
        raise GitError(_NO_GIT) from error
    except subprocess.TimeoutExpired:
        return False


_NO_GIT = "the git command is not installed on the daemon's host: install git (apt-get install git)"


def _last_words(stderr: bytes, lines: int = 4) -> str:
    text = stderr.decode("utf-8", "replace").strip().splitlines()
    useful = [line.strip() for line in text if line.strip() and not line.startswith("hint:")]
    return " / ".join(useful[-lines:]) or "no message from git"


class GitCache:
    """A bare repository under `directory` that caches what was fetched for one GitSource."""

    def __init__(self, directory: Path, fetch_timeout_s: float = FETCH_TIMEOUT_S) -> None:
        self.directory = directory
        self._fetch_timeout_s = fetch_timeout_s

    def _git(
        self, *args: str, timeout_s: float = LOCAL_TIMEOUT_S, what: str
    ) -> subprocess.CompletedProcess[bytes]:
        command = ["git", "--git-dir", str(self.directory), *args]
        try:
            result = subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout_s,
                env=_environment(),
                start_new_session=True,  # no controlling terminal: ssh cannot prompt either
            )
        except FileNotFoundError as error:
            raise GitError(_NO_GIT) from error
        except subprocess.TimeoutExpired as error:
            raise GitError(f"{what} timed out after {timeout_s:g}s") from error
        if result.returncode != 0:
            raise GitError(f"{what} failed: {_last_words(result.stderr)}")
        return result

    def _ensure(self) -> None:
        if (self.directory / "HEAD").is_file():
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        try:
            subprocess.run(
                ["git", "init", "--bare", "--quiet", str(self.directory)],
                capture_output=True,
                check=True,
                timeout=LOCAL_TIMEOUT_S,
                env=_environment(),
            )
        except FileNotFoundError as error:
            raise GitError(_NO_GIT) from error
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
            raise GitError(f"cannot create the git cache {self.directory}: {error}") from error

    def fetch(self, url: str, branch: str) -> str:
        """Fetch the tip of `branch` from `url`; its commit id."""
        check_url(url)
        check_branch(branch)
        self._ensure()
        try:
            self._git(
                "fetch",
                "--quiet",
                "--no-tags",
                "--no-write-fetch-head",
                "--depth=1",
                "--",
                url,
                f"+refs/heads/{branch}:{REF}",
                timeout_s=self._fetch_timeout_s,
                what=f"fetching branch {branch} of {url}",
            )
        except GitError as error:
            text = str(error)
            if "couldn't find remote ref" in text:
                raise GitSpecError(
                    f"branch {branch!r} does not exist in {url}: push it, or set spec.branch"
                ) from error
            raise GitError(
                f"{text.rstrip('.')}. Check the url, and that the daemon's user can read the "
                "repository (its git credentials and ssh keys are the ones used)"
            ) from error
        return self.resolve(REF)

    def resolve(self, ref: str) -> str:
        result = self._git(
            "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", what="rev-parse"
        )
        return result.stdout.decode().strip()

    def commit_time(self, commit: str) -> str:
        """The committer date of `commit`, ISO 8601 with offset."""
        result = self._git("log", "-1", "--format=%cI", commit, "--", what="reading the commit")
        return result.stdout.decode().strip()

    def export(self, commit: str, destination: Path) -> list[str]:
        """Write the tree of `commit` into `destination` (created); the members skipped.

        Links that point out of the tree, device files and the like are skipped (tarfile's
        `data` filter), so nothing in a repository can write or read outside `destination`.
        """
        skipped: list[str] = []

        def only_data(member: tarfile.TarInfo, path: str) -> tarfile.TarInfo | None:
            try:
                return tarfile.data_filter(member, path)
            except tarfile.FilterError:
                skipped.append(member.name)
                return None

        destination.mkdir(parents=True)
        with tempfile.TemporaryFile(dir=self.directory) as archive:
            command = ["git", "--git-dir", str(self.directory), "archive", "--format=tar", commit]
            try:
                result = subprocess.run(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=archive,
                    stderr=subprocess.PIPE,
                    timeout=self._fetch_timeout_s,
                    env=_environment(),
                )
            except subprocess.TimeoutExpired as error:
                raise GitError(f"exporting commit {commit[:12]} timed out") from error
            if result.returncode != 0:
                raise GitError(
                    f"exporting commit {commit[:12]} failed: {_last_words(result.stderr)}"
                )
            archive.seek(0)
            with tarfile.open(fileobj=archive, mode="r:") as tar:
                tar.extractall(destination, filter=only_data)
        return skipped

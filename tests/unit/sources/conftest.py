"""Fixtures for source tests: a migrated SQLite store in tmp_path, manifest text, local git
repositories (git init in tmp_path, real commits), and a poll-until helper for the watcher."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from store.repository import Store

T = TypeVar("T")


def container_doc(name: str, image: str = "busybox", env: str = "") -> str:
    text = f"apiVersion: dockform/v1\nkind: Container\nmetadata: {{name: {name}}}\nspec:\n"
    text += f"  image: {image}\n"
    if env:
        text += f"  env: {{GREETING: {env}}}\n"
    return text


def wait_until(what: str, probe: Callable[[], T | None], timeout_s: float = 20.0) -> T:
    """Poll `probe` until it returns something truthy; fail naming `what` after the timeout."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'dockform.db'}")
    yield opened
    opened.close()


class GitRepo:
    """A local repository with a working tree, committed to with the real git command."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True)
        self.git("init", "--quiet", "--initial-branch=main")

    def git(self, *args: str) -> str:
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": "test",
            "GIT_AUTHOR_EMAIL": "test@example.invalid",
            "GIT_COMMITTER_NAME": "test",
            "GIT_COMMITTER_EMAIL": "test@example.invalid",
            "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": str(self.path),
        }
        result = subprocess.run(
            ["git", "-C", str(self.path), *args],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            timeout=60,
        )
        return result.stdout.strip()

    def write(self, relative: str, text: str) -> None:
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    def remove(self, relative: str) -> None:
        (self.path / relative).unlink()

    def commit(self, message: str) -> str:
        self.git("add", "--all")
        self.git("commit", "--quiet", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")


@pytest.fixture
def git_repo(tmp_path: Path) -> GitRepo:
    return GitRepo(tmp_path / "repo")


@pytest.fixture
def doc() -> Callable[..., str]:
    """`doc("web", env="hi")`: the text of a Container manifest."""
    return container_doc


@pytest.fixture
def wait() -> Callable[..., object]:
    """`wait("what", probe)`: poll until `probe()` is truthy, fail after a timeout."""
    return wait_until

"""Fixtures for source tests: a migrated SQLite store in tmp_path, manifest text, local git
repositories (git init in tmp_path, real commits), and a poll-until helper for the watcher."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from dockform.store.repository import Store
from tests.gitrepo import GitRepo

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

"""manifests.host_paths: where a host path really leads, and which places no root allows."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dockform.manifests.host_paths import (
    forbidden_reason,
    recheck_refusal,
    refusal,
    resolve_host_path,
)


@pytest.mark.parametrize(
    ("path", "resolved"),
    [
        ("/proc/self/root/etc", "/etc"),
        ("/proc/1/root/etc/shadow", "/etc/shadow"),
        ("/proc/thread-self/root/proc/self/root/srv", "/srv"),
        ("//etc", "/etc"),
        ("///etc//./ssl/", "/etc/ssl"),
        ("/srv/../etc", "/etc"),
        ("/var/run/../run/docker.sock", os.path.realpath("/var/run/..") + "run/docker.sock"),
    ],
)
def test_resolve(path: str, resolved: str) -> None:
    assert resolve_host_path(path) == os.path.normpath(resolved)


def test_relative_paths_resolve_against_the_base(tmp_path: Path) -> None:
    assert resolve_host_path("a/../../etc", str(tmp_path)) == str(tmp_path.parent / "etc")
    assert refusal("a/../../etc", [str(tmp_path)], base=str(tmp_path)) is not None
    assert refusal("a/../b", [str(tmp_path)], base=str(tmp_path)) is None


def test_a_symlink_out_of_an_allowed_root_is_refused(tmp_path: Path) -> None:
    (tmp_path / "etc").symlink_to("/etc")
    why = refusal(str(tmp_path / "etc"), [str(tmp_path)])
    assert why is not None and "leads to /etc" in why
    assert refusal(str(tmp_path / "etc" / "passwd"), [str(tmp_path)]) is not None


def test_a_root_reached_through_a_symlink_still_holds_its_directory(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert refusal(str(tmp_path / "real" / "data"), [str(tmp_path / "link")]) is None


@pytest.mark.parametrize(
    "path",
    [
        "/proc",
        "/proc/1/environ",
        "/sys",
        "/sys/kernel",
        "/dev",
        "/dev/sda",
        "/var/lib/docker",
        "/var/lib/docker/volumes",
        "/var/lib/containerd",
        "/run/docker.sock",
        "/var/run/docker.sock",
        "/run/containerd/containerd.sock",
        "/var/run/docker/containerd/containerd.sock",
        "/run/user/1000/docker.sock",
        "/",
        "/var",
        "/var/lib",
        "/run",
        "/var/run",
    ],
)
def test_forbidden_whatever_the_roots(path: str) -> None:
    resolved = resolve_host_path(path)
    assert forbidden_reason(resolved) is not None
    assert refusal(path, ["/"]) is not None
    assert refusal(path, ["/var"]) is not None


@pytest.mark.parametrize("path", ["/srv/data", "/var/lib/app", "/run/user/1000", "/home/etc"])
def test_ordinary_places_are_not_forbidden(path: str) -> None:
    assert forbidden_reason(path) is None


def test_a_root_that_contains_docker_data_does_not_allow_it(tmp_path: Path) -> None:
    assert refusal("/var/lib/docker", ["/var/lib"]) is not None
    assert refusal("/var/lib/app", ["/var/lib"]) is None


def test_outside_every_root_is_refused(tmp_path: Path) -> None:
    for path in ("/etc", "/root", "/home", "/boot", "/proc/self/root/etc"):
        why = refusal(path, [str(tmp_path)])
        assert why is not None, path
    assert refusal(str(tmp_path / "x"), []) is not None


def test_recheck_refuses_a_path_that_became_a_symlink(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    assert recheck_refusal(str(data), []) is None  # where its text says: approved at apply
    data.rmdir()
    data.symlink_to("/etc")
    why = recheck_refusal(str(data), [])
    assert why is not None and "/etc" in why
    assert recheck_refusal(str(data), ["/etc"]) is None  # a daemon root holds it
    assert recheck_refusal("/var/run/docker.sock", ["/"]) is not None

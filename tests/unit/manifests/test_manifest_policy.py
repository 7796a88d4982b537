"""manifests.policy: which Container settings are host access, and where they are written."""

from __future__ import annotations

import pytest

from dockform.manifests.loader import load_text
from dockform.manifests.policy import (
    dangerous_host_path,
    host_access_issues,
    locate_field,
    normalise_host_path,
)


def container(spec: str, name: str = "web") -> str:
    return (
        "apiVersion: dockform/v1\nkind: Container\n"
        f"metadata: {{name: {name}}}\nspec:\n  image: busybox\n{spec}"
    )


@pytest.mark.parametrize(
    ("path", "normal"),
    [
        ("/", "/"),
        ("//", "/"),
        ("///etc//", "/etc"),
        ("/etc/", "/etc"),
        ("/srv/../etc/./ssl", "/etc/ssl"),
        ("/../..", "/"),
        ("/var/run/../run/docker.sock", "/var/run/docker.sock"),
    ],
)
def test_paths_are_normalised_textually(path: str, normal: str) -> None:
    assert normalise_host_path(path) == normal


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/etc",
        "/etc/",
        "/etc/ssl/certs",
        "//etc",
        "/tmp/../etc/passwd",
        "/var/run/docker.sock",
        "/run/docker.sock",
        "/run/",
        "/var/run",
        "/var",
        "/srv/..",
    ],
)
def test_dangerous_host_paths(path: str) -> None:
    assert dangerous_host_path(path) is not None


@pytest.mark.parametrize(
    "path", ["/srv/data", "/etcetera", "/var/lib/app", "/run/user/1000", "/home/etc", "/ETC"]
)
def test_ordinary_host_paths(path: str) -> None:
    assert dangerous_host_path(path) is None


def test_every_flag_and_mount_is_an_issue_with_its_line() -> None:
    text = container(
        "  privileged: true\n"
        "  hostNetwork: true\n"
        "  hostPID: true\n"
        "  hostIPC: true\n"
        "  volumes:\n"
        "  - {volume: data, mountPath: /data}\n"
        "  - hostPath: /etc/../etc\n"
        "    mountPath: /host\n"
    )
    loaded = load_text(text, filename="app.yaml")
    issues = host_access_issues(loaded, {"app.yaml": text})
    assert [(issue.path, issue.line) for issue in issues] == [
        ("spec.privileged", 6),
        ("spec.hostNetwork", 7),
        ("spec.hostPID", 8),
        ("spec.hostIPC", 9),
        ("spec.volumes[1].hostPath", 12),
    ]
    assert all(issue.file == "app.yaml" and issue.document == 1 for issue in issues)
    assert all(issue.kind == "Container" and issue.name == "web" for issue in issues)
    assert "--allow-host-access" in str(issues[0])
    assert "app.yaml:6: document 1 (Container/web): spec.privileged:" in str(issues[0])


def test_without_the_text_issues_name_the_documents_line() -> None:
    text = "apiVersion: dockform/v1\nkind: Volume\nmetadata: {name: v}\n---\n" + container(
        "  hostPID: true\n"
    )
    issues = host_access_issues(load_text(text, filename="app.yaml"))
    assert [(issue.document, issue.line, issue.path) for issue in issues] == [
        (2, 5, "spec.hostPID")
    ]


def test_harmless_containers_and_other_kinds_have_no_issues() -> None:
    text = container("  privileged: false\n  volumes:\n  - {hostPath: /srv, mountPath: /srv}\n")
    text += "---\napiVersion: dockform/v1\nkind: Volume\nmetadata: {name: v}\n"
    assert host_access_issues(load_text(text)) == []


@pytest.mark.parametrize(
    ("path", "line"),
    [
        ("spec.image", 5),
        ("spec.volumes[0].mountPath", 8),
        ("spec.volumes[5]", 6),  # absent: the deepest parent that exists
        ("metadata.name", 3),
        ("spec.env.MISSING", 4),
    ],
)
def test_locate_field(path: str, line: int) -> None:
    text = container("  volumes:\n  - hostPath: /srv\n    mountPath: /srv\n")
    assert locate_field(text, 1, path) == line


def test_locate_field_gives_up_quietly() -> None:
    text = container("")
    assert locate_field(text, 2, "spec.image") is None
    assert locate_field(text, 1, "spec..image") is None
    assert locate_field("a: [", 1, "a") is None

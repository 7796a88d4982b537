"""manifests.policy: which Container settings are host access, and where they are written."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockform.manifests.loader import load_text
from dockform.manifests.policy import (
    host_access_issues,
    local_git_path,
    locate_field,
)


def container(spec: str, name: str = "web") -> str:
    return (
        "apiVersion: dockform/v1\nkind: Container\n"
        f"metadata: {{name: {name}}}\nspec:\n  image: busybox\n{spec}"
    )


def issues_of(text: str, roots: list[str], base_dir: str | None = None) -> list[tuple[str, str]]:
    loaded = load_text(text, filename="app.yaml", base_dir=base_dir)
    return [(issue.path, issue.message) for issue in host_access_issues(loaded, {}, roots)]


def test_every_flag_and_mount_is_an_issue_with_its_line() -> None:
    # /etc/../etc is /etc: outside any root
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


def test_harmless_containers_and_other_kinds_have_no_issues(tmp_path: Path) -> None:
    text = container(
        f"  privileged: false\n  networks: [none, app]\n  volumes:\n"
        f"  - {{hostPath: {tmp_path}/data, mountPath: /srv}}\n"
    )
    text += "---\napiVersion: dockform/v1\nkind: Volume\nmetadata: {name: v}\n"
    text += "---\napiVersion: dockform/v1\nkind: Volume\nmetadata: {name: nfs}\n"
    text += "spec: {driverOpts: {type: nfs, o: 'addr=10.0.0.1', device: ':/export'}}\n"
    assert host_access_issues(load_text(text), {}, [str(tmp_path)]) == []


def test_host_paths_outside_the_roots_are_refused(tmp_path: Path) -> None:
    text = container("  volumes:\n  - {hostPath: /srv/data, mountPath: /srv}\n")
    [(path, message)] = issues_of(text, [str(tmp_path)])
    assert path == "spec.volumes[0].hostPath"
    assert "'/srv/data'" in message and "outside the directories" in message
    assert "--host-path-root" in message and "--allow-host-access" in message


def test_a_host_root_allows_what_is_below_it_only(tmp_path: Path) -> None:
    text = container(
        "  volumes:\n"
        f"  - {{hostPath: {tmp_path}/ok, mountPath: /a}}\n"
        f"  - {{hostPath: {tmp_path}/../elsewhere, mountPath: /b}}\n"
    )
    assert [path for path, _ in issues_of(text, [str(tmp_path)])] == ["spec.volumes[1].hostPath"]


def test_the_network_host_is_host_access() -> None:
    [(path, message)] = issues_of(container("  networks: [app, host]\n"), [])
    assert path == "spec.networks[1]" and "host's network" in message


def test_volume_bind_devices_are_host_paths(tmp_path: Path) -> None:
    documents = []
    for name, options in (
        ("bind", "{type: none, o: bind, device: /etc}"),
        ("rbind", "{o: 'ro,rbind', device: /run}"),
        ("none", "{type: none, device: /root}"),
        ("block", "{type: ext4, device: /dev/sda1}"),
        ("mine", f"{{type: none, o: bind, device: {tmp_path}/data}}"),
    ):
        documents.append(
            f"apiVersion: dockform/v1\nkind: Volume\nmetadata: {{name: {name}}}\n"
            f"spec: {{driverOpts: {options}}}\n"
        )
    loaded = load_text("---\n".join(documents))
    issues = host_access_issues(loaded, {}, [str(tmp_path)])
    assert [(issue.name, issue.path) for issue in issues] == [
        (name, "spec.driverOpts.device") for name in ("bind", "rbind", "none", "block")
    ]


def test_image_paths_are_host_paths(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    text = (
        "apiVersion: dockform/v1\nkind: Image\nmetadata: {name: a}\n"
        "spec: {ref: a, build: {context: /etc, dockerfile: "
        + str(tmp_path / "app" / "Dockerfile")
        + "}}\n---\n"
        "apiVersion: dockform/v1\nkind: Image\nmetadata: {name: b}\n"
        "spec: {ref: b, build: {context: app, dockerfile: /srv/Dockerfile}}\n---\n"
        "apiVersion: dockform/v1\nkind: Image\nmetadata: {name: c}\n"
        "spec: {ref: c, load: {path: ../image.tar}}\n---\n"
        "apiVersion: dockform/v1\nkind: Image\nmetadata: {name: d}\n"
        "spec: {ref: d, build: {context: app}}\n"
    )
    loaded = load_text(text, base_dir=str(tmp_path))
    issues = host_access_issues(loaded, {}, [str(tmp_path)])
    assert [(issue.name, issue.path) for issue in issues] == [
        ("a", "spec.build.context"),
        ("b", "spec.build.dockerfile"),
        ("c", "spec.load.path"),
    ]


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("file:///srv/repo", "/srv/repo"),
        ("file://localhost/srv/re%20po", "/srv/re po"),
        ("/srv/repo", "/srv/repo"),
        ("../repo", "../repo"),
        ("https://example.com/r.git", None),
        ("ssh://git@example.com/r.git", None),
        ("git@example.com:team/r.git", None),
    ],
)
def test_local_git_urls(url: str, path: str | None) -> None:
    assert local_git_path(url) == path


def test_gitsource_local_urls_outside_the_roots_are_refused(tmp_path: Path) -> None:
    documents = [
        f"apiVersion: dockform/v1\nkind: GitSource\nmetadata: {{name: {name}}}\n"
        f"spec: {{url: '{url}'}}\n"
        for name, url in (
            ("other", "file:///some/other/repo"),
            ("abs", "/some/other/repo"),
            ("mine", f"file://{tmp_path}/repo"),
            ("remote", "https://example.com/r.git"),
        )
    ]
    loaded = load_text("---\n".join(documents))
    issues = host_access_issues(loaded, {}, [str(tmp_path)])
    assert [(issue.name, issue.path) for issue in issues] == [
        ("other", "spec.url"),
        ("abs", "spec.url"),
    ]


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

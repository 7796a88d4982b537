"""Container mounts as real apps use them (issue 12 item 2): relative hostPaths resolved
against the manifest's directory and then checked by the host-access allowlist, createHostPath,
SELinux relabel, propagation, and tmpfs mounts; each new field in the hash only when set, and
bad values refused naming the field."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from dockform.manifests import ManifestError, canonical_json, load_paths, load_text, spec_hash
from dockform.manifests.models import Container
from dockform.manifests.policy import host_access_issues


def container(volumes: str) -> str:
    return (
        "apiVersion: dockform/v1\nkind: Container\nmetadata:\n  name: web\nspec:\n"
        f"  image: app:1\n  volumes:\n{volumes}"
    )


def mounts_of(text: str, base_dir: str | None = None) -> list[dict[str, Any]]:
    manifest = load_text(text, "app.yaml", base_dir=base_dir)[0].manifest
    assert isinstance(manifest, Container)
    return [mount.dump() for mount in manifest.spec.volumes]


def only_issue(text: str) -> tuple[str, str]:
    with pytest.raises(ManifestError) as error:
        load_text(text, "app.yaml")
    [issue] = error.value.issues
    return issue.path, issue.message


def test_relative_host_paths_resolve_against_the_manifests_directory(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "app.yaml").write_text(
        container(
            "    - {hostPath: ./conf, mountPath: /conf}\n"
            "    - {hostPath: data/db, mountPath: /db}\n"
            "    - {hostPath: ../shared/./x/.., mountPath: /shared}\n"
            "    - {hostPath: /srv/abs, mountPath: /abs}\n"
        )
    )
    [loaded] = load_paths([str(app / "app.yaml")])
    assert isinstance(loaded.manifest, Container)
    assert [mount.host_path for mount in loaded.manifest.spec.volumes] == [
        str(app / "conf"),
        str(app / "data" / "db"),
        str(tmp_path / "shared"),
        "/srv/abs",
    ]


def test_relative_host_paths_stay_relative_without_a_directory() -> None:
    # The API has no directory of the client's: it refuses them (tests/unit/api).
    assert mounts_of(container("    - {hostPath: conf, mountPath: /conf}\n"))[0]["hostPath"] == (
        "conf"
    )


def test_a_resolved_relative_host_path_goes_through_the_allowlist(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    text = container(
        "    - {hostPath: ./data, mountPath: /data, createHostPath: true}\n"
        "    - {hostPath: ../outside, mountPath: /out, createHostPath: true}\n"
    )
    loaded = load_text(text, str(app / "app.yaml"), base_dir=str(app))
    issues = host_access_issues(loaded, {str(app / "app.yaml"): text}, roots=[str(app)])
    assert [(issue.path, issue.line) for issue in issues] == [("spec.volumes[1].hostPath", 9)]
    assert f"{tmp_path / 'outside'} is outside the directories the daemon allows" in (
        issues[0].message
    )
    # A symlink inside the manifest's directory that leads out is followed, then refused.
    os.symlink("/etc", app / "etc-link")
    text = container("    - {hostPath: etc-link/ssl, mountPath: /ssl, createHostPath: true}\n")
    loaded = load_text(text, str(app / "app.yaml"), base_dir=str(app))
    [issue] = host_access_issues(loaded, roots=[str(app)])
    assert "leads to /etc/ssl" in issue.message


def test_new_mount_fields_load_and_dump() -> None:
    dumped = mounts_of(
        container(
            "    - hostPath: /srv/conf\n      mountPath: /conf\n      createHostPath: true\n"
            "      selinux: Z\n      propagation: rslave\n      readOnly: true\n"
            "    - tmpfs: {size: 64Mi, mode: '1777'}\n      mountPath: /run\n"
            "    - tmpfs: {}\n      mountPath: /tmp\n"
        )
    )
    assert dumped == [
        {
            "hostPath": "/srv/conf",
            "mountPath": "/conf",
            "readOnly": True,
            "createHostPath": True,
            "selinux": "Z",
            "propagation": "rslave",
        },
        {
            "tmpfs": {"size": "64Mi", "mode": "1777"},
            "mountPath": "/run",
            "readOnly": False,
            "createHostPath": False,
        },
        {"tmpfs": {}, "mountPath": "/tmp", "readOnly": False, "createHostPath": False},
    ]


@pytest.mark.parametrize(
    ("volumes", "path", "words"),
    [
        (
            "    - {hostPath: /a, mountPath: /a, selinux: y}\n",
            "spec.volumes[0].selinux",
            "'z' or 'Z'",
        ),
        (
            "    - {hostPath: /a, mountPath: /a, propagation: rshare}\n",
            "spec.volumes[0].propagation",
            "'rprivate', 'private', 'rshared', 'shared', 'rslave' or 'slave'",
        ),
        (
            "    - {volume: data, mountPath: /a, createHostPath: true, selinux: z}\n",
            "spec.volumes[0]",
            "createHostPath, selinux applies only to a hostPath mount",
        ),
        (
            "    - {tmpfs: {}, mountPath: /a, propagation: shared}\n",
            "spec.volumes[0]",
            "propagation applies only to a hostPath mount",
        ),
        (
            "    - {tmpfs: {}, volume: data, mountPath: /a}\n",
            "spec.volumes[0]",
            "exactly one of volume, hostPath or tmpfs",
        ),
        (
            "    - {tmpfs: {mode: 1777}, mountPath: /a}\n",
            "spec.volumes[0].tmpfs.mode",
            'octal text such as "1777" (got the number 1777',
        ),
        (
            "    - {tmpfs: {mode: '1787'}, mountPath: /a}\n",
            "spec.volumes[0].tmpfs.mode",
            "must be 3 or 4 octal digits",
        ),
        (
            "    - {tmpfs: {size: lots}, mountPath: /a}\n",
            "spec.volumes[0].tmpfs.size",
            "should match pattern",
        ),
        (
            "    - {hostPath: ~/data, mountPath: /a}\n",
            "spec.volumes[0].hostPath",
            "~ is not expanded",
        ),
        (
            "    - {hostPath: '/a:b', mountPath: /a, createHostPath: true}\n",
            "spec.volumes[0]",
            "contains ':', which createHostPath and selinux cannot take",
        ),
        (
            "    - {hostPath: /a, mountPath: '/a:b', selinux: z}\n",
            "spec.volumes[0]",
            "mountPath '/a:b' contains ':'",
        ),
    ],
)
def test_bad_mount_values_name_the_field(volumes: str, path: str, words: str) -> None:
    issue_path, message = only_issue(container(volumes))
    assert issue_path == path
    assert words in message


def test_a_colon_is_fine_in_a_plain_bind() -> None:
    assert mounts_of(container("    - {hostPath: '/a:b', mountPath: /a, readOnly: true}\n"))


BASE = {"image": "app:1", "volumes": [{"hostPath": "/srv/a", "mountPath": "/a"}]}


def test_new_mount_fields_change_the_hash_only_when_set() -> None:
    # The exact bytes of a mount without the new fields: what every existing container has.
    assert (
        spec_hash("Container", BASE)
        == hashlib.sha256(canonical_json(BASE).encode("utf-8")).hexdigest()
    )
    written_defaults = {
        **BASE,
        "volumes": [{**BASE["volumes"][0], "readOnly": False, "createHostPath": False}],
    }
    assert spec_hash("Container", written_defaults) == spec_hash("Container", BASE)
    hashes = {spec_hash("Container", BASE)}
    for extra in (
        {"createHostPath": True},
        {"selinux": "z"},
        {"selinux": "Z"},
        {"propagation": "rprivate"},
    ):
        changed = {**BASE, "volumes": [{**BASE["volumes"][0], **extra}]}
        hashes.add(spec_hash("Container", changed))
    tmpfs = [{"tmpfs": {}, "mountPath": "/a"}, {"tmpfs": {"size": "1Mi"}, "mountPath": "/a"}]
    hashes |= {spec_hash("Container", {"image": "app:1", "volumes": [mount]}) for mount in tmpfs}
    assert len(hashes) == 7

"""A compose project in a watched directory (sources.directory + sources.compose_project):
applied as its project's namespace with prune; its other files are the project's, not
manifests; read-only mounts are content-addressed copies; a bad compose file keeps what runs.

Docker Compose v2 (the compose extra) is the real normaliser here: `config` needs no engine.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dockform.manifests.models import Container
from dockform.manifests.policy import host_access_issues
from dockform.sources.directory import SETTLE_S, DirectorySync
from dockform.store.apply import Applier
from dockform.store.repository import Store

COMPOSE = """\
services:
  web:
    image: busybox
    command: ["httpd", "-f"]
    env_file: web.env
    environment:
      GREETING: ${GREETING:-hello}
    volumes:
      - ./conf:/etc/app:ro
      - ./data:/data
    depends_on: [db]
  db:
    image: busybox
"""


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "watched"
    app = root / "shop"
    (app / "conf").mkdir(parents=True)
    (app / "conf" / "app.conf").write_text("port=80\n")
    (app / "conf" / "rules.yaml").write_text("not: [a, manifest\n")  # the app's, not ours
    (app / "web.env").write_text("MODE=prod\n")
    (app / "compose.yaml").write_text(COMPOSE)
    return app


def _sync(applier: Applier, project: Path, clock: Clock | None = None) -> DirectorySync:
    return DirectorySync(
        applier,
        [str(project.parent)],
        content_root=project.parent.parent / "content",
        clock=clock or Clock(),
    )


def _web(store: Store) -> Container:
    resource = store.get("Container", "web", "shop")
    assert resource is not None
    return Container.model_validate(
        {"apiVersion": "dockform/v1", "kind": "Container", "metadata": {"name": "web"},
         "spec": resource.spec}
    )  # fmt: skip


def test_a_compose_project_is_applied_as_its_namespace(
    applier: Applier, store: Store, project: Path
) -> None:
    sync = _sync(applier, project)
    compose = str(project / "compose.yaml")

    outcome = sync.sync(compose)

    assert (outcome.source, outcome.action) == ("dir:shop/compose.yaml", "applied"), outcome
    record = store.get_source("dir:shop/compose.yaml")
    assert record is not None and record.last_error is None
    assert sorted(record.objects) == [
        "Container/shop/db",
        "Container/shop/web",
        "Image/shop/busybox",
        "Network/shop/default",
    ]
    web = _web(store)
    assert web.spec.env["MODE"] == "prod" and web.spec.env["GREETING"] == "hello"
    conf, data = web.spec.volumes
    content = str(project.parent.parent / "content")
    assert conf.host_path is not None and conf.host_path.startswith(content + "/")
    assert (Path(conf.host_path) / "app.conf").read_text() == "port=80\n"
    assert data.host_path == str(project / "data")  # writable: the app's state, live
    assert sync.sync(compose).action == "unchanged"


def test_every_file_of_the_project_leads_to_its_compose_file(
    applier: Applier, project: Path
) -> None:
    sync = _sync(applier, project)
    compose = str(project / "compose.yaml")
    sync.sync(compose)

    assert sync.key_of(str(project / "web.env")) == compose
    assert sync.key_of(str(project / "conf" / "rules.yaml")) == compose
    assert sync.key_of(str(project / "data" / "base" / "1")) is None  # its state
    assert sync.walk(str(project.parent)) == [compose]
    assert sync.source_of(str(project / "conf" / "rules.yaml")) == "dir:shop/compose.yaml"


def test_an_env_file_change_replaces_only_what_it_changes(
    applier: Applier, store: Store, project: Path
) -> None:
    sync = _sync(applier, project)
    compose = str(project / "compose.yaml")
    sync.sync(compose)
    db_version = store.get("Container", "db", "shop").resource_version  # type: ignore[union-attr]

    (project / "web.env").write_text("MODE=staging\n")
    outcome = sync.sync(compose)

    assert outcome.action == "applied" and outcome.message == "Container/web configured"
    assert _web(store).spec.env["MODE"] == "staging"
    assert store.get("Container", "db", "shop").resource_version == db_version  # type: ignore[union-attr]


def test_a_changed_mounted_file_is_a_new_copy_and_an_unchanged_one_is_not(
    applier: Applier, store: Store, project: Path
) -> None:
    sync = _sync(applier, project)
    compose = str(project / "compose.yaml")
    sync.sync(compose)
    first = _web(store).spec.volumes[0].host_path

    (project / "web.env").write_text("MODE=prod\n")  # rewritten, same bytes
    assert sync.sync(compose).action == "unchanged"
    (project / "conf" / "app.conf").write_text("port=8080\n")
    assert sync.sync(compose).message == "Container/web configured"

    second = _web(store).spec.volumes[0].host_path
    assert second != first and (Path(str(second)) / "app.conf").read_text() == "port=8080\n"
    assert os.path.isdir(str(first))  # kept a while: the old container may still run on it


def test_a_bad_compose_file_is_a_source_error_and_keeps_what_runs(
    applier: Applier, store: Store, project: Path
) -> None:
    clock = Clock()
    sync = _sync(applier, project, clock)
    compose = project / "compose.yaml"
    sync.sync(str(compose))

    compose.write_text(COMPOSE.replace("image: busybox\n", "image: busybox\n    bogus: 1\n", 1))
    outcome = sync.sync(str(compose))

    assert outcome.action == "invalid"
    assert "compose.yaml" in outcome.message and "bogus" in outcome.message
    record = store.get_source("dir:shop/compose.yaml")
    assert record is not None and record.last_error is not None and "bogus" in record.last_error
    assert len(record.objects) == 4
    assert store.get("Container", "web", "shop") is not None
    events = store.list_events(kind="Source", name="dir:shop/compose.yaml")
    assert events[-1].type == "Warning" and "keep their last good version" in events[-1].message

    compose.write_text(COMPOSE.replace("${GREETING:-hello}", "${GREETING:?set GREETING}"))
    outcome = sync.sync(str(compose))
    assert outcome.action == "invalid" and "set GREETING" in outcome.message


def test_a_removed_service_is_pruned_and_a_removed_file_deletes_the_project(
    applier: Applier, store: Store, project: Path
) -> None:
    clock = Clock()
    sync = _sync(applier, project, clock)
    compose = project / "compose.yaml"
    sync.sync(str(compose))

    compose.write_text(COMPOSE.split("  db:")[0].replace("    depends_on: [db]\n", ""))
    assert sync.sync(str(compose)).action == "settling"
    clock.now += SETTLE_S
    outcome = sync.sync(str(compose))
    assert outcome.action == "applied" and "Container/db pruned" in outcome.message

    compose.unlink()
    outcome = sync.sync(str(compose))
    assert outcome.action == "deleted" and "Container/web" in outcome.message
    assert all(
        resource is None or resource.deleting
        for resource in (
            store.get("Container", "web", "shop"),
            store.get("Network", "default", "shop"),
        )
    )


def test_a_manifest_file_that_a_new_compose_file_takes_in_hands_its_objects_back(
    applier: Applier, store: Store, tmp_path: Path
) -> None:
    root = tmp_path / "watched"
    (root / "app").mkdir(parents=True)
    manifest = root / "app" / "extra.yaml"
    manifest.write_text(
        "apiVersion: dockform/v1\nkind: Container\nmetadata: {name: extra}\nspec: {image: x}\n"
    )
    sync = DirectorySync(applier, [str(root)], content_root=tmp_path / "content")
    sync.sync(str(manifest))
    assert store.get_source("dir:app/extra.yaml") is not None

    (root / "app" / "compose.yaml").write_text("services:\n  one:\n    image: busybox\n")
    outcome = sync.sync(str(manifest))

    assert outcome.action == "deleted"
    assert store.get("Container", "extra").deleting  # type: ignore[union-attr]
    assert sync.sync(str(root / "app" / "compose.yaml")).action == "applied"


def test_host_access_is_checked_with_the_copies_allowed(
    applier: Applier, store: Store, project: Path
) -> None:
    def check(loaded, texts, roots):  # type: ignore[no-untyped-def]
        return host_access_issues(loaded, texts, roots)

    sync = DirectorySync(
        applier,
        [str(project.parent)],
        check=check,
        content_root=project.parent.parent / "content",
    )
    assert sync.sync(str(project / "compose.yaml")).action == "applied"

    (project / "compose.yaml").write_text(COMPOSE + "    volumes: ['/etc:/host-etc']\n")
    outcome = sync.sync(str(project / "compose.yaml"))
    assert outcome.action == "invalid" and "/etc" in outcome.message

"""POST /v1/apply and /v1/diff: results, dry runs, prune, ownership, versions, host access,
what the controller hears, and a failing store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from dockform.api.app import create_app
from dockform.api.deps import AppState
from dockform.api.server import LocalListener, TokenAuth
from dockform.manifests.namespaces import key
from dockform.store.apply import Applier
from dockform.store.db import create_engine_for
from dockform.store.repository import Store
from tests.changes import Changes

MakeDoc = Callable[..., str]


def apply(client: TestClient, body: str, **params: Any) -> Any:
    response = client.post("/v1/apply", content=body, params=params)
    return response


def actions(response: Any) -> dict[str, str]:
    assert response.status_code == 200, response.text
    return {f"{r['kind']}/{r['name']}": r["action"] for r in response.json()["results"]}


def test_created_unchanged_configured(client: TestClient, container_doc: MakeDoc) -> None:
    assert actions(apply(client, container_doc("web"))) == {"Container/web": "created"}
    again = apply(client, container_doc("web"))
    assert actions(again) == {"Container/web": "unchanged"}
    assert again.json()["changed"] is False
    changed = apply(client, container_doc("web", "  env: {A: b}\n"))
    assert actions(changed) == {"Container/web": "configured"}
    assert changed.json()["results"][0]["generation"] == 2


def test_json_bodies_object_array_and_items(client: TestClient) -> None:
    one = '{"apiVersion": "dockform/v1", "kind": "Volume", "metadata": {"name": "a"}}'
    headers = {"Content-Type": "application/json"}
    response = client.post("/v1/apply", content=one, headers=headers)
    assert actions(response) == {"Volume/a": "created"}
    other = one.replace('"a"', '"b"')
    many = f"[{one}, {other}]"
    assert actions(client.post("/v1/apply", content=many, headers=headers)) == {
        "Volume/a": "unchanged",
        "Volume/b": "created",
    }
    listed = f'{{"kind": "List", "items": [{one}]}}'
    assert actions(client.post("/v1/apply", content=listed, headers=headers)) == {
        "Volume/a": "unchanged"
    }


def test_dry_run_writes_nothing(client: TestClient, store: Store, container_doc: MakeDoc) -> None:
    apply(client, container_doc("web"))
    store.record_event("Container", "web", "Normal", "Created", "made")
    before = store.get("Container", "web")
    events_before = store.list_events()
    sources_before = store.list_sources()
    body = container_doc("web", "  env: {A: b}\n") + "---\n" + container_doc("other")
    response = apply(client, body, dryRun="true", prune="true")
    assert actions(response) == {"Container/web": "configured", "Container/other": "created"}
    assert response.json()["dryRun"] is True
    after = store.get("Container", "web")
    assert after is not None and before is not None
    assert after.resource_version == before.resource_version
    assert after.spec == before.spec
    assert store.get("Container", "other") is None
    assert store.list_events() == events_before
    assert store.list_sources() == sources_before


def test_diff_reports_old_and_new_and_writes_nothing(
    client: TestClient, store: Store, container_doc: MakeDoc
) -> None:
    apply(client, container_doc("web", labels="{app: web}"))
    version = store.get("Container", "web").resource_version  # type: ignore[union-attr]
    body = container_doc("web", "  env: {A: b}\n", labels="{app: web}") + "---\n"
    body += container_doc("new")
    response = client.post("/v1/diff", content=body)
    assert response.status_code == 200, response.text
    results = {r["name"]: r for r in response.json()["results"]}
    assert results["web"]["action"] == "configured"
    assert results["web"]["old"]["env"] == {} and results["web"]["new"]["env"] == {"A": "b"}
    assert results["web"]["oldMetadata"]["labels"] == {"app": "web"}
    assert results["web"]["newMetadata"]["source"] == "cli"
    assert results["new"]["action"] == "created" and results["new"]["old"] is None
    assert results["new"]["oldMetadata"] is None
    assert store.get("Container", "new") is None
    assert store.get("Container", "web").resource_version == version  # type: ignore[union-attr]


def test_prune_deletes_only_the_sources_absent_objects(
    client: TestClient, store: Store, volume_doc: MakeDoc
) -> None:
    source = "dir:/srv/app.yaml"
    apply(client, volume_doc("a") + "---\n" + volume_doc("b"), source=source)
    apply(client, volume_doc("other"))  # source cli: never pruned by dir:...
    pruned = apply(client, volume_doc("a"), source=source, prune="true")
    assert actions(pruned) == {"Volume/a": "unchanged", "Volume/b": "pruned"}
    assert store.get("Volume", "b").deleting  # type: ignore[union-attr]
    assert not store.get("Volume", "other").deleting  # type: ignore[union-attr]


def test_prune_to_an_empty_set_needs_allow_empty(client: TestClient, volume_doc: MakeDoc) -> None:
    apply(client, volume_doc("a"), source="git:prod")
    refused = apply(client, "", source="git:prod", prune="true")
    assert refused.status_code == 400
    assert "allow-empty" in refused.json()["error"] and "git:prod" in refused.json()["error"]
    allowed = apply(client, "", source="git:prod", prune="true", allowEmpty="true")
    assert actions(allowed) == {"Volume/a": "pruned"}


def test_object_of_another_source_is_a_conflict_unless_forced(
    client: TestClient, store: Store, volume_doc: MakeDoc
) -> None:
    apply(client, volume_doc("shared"), source="git:prod")
    # The owner's exact content is no conflict: unchanged, and the owner stays.
    assert actions(apply(client, volume_doc("shared"))) == {"Volume/shared": "unchanged"}
    assert store.get("Volume", "shared").source == "git:prod"  # type: ignore[union-attr]
    changed = volume_doc("shared") + "spec: {reclaimPolicy: Delete}\n"
    refused = apply(client, changed)
    assert refused.status_code == 409
    assert "owned by source git:prod" in refused.json()["error"]
    assert "--force" in refused.json()["error"]
    assert actions(apply(client, changed, force="true")) == {"Volume/shared": "configured"}
    assert store.get("Volume", "shared").source == "cli"  # type: ignore[union-attr]


def test_stale_resource_version_is_a_conflict(client: TestClient, container_doc: MakeDoc) -> None:
    apply(client, container_doc("web"))
    stale = container_doc("web", "  env: {A: b}\n").replace(
        "labels: {}}", "labels: {}, resourceVersion: 7}"
    )
    refused = apply(client, stale)
    assert refused.status_code == 409
    assert "resourceVersion 1" in refused.json()["error"]
    current = stale.replace("resourceVersion: 7", "resourceVersion: 1")
    assert actions(apply(client, current)) == {"Container/web": "configured"}


def test_host_access_is_refused_with_file_line_and_field(
    client: TestClient, store: Store, container_doc: MakeDoc
) -> None:
    body = container_doc(
        "root",
        "  privileged: true\n"
        "  hostNetwork: true\n"
        "  volumes:\n"
        "  - {hostPath: /srv/data, mountPath: /data}\n"
        "  - {hostPath: /etc/ssl/../, mountPath: /host-etc}\n",
    )
    response = client.post("/v1/apply", content=body, headers={"X-Dockform-Filename": "root.yaml"})
    assert response.status_code == 403
    issues = response.json()["issues"]
    # Host paths are an allowlist: /srv/data is outside every allowed directory too.
    assert [(i["path"], i["line"]) for i in issues] == [
        ("spec.privileged", 6),
        ("spec.hostNetwork", 7),
        ("spec.volumes[0].hostPath", 9),
        ("spec.volumes[1].hostPath", 10),
    ]
    assert "'/srv/data'" in issues[2]["message"]
    assert all(i["file"] == "root.yaml" and i["document"] == 1 for i in issues)
    assert "--allow-host-access" in response.json()["error"]
    assert store.get("Container", "root") is None
    # A dry run and a diff refuse it too: they run the same code.
    assert apply(client, body, dryRun="true").status_code == 403
    assert client.post("/v1/diff", content=body).status_code == 403


def test_host_access_is_accepted_when_the_daemon_allows_it(
    client: TestClient, state: AppState, container_doc: MakeDoc
) -> None:
    state.allow_host_access = True
    body = container_doc(
        "root",
        "  hostPID: true\n  volumes:\n  - {hostPath: /var/run/docker.sock, mountPath: /s}\n",
    )
    assert actions(apply(client, body)) == {"Container/root": "created"}


def test_a_bad_document_writes_nothing(
    client: TestClient, store: Store, container_doc: MakeDoc
) -> None:
    body = container_doc("good") + "---\n" + container_doc("bad", "  colour: blue\n")
    response = apply(client, body)
    assert response.status_code == 422
    issue = response.json()["issues"][0]
    assert (issue["document"], issue["line"], issue["path"]) == (2, 12, "spec.colour")
    assert store.get("Container", "good") is None


def test_relative_image_paths_are_refused(client: TestClient) -> None:
    body = (
        "apiVersion: dockform/v1\nkind: Image\nmetadata: {name: app}\n"
        "spec: {ref: app:1, build: {context: ./app}}\n"
    )
    response = apply(client, body)
    assert response.status_code == 422
    assert response.json()["issues"][0]["path"] == "spec.build.context"


def test_relative_host_paths_are_refused(client: TestClient, store: Store) -> None:
    body = (
        "apiVersion: dockform/v1\nkind: Container\nmetadata: {name: web}\nspec:\n"
        "  image: app:1\n  volumes:\n    - {hostPath: /srv/ok, mountPath: /ok}\n"
        "    - {hostPath: ./data, mountPath: /data}\n"
    )
    response = apply(client, body)
    assert response.status_code == 422
    [issue] = response.json()["issues"]
    assert issue["path"] == "spec.volumes[1].hostPath"
    assert "'./data' is relative; through the API it must be absolute" in issue["message"]
    assert store.get("Container", "web") is None


def test_the_controller_hears_each_committed_write_once_and_no_dry_run(
    client: TestClient, state: AppState, store: Store, volume_doc: MakeDoc
) -> None:
    changes = Changes()
    state.applier = Applier(store, on_change=changes)
    two = volume_doc("a") + "---\n" + volume_doc("b")

    apply(client, two, dryRun="true")
    client.post("/v1/diff", content=two)
    apply(client, two)
    apply(client, two)  # unchanged
    client.delete("/v1/volumes/a")
    client.delete("/v1/volumes/a")  # already being deleted
    apply(client, volume_doc("b"), prune="true")

    assert changes.calls == [
        [key("Volume", "a"), key("Volume", "b")],
        [key("Volume", "a")],
    ]


def test_a_failing_store_is_503(tmp_path: Path, volume_doc: MakeDoc) -> None:
    broken = Store(create_engine_for(f"sqlite:///{tmp_path}/missing/dir/dockform.db"))
    state = AppState(store=broken, applier=Applier(broken, on_change=Changes()))
    try:
        with TestClient(create_app(state)) as client:
            applied = apply(client, volume_doc("a"))
            listed = client.get("/v1/volumes")
    finally:
        broken.close()

    assert (applied.status_code, listed.status_code) == (503, 503)
    assert "the store is not available: unable to open database file" in applied.json()["error"]


def test_the_apply_root_allows_host_paths_below_it(
    state: AppState, store: Store, container_doc: MakeDoc, tmp_path: Path
) -> None:
    body = container_doc("root", f"  volumes:\n  - {{hostPath: {tmp_path}/data, mountPath: /d}}\n")
    with TestClient(LocalListener(create_app(state))) as local:
        assert apply(local, body).status_code == 403  # no root: outside every directory
        answer = local.post("/v1/apply", content=body, params={"root": str(tmp_path)})
        assert answer.status_code == 200, answer.text
        for root in ("/", "/var", "/proc"):
            refused = local.post("/v1/apply", content=body, params={"root": root})
            assert refused.status_code == 403 and "root" in refused.json()["error"]
    assert store.get("Container", "root") is not None


def test_the_apply_root_needs_the_socket_or_the_token(
    state: AppState, container_doc: MakeDoc, tmp_path: Path
) -> None:
    body = container_doc("root", f"  volumes:\n  - {{hostPath: {tmp_path}/data, mountPath: /d}}\n")
    with TestClient(create_app(state)) as anonymous:
        refused = anonymous.post("/v1/apply", content=body, params={"root": str(tmp_path)})
        assert refused.status_code == 403
        assert "unix socket or with the bearer token" in refused.json()["error"]
    token = "t" * 43
    with TestClient(TokenAuth(create_app(state), token)) as remote:
        answer = remote.post(
            "/v1/apply",
            content=body,
            params={"root": str(tmp_path)},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 200, answer.text


def test_the_daemons_roots_always_apply(
    state: AppState, client: TestClient, container_doc: MakeDoc, tmp_path: Path
) -> None:
    state.host_path_roots = [str(tmp_path)]
    body = container_doc("root", f"  volumes:\n  - {{hostPath: {tmp_path}/data, mountPath: /d}}\n")
    assert actions(apply(client, body)) == {"Container/root": "created"}
    leak = container_doc(
        "leak", f"  volumes:\n  - {{hostPath: {tmp_path}/../etc, mountPath: /d}}\n"
    )
    assert apply(client, leak).status_code == 403

"""Reads and the rest: resources, events (and their SSE stream), logs, sources, system routes,
metrics and the OpenAPI document."""

from __future__ import annotations

import json
from collections.abc import Callable

from fastapi.testclient import TestClient

from dockform.api.deps import AppState
from dockform.runtime.fake import FakeRuntime
from dockform.runtime.types import ContainerCreate, managed_labels
from dockform.store.repository import Store

MakeDoc = Callable[..., str]


def test_list_get_and_label_selectors(client: TestClient, container_doc: MakeDoc) -> None:
    body = container_doc("web", labels="{app: shop, tier: front}")
    body += "---\n" + container_doc("db", labels="{app: shop, tier: back}")
    assert client.post("/v1/apply", content=body).status_code == 200
    names = lambda query: [i["name"] for i in client.get(f"/v1/containers{query}").json()["items"]]  # noqa: E731
    assert names("") == ["db", "web"]
    assert names("?label=app=shop") == ["db", "web"]
    assert names("?label=app=shop,tier=front") == ["web"]
    assert names("?label=app=shop&label=tier=back") == ["db"]
    assert names("?label=app=other") == []
    one = client.get("/v1/containers/web").json()
    assert one["kind"] == "Container" and one["resourceVersion"] == 1
    assert one["status"]["phase"] == "Pending"


def test_any_spelling_of_a_kind_is_accepted(client: TestClient, volume_doc: MakeDoc) -> None:
    client.post("/v1/apply", content=volume_doc("data"))
    for kinds in ("volumes", "Volume", "volume", "VOLUMES"):
        assert client.get(f"/v1/{kinds}/data").status_code == 200
        assert client.get(f"/v1/{kinds}").json()["kind"] == "Volume"
    unknown = client.get("/v1/widgets")
    assert unknown.status_code == 404
    assert "known kinds: configs, containers" in unknown.json()["error"]


def test_delete_is_accepted_and_marks_the_object(
    client: TestClient, store: Store, volume_doc: MakeDoc
) -> None:
    client.post("/v1/apply", content=volume_doc("data"))
    response = client.delete("/v1/volumes/data")
    assert response.status_code == 202
    assert response.json()["status"] == "deleting"
    assert response.json()["resource"]["deletionRequestedAt"]
    assert store.get("Volume", "data").deleting  # type: ignore[union-attr]


def test_events_filter_and_cursor(client: TestClient, store: Store) -> None:
    store.record_event("Container", "web", "Normal", "Created", "one")
    store.record_event("Container", "db", "Warning", "Failed", "two")
    store.record_event("Container", "web", "Normal", "Started", "three")
    items = client.get("/v1/events").json()["items"]
    assert [e["message"] for e in items] == ["one", "two", "three"]
    web = client.get("/v1/events", params={"kind": "containers", "name": "web"}).json()["items"]
    assert [e["message"] for e in web] == ["one", "three"]
    after = client.get("/v1/events", params={"sinceId": items[0]["id"]}).json()["items"]
    assert [e["message"] for e in after] == ["two", "three"]


def test_events_of_watched_files_filter_as_source(client: TestClient, store: Store) -> None:
    store.record_event("Source", "dir:app.yaml", "Warning", "Invalid", "bad file")
    store.record_event("Container", "web", "Normal", "Created", "made")
    for kind in ("Source", "sources"):
        items = client.get("/v1/events", params={"kind": kind}).json()["items"]
        assert [e["message"] for e in items] == ["bad file"]


def sse_messages(text: str) -> list[dict[str, object]]:
    blocks = [block for block in text.split("\n\n") if "data: " in block]
    return [json.loads(block.split("data: ", 1)[1]) for block in blocks]


def test_events_follow_streams_backlog_then_new(
    client: TestClient, store: Store, state: AppState
) -> None:
    store.record_event("Container", "web", "Normal", "Created", "before")
    events_before = store.list_events()

    # The stream ends after AppState.stream_limit_s; record while it runs.
    import threading

    def later() -> None:
        store.record_event("Container", "web", "Normal", "Started", "during")
        store.record_event("Container", "db", "Normal", "Started", "elsewhere")

    timer = threading.Timer(0.1, later)
    timer.start()
    response = client.get("/v1/events", params={"follow": "true", "name": "web"})
    timer.join()
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    messages = sse_messages(response.text)
    assert [m["message"] for m in messages] == ["before", "during"]
    assert f"id: {events_before[0].id}\n" in response.text
    assert ": keepalive" in response.text  # heartbeat_s is 0.1 in these tests


def test_events_follow_resumes_from_last_event_id(client: TestClient, store: Store) -> None:
    store.record_event("Volume", "a", "Normal", "Created", "first")
    store.record_event("Volume", "a", "Normal", "Removed", "second")
    first = store.list_events()[0]
    response = client.get(
        "/v1/events", params={"follow": "true"}, headers={"Last-Event-ID": str(first.id)}
    )
    assert [m["message"] for m in sse_messages(response.text)] == ["second"]


def test_logs_come_through_the_controller(
    client: TestClient, runtime: FakeRuntime, container_doc: MakeDoc
) -> None:
    client.post("/v1/apply", content=container_doc("web"))
    missing = client.get("/v1/containers/web/logs")
    assert missing.status_code == 404
    assert "has no container in Docker" in missing.json()["error"]
    runtime.add_image("busybox")
    container_id = runtime.create_container(
        ContainerCreate(name="web", image="busybox", labels=managed_labels("Container", "web", "h"))
    )
    runtime.set_logs(container_id, b"one\ntwo\nthree\n")
    assert client.get("/v1/containers/web/logs").text == "one\ntwo\nthree\n"
    assert client.get("/v1/containers/web/logs", params={"tail": 1}).text == "three\n"
    followed = client.get("/v1/containers/web/logs", params={"follow": "true"})
    assert followed.text == "one\ntwo\nthree\n"


def test_a_jobs_logs_are_read_in_its_namespace(client: TestClient, runtime: FakeRuntime) -> None:
    """`/v1/namespaces/shop/jobs/seed/logs` reads shop_seed's output, labelled as Job/shop/seed."""
    job = (
        "apiVersion: dockform/v1\nkind: Job\nmetadata: {name: seed, namespace: shop}\n"
        "spec: {image: busybox, command: ['true']}\n"
    )
    assert client.post("/v1/apply", content=job).status_code == 200
    missing = client.get("/v1/namespaces/shop/jobs/seed/logs")
    assert missing.status_code == 404
    assert "Job/shop/seed has no container in Docker" in missing.json()["error"]
    assert "`dockform describe job/seed -n shop`" in missing.json()["error"]
    assert client.get("/v1/jobs/seed/logs").status_code == 404  # none in default
    runtime.add_image("busybox")
    container_id = runtime.create_container(
        ContainerCreate(
            name="shop_seed", image="busybox", labels=managed_labels("Job", "seed", "h", "shop")
        )
    )
    runtime.set_logs(container_id, b"seeded\n")
    assert client.get("/v1/namespaces/shop/jobs/seed/logs").text == "seeded\n"


def test_logs_without_a_controller_are_503(
    client: TestClient, state: AppState, container_doc: MakeDoc
) -> None:
    client.post("/v1/apply", content=container_doc("web"))
    state.controller = None
    response = client.get("/v1/containers/web/logs")
    assert response.status_code == 503


def test_sources_list_who_applied_what(client: TestClient, volume_doc: MakeDoc) -> None:
    client.post("/v1/apply", content=volume_doc("a"), params={"source": "git:prod"})
    client.post("/v1/apply", content=volume_doc("b"))
    sources = {s["name"]: s for s in client.get("/v1/sources").json()["items"]}
    assert sources["git:prod"]["objects"] == ["Volume/a"]
    assert sources["git:prod"]["type"] == "git"
    assert sources["cli"]["objects"] == ["Volume/b"]


def test_health_readiness_and_version(client: TestClient, runtime: FakeRuntime) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    single = {"role": "single", "holder": None, "leader": None, "term": 0, "error": None}
    assert client.get("/readyz").json() == {
        "status": "ok",
        "store": True,
        "docker": True,
        "leadership": single,
    }
    runtime.set_available(False)
    not_ready = client.get("/readyz")
    assert not_ready.status_code == 503 and not_ready.json()["docker"] is False
    version = client.get("/version").json()
    assert version["version"] == "9.9.9" and version["leadership"] == single


def test_metrics_name_every_family(client: TestClient, container_doc: MakeDoc) -> None:
    client.post("/v1/apply", content=container_doc("web"))
    client.post("/v1/apply", content="kind: [")
    client.delete("/v1/containers/web")
    text = client.get("/metrics").text
    for family in (
        "dockform_reconciles_total",
        "dockform_reconcile_duration_seconds",
        "dockform_queue_depth",
        "dockform_queue_pending",
        "dockform_docker_api_errors_total",
        "dockform_apply_requests_total",
        "dockform_objects",
    ):
        assert f"# TYPE {family} " in text, family
    assert 'dockform_apply_requests_total{code="200",endpoint="apply"}' in text
    assert 'dockform_apply_requests_total{code="422",endpoint="apply"}' in text
    assert 'dockform_objects{kind="Container",phase="Terminating"} 1.0' in text


def test_openapi_describes_every_route_and_the_token(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    paths = document["paths"]
    for path, method in (
        ("/v1/{kinds}", "get"),
        ("/v1/{kinds}/{name}", "get"),
        ("/v1/{kinds}/{name}", "delete"),
        ("/v1/apply", "post"),
        ("/v1/diff", "post"),
        ("/v1/events", "get"),
        ("/v1/containers/{name}/logs", "get"),
        ("/v1/sources", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/metrics", "get"),
        ("/version", "get"),
    ):
        operation = paths[path][method]
        assert "200" in operation["responses"] or "202" in operation["responses"]
        assert operation["security"] == ([] if path == "/healthz" else [{"bearerAuth": []}])
    assert "requestBody" in paths["/v1/apply"]["post"]
    assert client.get("/docs").status_code == 200

"""The namespaced API: /v1/namespaces/{namespace}/{kinds}[/{name}] beside /v1/{kinds} (which
means `default`), lists across namespaces, GET and DELETE /v1/namespaces, events and logs."""

from __future__ import annotations

from fastapi.testclient import TestClient

from dockform.store.repository import Store


def _volume(name: str, namespace: str | None = None) -> str:
    meta = f"{{name: {name}" + (f", namespace: {namespace}}}" if namespace else "}")
    return f"apiVersion: dockform/v1\nkind: Volume\nmetadata: {meta}\n"


def _container(name: str, namespace: str) -> str:
    return (
        "apiVersion: dockform/v1\nkind: Container\n"
        f"metadata: {{name: {name}, namespace: {namespace}}}\nspec: {{image: busybox:test}}\n"
    )


def _apply(client: TestClient, *docs: str) -> dict[str, object]:
    response = client.post("/v1/apply", content="---\n".join(docs))
    assert response.status_code == 200, response.text
    return response.json()


def test_each_namespace_has_its_own_db_and_the_short_paths_mean_default(
    client: TestClient,
) -> None:
    body = _apply(client, _volume("db"), _volume("db", "shop"), _volume("db", "blog"))
    assert sorted((r["namespace"], r["action"]) for r in body["results"]) == [  # type: ignore[index, union-attr]
        ("blog", "created"),
        ("default", "created"),
        ("shop", "created"),
    ]

    default = client.get("/v1/volumes").json()["items"]
    assert [(item["namespace"], item["name"]) for item in default] == [("default", "db")]
    shop = client.get("/v1/namespaces/shop/volumes").json()["items"]
    assert [(item["namespace"], item["name"]) for item in shop] == [("shop", "db")]
    every = client.get("/v1/volumes", params={"allNamespaces": "true"}).json()["items"]
    assert [item["namespace"] for item in every] == ["blog", "default", "shop"]

    one = client.get("/v1/namespaces/shop/volumes/db")
    assert one.status_code == 200 and one.json()["namespace"] == "shop"
    assert client.get("/v1/volumes/db").json()["namespace"] == "default"
    missing = client.get("/v1/namespaces/nope/volumes/db")
    assert missing.status_code == 404
    assert "Volume/nope/db not found" in missing.json()["error"]


def test_delete_in_a_namespace_leaves_the_others(client: TestClient, store: Store) -> None:
    _apply(client, _volume("db"), _volume("db", "shop"))

    response = client.delete("/v1/namespaces/shop/volumes/db")

    assert response.status_code == 202
    assert response.json()["namespace"] == "shop"
    shop = store.get("Volume", "db", "shop")
    assert shop is not None and shop.deleting
    default = store.get("Volume", "db")
    assert default is not None and not default.deleting


def test_namespaces_are_listed_with_counts_by_phase_and_deleted_whole(
    client: TestClient, store: Store
) -> None:
    _apply(client, _volume("db"), _container("web", "shop"), _volume("data", "shop"))

    listed = client.get("/v1/namespaces").json()["items"]
    assert [(ns["name"], ns["objects"]) for ns in listed] == [("default", 1), ("shop", 3)]
    assert sum(listed[1]["phases"].values()) == 3

    response = client.delete("/v1/namespaces/shop")

    assert response.status_code == 202, response.text
    assert response.json()["objects"] == ["Container/web", "Network/default", "Volume/data"]
    assert all(resource.deleting for resource in store.list(namespace="shop"))
    assert client.delete("/v1/namespaces/nothing").status_code == 404


def test_an_engine_name_clash_is_a_409_naming_both(client: TestClient) -> None:
    _apply(client, _volume("shop_db"))

    response = client.post("/v1/apply", content=_volume("db", "shop"))

    assert response.status_code == 409
    assert "Volume/shop_db" in response.json()["error"]
    assert "Volume/shop/db" in response.json()["error"]


def test_events_filter_by_namespace(client: TestClient, store: Store) -> None:
    store.record_event("Volume", "db", "Normal", "Created", "in shop", namespace="shop")
    store.record_event("Volume", "db", "Normal", "Created", "in default")

    shop = client.get("/v1/namespaces/shop/events").json()["items"]
    assert [event["message"] for event in shop] == ["in shop"]
    by_query = client.get("/v1/events", params={"namespace": "default"}).json()["items"]
    assert [event["message"] for event in by_query] == ["in default"]
    assert len(client.get("/v1/events").json()["items"]) == 2


def test_namespaced_routes_are_in_the_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/v1/namespaces",
        "/v1/namespaces/{namespace}",
        "/v1/namespaces/{namespace}/{kinds}",
        "/v1/namespaces/{namespace}/{kinds}/{name}",
        "/v1/namespaces/{namespace}/events",
        "/v1/namespaces/{namespace}/containers/{name}/logs",
        "/v1/jobs/{name}/logs",
        "/v1/namespaces/{namespace}/jobs/{name}/logs",
        "/v1/namespaces/{namespace}/gitsources/{name}/sync",
    ):
        assert path in paths, path

"""The response cache never serves an answer older than the store."""

from __future__ import annotations

from fastapi.testclient import TestClient

from dockform.api.response_cache import ResponseCache
from dockform.store.apply import Applier
from dockform.store.repository import Store
from dockform.store.types import ResourceStatus
from tests.unit.api.conftest import MakeDoc


def names(client: TestClient, path: str = "/v1/volumes") -> list[str]:
    response = client.get(path)
    assert response.status_code == 200
    return [item["name"] for item in response.json()["items"]]


def test_lists_follow_applies_deletions_and_status_writes(
    applier: Applier, client: TestClient, store: Store, volume_doc: MakeDoc
) -> None:
    assert names(client) == []
    client.post("/v1/apply", content=volume_doc("a"))
    assert names(client) == ["a"]
    assert names(client) == ["a"]  # served again from the cache
    client.post("/v1/apply", content=volume_doc("b"))
    assert names(client) == ["a", "b"]
    store.write_status("Volume", "a", ResourceStatus(phase="Ready", reason="Created"))
    phases = {i["name"]: i["status"]["phase"] for i in client.get("/v1/volumes").json()["items"]}
    assert phases == {"a": "Ready", "b": "Pending"}
    applier.request_deletion("Volume", "b")
    deleting = [i for i in client.get("/v1/volumes").json()["items"] if i["deletionRequestedAt"]]
    assert [i["name"] for i in deleting] == ["b"]


def test_selectors_and_kinds_are_cached_apart(client: TestClient, volume_doc: MakeDoc) -> None:
    client.post(
        "/v1/apply", content=volume_doc("a").replace("{name: a}", "{name: a, labels: {t: x}}")
    )
    client.post("/v1/apply", content=volume_doc("b"))
    assert names(client, "/v1/volumes?label=t=x") == ["a"]
    assert names(client) == ["a", "b"]
    assert names(client, "/v1/networks") == []


def test_cache_renders_again_only_when_the_version_moves() -> None:
    cache = ResponseCache(max_entries=8)
    renders: list[int] = []

    def render(value: int) -> bytes:
        renders.append(value)
        return str(value).encode()

    assert cache.get_or_render(("Volume", ()), 1, lambda: render(1)) == b"1"
    assert cache.get_or_render(("Volume", ()), 1, lambda: render(2)) == b"1"
    assert cache.get_or_render(("Volume", ()), 2, lambda: render(3)) == b"3"
    assert renders == [1, 3]


def test_cache_keeps_the_most_recently_used_entries() -> None:
    cache = ResponseCache(max_entries=2)
    cache.store("a", 1, b"a")
    cache.store("b", 1, b"b")
    assert cache.lookup("a", 1) == b"a"  # "a" is now the most recently used
    cache.store("c", 1, b"c")
    assert cache.lookup("b", 1) is None
    assert cache.lookup("a", 1) == b"a"
    assert cache.lookup("c", 1) == b"c"
    assert cache.lookup("c", 2) is None


def test_get_follows_status_writes_applies_and_deletions(
    applier: Applier, client: TestClient, store: Store, volume_doc: MakeDoc
) -> None:
    assert client.get("/v1/volumes/a").status_code == 404
    client.post("/v1/apply", content=volume_doc("a"))
    assert client.get("/v1/volumes/a").json()["status"]["phase"] == "Pending"
    assert client.get("/v1/volumes/a").json()["status"]["phase"] == "Pending"  # cached
    store.write_status("Volume", "a", ResourceStatus(phase="Ready", reason="Created"))
    assert client.get("/v1/volumes/a").json()["status"]["phase"] == "Ready"
    applier.request_deletion("Volume", "a")
    assert client.get("/v1/volumes/a").json()["deletionRequestedAt"]
    store.remove("Volume", "a")
    assert client.get("/v1/volumes/a").status_code == 404

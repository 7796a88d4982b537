"""The history routes (api.routes.history) on a real store: revisions, rollback, unpin and
explain, under the short paths and their namespaced twins, with every answer documented."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.unit.api.conftest import MakeDoc


def test_revisions_rollback_unpin_and_explain(client: TestClient, container_doc: MakeDoc) -> None:
    for greeting in ("one", "two"):
        text = container_doc("web", f"  env: {{G: {greeting}}}\n")
        assert client.post("/v1/apply", content=text).status_code == 200

    revisions = client.get("/v1/containers/web/revisions").json()
    assert [item["changed"] for item in revisions["items"]] == [["spec"], ["spec.env.G"]]
    rolled = client.post("/v1/containers/web/rollback", json={"generation": 1})
    assert rolled.status_code == 200 and rolled.json()["pin"]["rolledBackTo"] == 1
    assert client.get("/v1/namespaces/default/containers/web/explain").json()["pin"]
    assert client.post("/v1/containers/web/unpin").json()["pin"] is None
    assert client.post("/v1/containers/web/unpin").status_code == 409
    assert client.post("/v1/containers/web/rollback", json={"generation": 9}).status_code == 404
    assert client.get("/v1/containers/nope/explain").status_code == 404


def test_an_undecodable_rollback_body_is_a_documented_400(client: TestClient) -> None:
    answer = client.post(
        "/v1/containers/web/rollback",
        content=b"\xff",
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 400
    documented = client.get("/openapi.json").json()["paths"]
    for path in (
        "/v1/{kinds}/{name}/rollback",
        "/v1/namespaces/{namespace}/{kinds}/{name}/rollback",
    ):
        assert "400" in documented[path]["post"]["responses"]

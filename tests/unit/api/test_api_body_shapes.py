"""What an apply or diff body must be: at least one manifest (kubectl's "no objects passed to
apply"), except an empty body in a prune; and the document declares exactly that."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tests.unit.api.conftest import MakeDoc

YAML = {"Content-Type": "application/yaml"}
JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize("path", ["/v1/apply", "/v1/diff"])
@pytest.mark.parametrize(
    ("body", "headers"),
    [
        ("", YAML),
        ("# nothing\n---\n", YAML),
        ("null\n", YAML),
        ("''\n", YAML),
        ("5\n", YAML),
        ("", JSON),
        ("null", JSON),
        ("[]", JSON),
        ('{"items": []}', JSON),
    ],
)
def test_a_body_without_manifests_is_422(
    client: TestClient, path: str, body: str, headers: dict[str, str]
) -> None:
    response = client.post(path, content=body, headers=headers)
    assert response.status_code == 422
    assert "no manifests" in response.json()["error"] or "must be" in response.json()["error"]


def test_an_empty_body_is_a_prune_to_nothing_only_with_prune(
    client: TestClient, volume_doc: MakeDoc
) -> None:
    client.post("/v1/apply", params={"source": "git:p"}, content=volume_doc("a"))
    refused = client.post("/v1/apply", params={"source": "git:p", "prune": "true"}, content="")
    assert refused.status_code == 400  # the store's PruneRefused: pass allowEmpty
    nothing = client.post("/v1/apply", params={"source": "git:p", "prune": "true"}, content="null")
    assert nothing.status_code == 422
    pruned = client.post(
        "/v1/apply",
        params={"source": "git:p", "prune": "true", "allowEmpty": "true"},
        content="---\n",
    )
    assert [result["action"] for result in pruned.json()["results"]] == ["pruned"]


def test_true_is_no_number(client: TestClient) -> None:
    doc = {
        "apiVersion": "dockform/v1",
        "kind": "Network",
        "metadata": {"name": "n", "resourceVersion": True},
    }
    response = client.post("/v1/apply", content=json.dumps(doc), headers=JSON)
    assert response.status_code == 422
    assert "resourceVersion must be a number" in response.json()["error"]


def test_the_document_declares_manifest_bodies(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    body = document["paths"]["/v1/apply"]["post"]["requestBody"]
    assert body["required"] is True
    manifest = {"$ref": "#/components/schemas/Manifest"}
    assert body["content"]["application/yaml"]["schema"] == manifest
    shapes = body["content"]["application/json"]["schema"]["oneOf"]
    assert shapes[0] == manifest and shapes[1]["items"] == manifest
    schemas = document["components"]["schemas"]
    assert set(schemas["Manifest"]["discriminator"]["mapping"]) >= {"Container", "Volume"}
    assert schemas["manifest.ImageBuild"]["properties"]["context"]["pattern"].startswith("^/")
    # A hostPath too must be absolute here (the CLI resolves relative ones), still optional.
    host_path = schemas["manifest.VolumeMount"]["properties"]["hostPath"]["anyOf"]
    assert host_path[0]["pattern"].startswith("^/") and host_path[1] == {"type": "null"}
    assert "hostPath" not in schemas["manifest.VolumeMount"]["required"]


def test_astral_characters_in_a_json_object_survive(client: TestClient) -> None:
    doc = {
        "apiVersion": "dockform/v1",
        "kind": "Container",
        "metadata": {"name": "c", "annotations": {"note": "\U0001f600 \\ud83d"}},
        "spec": {"image": "busybox"},
    }
    response = client.post("/v1/diff", content=json.dumps(doc), headers=JSON)
    assert response.status_code == 200
    new = response.json()["results"][0]["newMetadata"]["annotations"]["note"]
    assert new == "\U0001f600 \\ud83d"

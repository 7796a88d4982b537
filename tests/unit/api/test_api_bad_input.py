"""Malformed requests and manifests: every one a 4xx whose body says what and where."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from dockform.api.deps import AppState
from dockform.store.repository import Store

MakeDoc = Callable[..., str]


@pytest.mark.parametrize(
    ("body", "status", "needle", "line"),
    [
        ("kind: [unclosed\n", 422, "invalid YAML", 2),
        (
            "apiVersion: dockform/v1\nkind: Container\nmetadata: {name: a}\nspec: {image: [1]}\n",
            422,
            "string",
            4,
        ),
        (
            "apiVersion: dockform/v1\nkind: Container\nmetadata: {name: a}\nspec: {imag: x}\n",
            422,
            "did you mean image",
            4,
        ),
        ("apiVersion: dockform/v1\nkind: Containr\nmetadata: {name: a}\n", 422, "Container", 2),
        ("apiVersion: dockform/v1\nkind: Volume\nmetadata: {name: Bad_Name}\n", 422, "pattern", 3),
        ("- just\n- a list\n", 422, "mapping", 1),
        ("a: &x [*x]\n", 422, "alias", 1),
        (
            "apiVersion: dockform/v1\nkind: Volume\nmetadata: {name: a}\n---\n"
            "apiVersion: dockform/v1\nkind: Volume\nmetadata: {name: a}\n",
            422,
            "duplicate",
            5,
        ),
    ],
)
def test_invalid_manifests_are_422_with_line(
    client: TestClient, store: Store, body: str, status: int, needle: str, line: int
) -> None:
    response = client.post("/v1/apply", content=body)
    assert response.status_code == status, response.text
    payload = response.json()
    assert needle in payload["error"]
    assert payload["issues"] and payload["issues"][0]["line"] == line
    assert store.list() == []


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b"\x00\x01\x02binary", "binary"),
        (b"kind: caf\xe9\n", "UTF-8"),
    ],
)
def test_binary_and_undecodable_bodies_are_400(
    client: TestClient, body: bytes, needle: str
) -> None:
    response = client.post("/v1/apply", content=body)
    assert response.status_code == 400
    assert needle in response.json()["error"]
    assert response.json()["issues"][0]["line"] == 1


def test_invalid_json_names_line_and_column(client: TestClient) -> None:
    response = client.post(
        "/v1/apply", content='{\n"kind": }', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert "invalid JSON" in response.json()["error"]
    assert response.json()["issues"][0]["line"] == 2


def test_a_body_over_the_limit_is_413_declared_or_streamed(
    client: TestClient, state: AppState
) -> None:
    state.max_body_bytes = 1024
    big = b"# " + b"x" * 2048 + b"\n"
    declared = client.post("/v1/apply", content=big)
    assert declared.status_code == 413
    assert "larger than 1024 bytes" in declared.json()["error"]

    def chunks() -> object:
        for _ in range(8):
            yield b"# " + b"y" * 300 + b"\n"

    streamed = client.post("/v1/apply", content=chunks())  # chunked: no Content-Length
    assert streamed.status_code == 413


def test_a_form_upload_is_415_and_says_how_to_send(client: TestClient) -> None:
    response = client.post("/v1/apply", files={"file": ("app.yaml", b"kind: x\n")})
    assert response.status_code == 415
    assert "--data-binary" in response.json()["error"]


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"source": "nobody"}, "source"),
        ({"source": "git:Bad Name"}, "source"),
        ({"dryRun": "perhaps"}, "dryRun"),
        ({"prune": "2"}, "prune"),
    ],
)
def test_bad_apply_parameters_are_422_naming_them(
    client: TestClient, params: dict[str, str], needle: str, volume_doc: MakeDoc
) -> None:
    response = client.post("/v1/apply", content=volume_doc("a"), params=params)
    assert response.status_code == 422
    assert response.json()["issues"][0]["path"] == needle


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v1/widgets", 404),
        ("GET", "/v1/containers/Not_A_Name", 422),
        ("GET", "/v1/containers/" + "a" * 64, 422),
        ("DELETE", "/v1/volumes/missing", 404),
        ("GET", "/v1/containers/missing", 404),
        ("GET", "/v1/containers?label=novalue", 400),
        ("GET", "/v1/events?kind=widget", 422),
        ("GET", "/v1/events?sinceId=99999999999999999999999", 422),
        ("GET", "/v1/events?limit=0", 422),
        ("GET", "/v1/containers/missing/logs", 404),
        ("GET", "/v1/containers/web/logs?tail=-1", 422),
        ("PUT", "/v1/apply", 405),
        ("GET", "/nowhere", 404),
    ],
)
def test_bad_paths_and_queries_are_4xx_with_a_message(
    client: TestClient, method: str, path: str, status: int
) -> None:
    response = client.request(method, path)
    assert response.status_code == status, response.text
    assert response.json()["error"]


def test_deeply_nested_bodies_are_422(client: TestClient) -> None:
    for depth in (100, 900, 100_000):
        nested = "[" * depth + "]" * depth
        as_json = client.post(
            "/v1/apply",
            content=f'[{{"a": {nested}}}]',
            headers={"Content-Type": "application/json"},
        )
        assert as_json.status_code == 422, depth
        assert client.post("/v1/apply", content=f"a: {nested}").status_code == 422, depth


def test_a_nul_in_an_env_value_is_422_naming_line_and_field(
    client: TestClient, store: Store, container_doc: MakeDoc
) -> None:
    body = container_doc("web", "  env:\n    SECRET: !!binary AGFi\n")
    response = client.post("/v1/apply", content=body)

    assert response.status_code == 422, response.text
    (issue,) = response.json()["issues"]
    assert (issue["line"], issue["path"], issue["message"]) == (
        7,
        "spec.env.SECRET",
        "must not contain a NUL character (\\0): Docker and the OS cut strings there",
    )
    assert store.list() == []


def test_a_container_that_depends_on_itself_is_422(
    client: TestClient, store: Store, container_doc: MakeDoc
) -> None:
    body = container_doc("web", "  dependsOn: [{name: web}]\n")
    response = client.post("/v1/apply", content=body, headers={"X-Dockform-Filename": "app.yaml"})

    assert response.status_code == 422, response.text
    payload = response.json()
    assert payload["error"] == (
        "dependency cycle: Container/web -> Container/web; nothing was applied: remove one of"
        " its dependsOn entries (app.yaml:1 (Container/web) spec.dependsOn[0])"
    )
    (issue,) = payload["issues"]
    assert (issue["file"], issue["line"], issue["path"], issue["message"]) == (
        "app.yaml",
        1,
        "spec.dependsOn[0]",
        "dependency cycle: Container/web -> Container/web",
    )
    assert issue["reason"] == "DependencyCycle"  # a rule no JSON Schema states: named as such
    assert store.list() == []


def test_a_cycle_with_stored_containers_is_422_on_apply_and_diff(
    client: TestClient, store: Store, container_doc: MakeDoc
) -> None:
    first = container_doc("a", "  dependsOn: [{name: b}]\n") + "---\n" + container_doc("b")
    assert client.post("/v1/apply", content=first).status_code == 200

    closing = container_doc("b", "  dependsOn: [{name: a}]\n")
    for path in ("/v1/apply", "/v1/diff", "/v1/apply?dryRun=true"):
        response = client.post(path, content=closing)
        assert response.status_code == 422, response.text
        assert response.json()["error"].startswith(
            "dependency cycle: Container/b -> Container/a -> Container/b; nothing was applied"
        )
        assert [issue["reason"] for issue in response.json()["issues"]] == ["DependencyCycle"]
    stored = store.get("Container", "b")
    assert stored is not None and stored.spec["dependsOn"] == []


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("  ulimits: {nofile: {soft: 20, hard: 10}}\n", "UlimitSoftAboveHard"),
        ("  ulimits: {nofile: {soft: -1, hard: 10}}\n", "UlimitSoftAboveHard"),
    ],
)
def test_rules_no_json_schema_states_name_their_reason(
    client: TestClient, store: Store, container_doc: MakeDoc, spec: str, reason: str
) -> None:
    response = client.post("/v1/apply", content=container_doc("web", spec))
    assert response.status_code == 422, response.text
    assert [issue["reason"] for issue in response.json()["issues"]] == [reason]
    assert store.list() == []


def test_one_object_twice_in_a_body_names_its_reason(
    client: TestClient, store: Store, volume_doc: MakeDoc
) -> None:
    response = client.post("/v1/diff", content=volume_doc("data") + "---\n" + volume_doc("data"))
    assert response.status_code == 422, response.text
    (issue,) = response.json()["issues"]
    assert (issue["path"], issue["reason"]) == ("metadata.name", "DuplicateObject")


def test_a_rule_the_schema_states_names_no_reason(
    client: TestClient, container_doc: MakeDoc
) -> None:
    response = client.post("/v1/apply", content=container_doc("web", "  capAdd: [NET_BIND]\n"))
    assert response.status_code == 422, response.text
    (issue,) = response.json()["issues"]
    assert issue["path"] == "spec.capAdd" and "reason" not in issue


def test_a_wrong_method_is_405_listing_every_method_of_the_path(client: TestClient) -> None:
    response = client.options("/v1/containers/web")
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET"

    # Not an object `rotate` of kind `token`: the path exists, for POST only.
    response = client.get("/v1/token/rotate")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


def test_an_unknown_kind_in_a_path_is_404_naming_the_known_kinds(client: TestClient) -> None:
    for path in ("/v1/widgets", "/v1/widgets/web"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json()["error"] == (
            "unknown kind 'widgets'; known kinds: "
            "configs, containers, gitsources, images, jobs, networks, secrets, volumes"
        )
    assert client.get("/v1/CONTAINER").status_code == 200


def test_event_kind_filters_follow_the_documented_pattern(client: TestClient) -> None:
    for kind in ("IMAGE", " containers ", "Sources", ""):
        assert client.get("/v1/events", params={"kind": kind}).status_code == 200, kind
    assert client.get("/v1/events", params={"kind": "tokens"}).status_code == 422

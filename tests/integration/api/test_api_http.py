"""Every route of the API over the daemon's unix socket and its TCP listener, as curl would
use them: apply semantics, conflicts, dry runs, prune guards, bad input, reads, events (and
their SSE stream), logs (and following them), health, metrics, OpenAPI, and the token."""

from __future__ import annotations

import json
import os
import stat
import threading
import time
from typing import Any

import httpx
import pytest

from tests.integration.api.conftest import ApiDaemon, container_yaml, image_yaml

pytestmark = pytest.mark.integration

LOGGER = (
    '["sh", "-c", "echo first line; echo on stderr >&2; i=0; '
    'while true; do i=$((i+1)); echo tick $i; sleep 0.2; done"]'
)


@pytest.fixture(scope="module")
def image(api_daemon: ApiDaemon, build_context: Any) -> str:
    name = "apiimg" + os.urandom(3).hex()
    with api_daemon.http() as http:
        response = http.post("/v1/apply", content=image_yaml(name, build_context))
        assert response.status_code == 200, response.text
    api_daemon.daemon.wait_phase("Image", name, "Ready", timeout_s=120)
    return name


def results(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 200, response.text
    return {f"{r['kind']}/{r['name']}": r["action"] for r in response.json()["results"]}


def volume(name: str, labels: str = "{}") -> str:
    return f"apiVersion: dockform/v1\nkind: Volume\nmetadata: {{name: {name}, labels: {labels}}}\n"


def test_apply_get_list_and_delete(api_daemon: ApiDaemon, image: str, unique: str) -> None:
    name = f"{unique}-web"
    with api_daemon.http() as http:
        body = container_yaml(name, image, labels="{app: api-test}")
        assert results(http.post("/v1/apply", content=body)) == {f"Container/{name}": "created"}
        assert results(http.post("/v1/apply", content=body)) == {f"Container/{name}": "unchanged"}
        item = api_daemon.daemon.wait_phase("Container", name, "Running", ready=True)
        assert item["status"]["observed"]["containerId"]
        listed = http.get("/v1/containers", params={"label": "app=api-test"}).json()
        assert [i["name"] for i in listed["items"]] == [name]
        assert http.get("/v1/containers", params={"label": "app=nope"}).json()["items"] == []
        changed = body.replace('["sleep", "3600"]', '["sleep", "3601"]')
        assert results(http.post("/v1/apply", content=changed)) == {
            f"Container/{name}": "configured"
        }
        deleted = http.delete(f"/v1/containers/{name}")
        assert deleted.status_code == 202 and deleted.json()["status"] == "deleting"
    api_daemon.daemon.wait_gone("Container", name)


def test_dry_run_and_diff_write_nothing(api_daemon: ApiDaemon, image: str, unique: str) -> None:
    name = f"{unique}-dry"
    with api_daemon.http() as http:
        body = container_yaml(name, image)
        http.post("/v1/apply", content=body)
        before = api_daemon.daemon.wait_phase("Container", name, "Running", ready=True)
        mine = {"kind": "Container", "name": name, "limit": 1000}
        events_before = http.get("/v1/events", params=mine).json()["items"]
        changed = body.replace('["sleep", "3600"]', '["sleep", "99"]')
        dry = http.post("/v1/apply", content=changed, params={"dryRun": "true"})
        assert results(dry) == {f"Container/{name}": "configured"}
        assert dry.json()["dryRun"] is True
        other = container_yaml(f"{unique}-never", image)
        assert results(http.post("/v1/diff", content=other)) == {
            f"Container/{unique}-never": "created"
        }
        diff = http.post("/v1/diff", content=changed).json()["results"][0]
        assert diff["old"]["command"] == ["sleep", "3600"]
        assert diff["new"]["command"] == ["sleep", "99"]
        time.sleep(1.0)  # anything a write would have triggered has happened by now
        after = http.get(f"/v1/containers/{name}").json()
        assert after["resourceVersion"] == before["resourceVersion"]
        assert after["generation"] == before["generation"]
        assert (
            after["status"]["observed"]["containerId"]
            == before["status"]["observed"]["containerId"]
        )
        assert http.get(f"/v1/containers/{unique}-never").status_code == 404
        assert http.get("/v1/events", params=mine).json()["items"] == events_before
        never = {"kind": "Container", "name": f"{unique}-never"}
        assert http.get("/v1/events", params=never).json()["items"] == []


def test_prune_and_its_empty_guard(api_daemon: ApiDaemon, unique: str) -> None:
    source = f"git:{unique}"
    with api_daemon.http() as http:
        both = volume(f"{unique}-a") + "---\n" + volume(f"{unique}-b")
        http.post("/v1/apply", content=both, params={"source": source})
        pruned = http.post(
            "/v1/apply", content=volume(f"{unique}-a"), params={"source": source, "prune": "true"}
        )
        assert results(pruned) == {
            f"Volume/{unique}-a": "unchanged",
            f"Volume/{unique}-b": "pruned",
        }
        api_daemon.daemon.wait_gone("Volume", f"{unique}-b")
        refused = http.post("/v1/apply", content="", params={"source": source, "prune": "true"})
        assert refused.status_code == 400
        assert "--allow-empty" in refused.json()["error"]
        assert http.get(f"/v1/volumes/{unique}-a").status_code == 200
        emptied = http.post(
            "/v1/apply",
            content="",
            params={"source": source, "prune": "true", "allowEmpty": "true"},
        )
        assert results(emptied) == {f"Volume/{unique}-a": "pruned"}


def test_conflicting_sources_and_stale_versions(api_daemon: ApiDaemon, unique: str) -> None:
    name = f"{unique}-owned"
    with api_daemon.http() as http:
        http.post("/v1/apply", content=volume(name), params={"source": "git:team-a"})
        refused = http.post("/v1/apply", content=volume(name, "{x: y}"))
        assert refused.status_code == 409
        assert "owned by source git:team-a" in refused.json()["error"]
        assert http.get(f"/v1/volumes/{name}").json()["source"] == "git:team-a"
        forced = http.post("/v1/apply", content=volume(name, "{x: y}"), params={"force": "true"})
        assert results(forced) == {f"Volume/{name}": "configured"}
        current = http.get(f"/v1/volumes/{name}").json()
        assert current["source"] == "cli"
        version = current["resourceVersion"]
        stale = volume(name, "{x: z}").replace(
            "labels:", f"resourceVersion: {version - 1}, labels:"
        )
        conflict = http.post("/v1/apply", content=stale)
        assert conflict.status_code == 409
        assert f"resourceVersion {version}" in conflict.json()["error"]
        fresh = stale.replace(f"resourceVersion: {version - 1}", f"resourceVersion: {version}")
        assert results(http.post("/v1/apply", content=fresh)) == {f"Volume/{name}": "configured"}


@pytest.mark.parametrize(
    ("body", "headers", "status", "needle"),
    [
        (b"kind: [\n", {}, 422, "invalid YAML"),
        (
            b"apiVersion: dockform/v1\nkind: Volume\nmetadata: {name: v}\nspec: {sise: 1}\n",
            {},
            422,
            "spec.sise",
        ),
        (
            b"apiVersion: dockform/v1\nkind: Container\nmetadata: {name: c}\n"
            b"spec: {image: x, ports: [{containerPort: http}]}\n",
            {},
            422,
            "spec.ports[0].containerPort",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00", {}, 400, "binary"),
        (b'{"kind": ', {"Content-Type": "application/json"}, 422, "invalid JSON"),
        (b"x", {"Content-Type": "multipart/form-data; boundary=x"}, 415, "data-binary"),
        (b"# " + b"x" * (5 * 1024 * 1024), {}, 413, "larger than"),
    ],
)
def test_malformed_bodies_are_4xx_with_a_message(
    api_daemon: ApiDaemon, body: bytes, headers: dict[str, str], status: int, needle: str
) -> None:
    with api_daemon.http() as http:
        for path in ("/v1/apply", "/v1/diff"):
            response = http.post(path, content=body, headers=headers)
            assert response.status_code == status, response.text
            payload = response.json()
            text = payload["error"] + json.dumps(payload["issues"])
            assert needle in text


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v1/widgets", 404),
        ("GET", "/v1/containers/UPPER", 422),
        ("GET", "/v1/containers/nosuch", 404),
        ("DELETE", "/v1/images/nosuch", 404),
        ("GET", "/v1/containers?label=broken", 400),
        ("GET", "/v1/events?sinceId=-1", 422),
        ("GET", "/v1/events?kind=widgets", 422),
        ("GET", "/v1/containers/nosuch/logs", 404),
        ("POST", "/v1/apply?dry_run=true", 422),
    ],
)
def test_bad_requests_are_4xx(api_daemon: ApiDaemon, method: str, path: str, status: int) -> None:
    with api_daemon.http() as http:
        response = http.request(method, path)
        assert response.status_code == status, response.text
        assert response.json()["error"]


def test_events_list_and_follow(api_daemon: ApiDaemon, image: str, unique: str) -> None:
    name = f"{unique}-ev"
    seen: list[dict[str, Any]] = []
    failure: list[BaseException] = []

    def follow() -> None:
        try:
            with (
                api_daemon.http() as http,
                http.stream(
                    "GET",
                    "/v1/events",
                    params={"follow": "true", "kind": "container", "name": name},
                    timeout=httpx.Timeout(10, read=60),
                ) as response,
            ):
                assert response.headers["content-type"].startswith("text/event-stream")
                for line in response.iter_lines():
                    if line.startswith("data: "):
                        seen.append(json.loads(line[6:]))
                        if any(event["reason"] == "Started" for event in seen):
                            return
        except BaseException as error:  # reported by the main thread
            failure.append(error)

    follower = threading.Thread(target=follow, daemon=True)
    follower.start()
    time.sleep(0.5)  # subscribed before the events exist
    with api_daemon.http() as http:
        http.post("/v1/apply", content=container_yaml(name, image))
        follower.join(60)
        assert not failure, failure
        assert not follower.is_alive(), "no Started event streamed within 60 s"
        reasons = [event["reason"] for event in seen]
        assert "Created" in reasons and "Started" in reasons
        assert all(event["name"] == name for event in seen)
        listed = http.get("/v1/events", params={"kind": "Container", "name": name}).json()
        assert [e["id"] for e in listed["items"]][: len(seen)] == [e["id"] for e in seen]


def test_logs_tail_and_follow(api_daemon: ApiDaemon, image: str, unique: str) -> None:
    name = f"{unique}-log"
    with api_daemon.http() as http:
        http.post("/v1/apply", content=container_yaml(name, image, command=LOGGER))
        api_daemon.daemon.wait_phase("Container", name, "Running", ready=True)
        api_daemon.daemon.wait_for(
            "some ticks", lambda: "tick 2" in http.get(f"/v1/containers/{name}/logs").text
        )
        text = http.get(f"/v1/containers/{name}/logs").text
        # Both streams, each line whole (their relative order is the kernel's business).
        assert "first line\n" in text and "on stderr\n" in text
        assert "\x00" not in text and "\x01" not in text  # demultiplexed, no frame headers
        tail = http.get(f"/v1/containers/{name}/logs", params={"tail": 1}).text
        assert tail.count("\n") == 1 and tail.startswith("tick ")
        with http.stream(
            "GET",
            f"/v1/containers/{name}/logs",
            params={"follow": "true", "tail": 0},
            timeout=httpx.Timeout(10, read=30),
        ) as response:
            received = ""
            for chunk in response.iter_text():
                received += chunk
                if received.count("tick") >= 3:
                    break
        assert received.count("tick") >= 3 and "first line" not in received


def test_health_readiness_version_sources_and_docs(api_daemon: ApiDaemon) -> None:
    with api_daemon.http() as http:
        assert http.get("/healthz").json() == {"status": "ok"}
        ready = http.get("/readyz").json()
        assert (ready["status"], ready["store"], ready["docker"]) == ("ok", True, True)
        # Alone on a SQLite store; the leader of one on a shared (PostgreSQL) store.
        assert ready["leadership"]["role"] in ("single", "leader")
        version = http.get("/version").json()
        assert version["apiVersion"] == "v1" and version["leadership"] == ready["leadership"]
        assert isinstance(http.get("/v1/sources").json()["items"], list)
        document = http.get("/openapi.json").json()
        assert {"/v1/apply", "/v1/diff", "/v1/events", "/v1/{kinds}", "/v1/{kinds}/{name}"} <= set(
            document["paths"]
        )
        assert "swagger" in http.get("/docs").text.lower()


def test_metrics_exposition(api_daemon: ApiDaemon, image: str) -> None:
    with api_daemon.http() as http:
        http.post("/v1/apply", content=b"kind: [")  # one refused apply, counted by its code
        text = http.get("/metrics").text
    for family in (
        "dockform_reconciles_total",
        "dockform_reconcile_duration_seconds",
        "dockform_queue_depth",
        "dockform_queue_pending",
        "dockform_objects",
        "dockform_docker_api_errors_total",
        "dockform_apply_requests_total",
    ):
        assert f"# TYPE {family} " in text, family
    assert 'dockform_reconciles_total{kind="Image",result="ok"}' in text
    assert 'dockform_objects{kind="Image",phase="Ready"}' in text
    assert 'dockform_apply_requests_total{code="422",endpoint="apply"}' in text


def test_tcp_needs_the_token(api_daemon: ApiDaemon) -> None:
    assert stat.S_IMODE(os.stat(api_daemon.home / "token").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(api_daemon.daemon.socket).st_mode) == 0o600
    with api_daemon.tcp() as anonymous:
        assert anonymous.get("/healthz").status_code == 200
        for method, path in (
            ("GET", "/v1/containers"),
            ("POST", "/v1/apply"),
            ("GET", "/metrics"),
            ("GET", "/openapi.json"),
            ("GET", "/v1/events?follow=true"),
        ):
            response = anonymous.request(method, path)
            assert response.status_code == 401, path
            assert "bearer token" in response.json()["error"]
    with api_daemon.tcp("not-the-token") as wrong:
        assert wrong.get("/v1/containers").status_code == 401
    with api_daemon.tcp(api_daemon.token) as right:
        assert right.get("/v1/containers").status_code == 200
        volume = b"apiVersion: dockform/v1\nkind: Volume\nmetadata: {name: tcp-dry-run}\n"
        assert right.post("/v1/apply", content=volume, params={"dryRun": "true"}).status_code == 200

"""The driver's pure parts: Engine JSON -> runtime types, docker-py errors -> runtime errors,
and progress-stream consumers. No daemon needed."""

from __future__ import annotations

import io
import threading
from typing import Any

import docker.errors
import pytest
import requests

from dockform.runtime import _docker_convert as convert
from dockform.runtime._docker_errors import translate, translate_errors
from dockform.runtime._docker_streams import (
    consume_build,
    consume_load,
    consume_pull,
    stream_events,
    to_runtime_event,
)
from dockform.runtime._docker_transport import raise_for_status
from dockform.runtime.errors import (
    ContainerStartBroken,
    ImageBuildFailed,
    InvalidRequest,
    NotConnected,
    ObjectConflict,
    ObjectNotFound,
    RemovalInProgress,
    RuntimeFailure,
    RuntimeUnavailable,
)
from dockform.runtime.types import PortBinding, RuntimeEvent

INSPECT: dict[str, Any] = {
    "Id": "abc123",
    "Name": "/web",
    "Image": "sha256:img",
    "RestartCount": 2,
    "State": {
        "Status": "running",
        "ExitCode": 0,
        "StartedAt": "2026-01-01T00:00:00.5Z",
        "FinishedAt": "0001-01-01T00:00:00Z",
        "Health": {"Status": "healthy"},
    },
    "Config": {"Labels": {"io.dockform.managed": "true"}},
    "NetworkSettings": {
        "Networks": {"backend": {"IPAddress": "10.0.0.2"}},
        "Ports": {
            "8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": "49153"}],
            "9090/udp": None,
        },
    },
}


def test_container_info_from_inspect() -> None:
    info = convert.container_info(INSPECT)
    assert (info.id, info.name, info.image_id, info.state) == (
        "abc123",
        "web",
        "sha256:img",
        "running",
    )
    assert (info.health, info.restart_count, info.exit_code) == ("healthy", 2, None)
    assert info.started_at == "2026-01-01T00:00:00.5Z" and info.finished_at is None
    assert info.networks == {"backend": "10.0.0.2"}
    assert info.ports == (PortBinding(8080, "tcp", "127.0.0.1", 49153),)
    assert info.managed


def test_exited_container_reports_exit_code_and_nulls() -> None:
    data = {
        "Id": "x",
        "Name": "/job",
        "State": {"Status": "exited", "ExitCode": 3, "FinishedAt": "2026-01-01T00:00:01Z"},
        "Config": {"Labels": None},
        "NetworkSettings": {"Networks": None, "Ports": {}},
    }
    info = convert.container_info(data)
    assert (info.exit_code, info.health, info.labels, info.networks) == (3, None, {}, {})
    assert info.finished_at == "2026-01-01T00:00:01Z" and info.started_at is None


def test_image_network_volume_info() -> None:
    image = convert.image_info(
        {"Id": "sha256:1", "RepoTags": ["b:1", "a:1"], "Config": {"Labels": None}}
    )
    assert (image.tags, image.labels) == (("a:1", "b:1"), {})
    dangling = convert.image_info(
        {"Id": "sha256:2", "RepoTags": ["<none>:<none>"], "Labels": {"k": "v"}}
    )
    assert (dangling.tags, dangling.labels) == ((), {"k": "v"})

    network = convert.network_info(
        {
            "Id": "n1",
            "Name": "backend",
            "Driver": "bridge",
            "Internal": True,
            "Labels": {},
            "IPAM": {"Config": [{"Subnet": "10.1.0.0/24", "Gateway": "10.1.0.1"}]},
            "Containers": {"c2": {}, "c1": {}},
        }
    )
    assert (network.subnet, network.gateway, network.container_ids) == (
        "10.1.0.0/24",
        "10.1.0.1",
        ("c1", "c2"),
    )
    bare = convert.network_info(
        {"Id": "n2", "Name": "x", "IPAM": {"Config": None}, "Containers": None}
    )
    assert (bare.subnet, bare.gateway, bare.container_ids, bare.internal) == (None, None, (), False)

    volume = convert.volume_info(
        {"Name": "data", "Driver": "local", "Options": None, "Labels": None, "Mountpoint": "/m"}
    )
    assert (volume.driver_opts, volume.labels, volume.mountpoint) == ({}, {}, "/m")


def test_label_filters() -> None:
    assert convert.label_filters(None) == {}
    assert convert.label_filters({"b": "2", "a": "1"}) == {"label": ["a=1", "b=2"]}


def api_error(status: int, message: str) -> docker.errors.APIError:
    response = requests.Response()
    response.status_code = status
    error_class = docker.errors.NotFound if status == 404 else docker.errors.APIError
    return error_class(message, response=response, explanation=message)


@pytest.mark.parametrize(
    ("status", "message", "expected"),
    [
        (404, "No such container: x", ObjectNotFound),
        (409, "name already in use", ObjectConflict),
        (403, "network backend has active endpoints", ObjectConflict),
        (403, "endpoint with name web already exists in network front", ObjectConflict),
        (403, "bridge is a pre-defined network and cannot be removed", InvalidRequest),
        (400, "invalid mount config", InvalidRequest),
        (500, "driver failed programming external connectivity", RuntimeFailure),
        # Where the status says too little, the Engine's words pick a narrower class.
        (409, "removal of container web is already in progress", RemovalInProgress),
        (500, "container 3f2a is not connected to network back", NotConnected),
        (403, "container 3f2a is not connected to the network back", NotConnected),
    ],
)
def test_api_errors_map_by_status_and_message(
    status: int, message: str, expected: type[RuntimeFailure]
) -> None:
    translated = translate(api_error(status, message), "do thing")
    assert type(translated) is expected
    assert str(translated) == f"do thing: {message}"


BROKEN_STARTS = [
    (500, "failed to create task for container: task 3f2a9c: already exists: unknown"),
    (500, "failed to create shim task: id already in use"),
    (409, "container is marked for removal and cannot be started"),
    (500, "OCI runtime start failed: cannot start a stopped process: unknown"),
]


@pytest.mark.parametrize(("status", "message"), BROKEN_STARTS)
def test_half_dead_task_on_start_is_start_broken(status: int, message: str) -> None:
    broken = translate(api_error(status, message), "start container web", starting=True)
    assert type(broken) is ContainerStartBroken and not broken.transient
    assert str(broken) == f"start container web: {message}"
    # Other calls with the same words keep the class their status gives.
    plain = translate(api_error(status, message), "remove container web")
    assert type(plain) is (ObjectConflict if status == 409 else RuntimeFailure)


def test_start_errors_are_not_all_start_broken() -> None:
    for status, expected in ((404, ObjectNotFound), (409, ObjectConflict), (500, RuntimeFailure)):
        message = "network back not found" if status == 404 else "port is already allocated"
        failure = translate(api_error(status, message), "start container web", starting=True)
        assert type(failure) is expected
    with pytest.raises(ContainerStartBroken), translate_errors("start c", starting=True):
        raise api_error(500, BROKEN_STARTS[0][1])


def test_error_answers_of_hand_made_requests_translate_like_docker_py_calls() -> None:
    response = requests.Response()
    response.status_code = 404
    response.raw = io.BytesIO(b'{"message": "pull access denied for nothing"}')
    with (
        pytest.raises(ObjectNotFound, match="pull x: pull access denied"),
        translate_errors("pull x"),
    ):
        raise_for_status(response)
    response.status_code = 200
    raise_for_status(response)


class ClosingStream:
    """What docker-py's events() returns: an iterator with close()."""

    def __init__(self, raws: list[dict[str, Any]]) -> None:
        self._raws = iter(raws)
        self.closed = False

    def __iter__(self) -> ClosingStream:
        return self

    def __next__(self) -> dict[str, Any]:
        return next(self._raws)

    def close(self) -> None:
        self.closed = True


class EventsApi:
    def __init__(self, stream: ClosingStream) -> None:
        self.stream = stream

    def events(self, decode: bool, filters: dict[str, list[str]]) -> ClosingStream:
        return self.stream


def test_engine_closing_the_event_stream_is_unavailable() -> None:
    # dockerd shutting down ends the stream cleanly: that must not read as "no more events".
    raw = {"Type": "container", "Action": "die", "Actor": {"ID": "c1"}, "timeNano": 1}
    stream = ClosingStream([raw])
    events = stream_events(EventsApi(stream), threading.Event())
    assert next(events).id == "c1"
    with pytest.raises(RuntimeUnavailable, match="closed the event stream"):
        next(events)
    assert stream.closed


def test_stopped_event_stream_just_ends() -> None:
    stop = threading.Event()
    stop.set()
    stream = ClosingStream([{"Type": "container", "Action": "die", "Actor": {"ID": "c1"}}])
    assert list(stream_events(EventsApi(stream), stop)) == []
    assert stream.closed


def test_connection_failures_are_unavailable() -> None:
    assert isinstance(
        translate(requests.exceptions.ConnectionError("refused"), "x"), RuntimeUnavailable
    )
    assert isinstance(translate(requests.exceptions.ReadTimeout("slow"), "x"), RuntimeUnavailable)
    assert isinstance(translate(docker.errors.DockerException("version"), "x"), RuntimeUnavailable)


def test_client_side_refusals_are_invalid_requests() -> None:
    refused = translate(docker.errors.InvalidArgument("bad mount type"), "create container web")
    assert isinstance(refused, InvalidRequest) and not refused.transient
    unreadable = translate(PermissionError("context/secret"), "build image app:1")
    assert isinstance(unreadable, InvalidRequest)
    assert isinstance(translate(BrokenPipeError("socket"), "x"), RuntimeUnavailable)


def test_build_stream_failure_keeps_the_tail() -> None:
    chunks: list[dict[str, Any]] = [{"stream": f"Step {n}\n"} for n in range(30)]
    chunks.append(
        {"error": "The command returned a non-zero code: 7", "errorDetail": {"message": "x"}}
    )
    with pytest.raises(ImageBuildFailed) as failure:
        consume_build(chunks, "app:1")
    message = str(failure.value)
    assert "non-zero code: 7" in message and "Step 29" in message and "Step 5\n" not in message
    assert consume_build([{"stream": "ok\n"}, {"aux": {"ID": "sha256:9"}}], "app:1") == "sha256:9"


def test_pull_and_load_streams() -> None:
    with pytest.raises(RuntimeFailure, match="manifest unknown"):
        consume_pull(
            [{"status": "Pulling"}, {"errorDetail": {"message": "manifest unknown"}}], "r:1"
        )
    loaded = consume_load(
        [{"stream": "Loaded image: app:1\n"}, {"stream": "Loaded image ID: sha256:abc\n"}], "/t.tar"
    )
    assert loaded == ["app:1", "sha256:abc"]


def test_events_are_reduced_and_actions_stripped() -> None:
    raw = {
        "Type": "container",
        "Action": "health_status: healthy",
        "Actor": {"ID": "abc", "Attributes": {"name": "web"}},
        "timeNano": 5,
    }
    assert to_runtime_event(raw) == RuntimeEvent(
        "container", "health_status", "abc", {"name": "web"}, 5
    )
    legacy = to_runtime_event(
        {"Type": "volume", "Action": "destroy", "Actor": {"ID": "v"}, "time": 2}
    )
    assert legacy == RuntimeEvent("volume", "destroy", "v", {}, 2_000_000_000)
    assert to_runtime_event({"Type": "daemon", "Action": "reload"}) is None


def test_container_summary_takes_the_own_name_among_link_names() -> None:
    summary = convert.container_summary(
        {"Id": "c1", "Names": ["/web/db", "/db"], "Labels": {"a": "b"}, "State": "running"}
    )
    assert (summary.id, summary.name, summary.labels, summary.state) == (
        "c1",
        "db",
        {"a": "b"},
        "running",
    )
    bare = convert.container_summary({"Id": "c2", "Names": None, "Labels": None})
    assert (bare.name, bare.labels, bare.state) == ("", {}, "unknown")

"""The driver's hand-made requests (pull, ping, the light reader's inspect and list) and its
event stream, against a scripted Engine.

A few Engine endpoints served over a unix socket by this test: what dockerd cannot be made to
do on demand (answer a pull without a registry, hang, close the event stream) is scripted here.
The rest of the driver is covered against the real dockerd in tests/integration/runtime.
"""

from __future__ import annotations

import json
import socketserver
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from dockform.runtime.docker_driver import PING_TIMEOUT_S, DockerRuntime
from dockform.runtime.errors import ObjectNotFound, RuntimeFailure, RuntimeUnavailable

IMAGE_ID = "sha256:" + "ab" * 32
PULL_PROGRESS = [{"status": "Pulling from app"}, {"status": "Downloaded newer image for app:1"}]
EVENT = {"Type": "container", "Action": "die", "Actor": {"ID": "c1", "Attributes": {}}, "time": 1}


class ScriptedEngine(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: EngineServer

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: unix-socket peers have no address to log

    def _json(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _chunked(self, pieces: list[bytes]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for piece in pieces:
            self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path.endswith("/version"):
            self._json(200, {"ApiVersion": "1.41", "Version": "20.10.0"})
        elif path == "/_ping":
            if self.server.hang_pings.is_set():
                self.server.released.wait(10)
            self._json(200, "OK")
        elif path == "/v1.41/images/app:1/json":
            self._json(200, {"Id": IMAGE_ID, "RepoTags": ["app:1"]})
        elif path == "/v1.41/containers/web/json":
            self.server.reads.append((self.path, dict(self.headers)))
            # Long enough that the Engine sends it in chunks, as dockerd does an inspect.
            pieces = [b'{"Id": "c1", "Name": "/web", ', b'"Config": {"Labels": {}}, ', b'"x": 1}']
            self._chunked(pieces)
            # A kept-alive connection the Engine then drops (dockerd restarting): said nowhere.
            self.close_connection = self.server.drop_after_reads.is_set()
        elif path == "/v1.41/containers/busy/json":
            self._json(500, {"message": "the engine is busy"})
        elif path == "/v1.41/containers/json":
            self.server.reads.append((self.path, dict(self.headers)))
            self._json(200, [{"Id": "c1", "Names": ["/web"], "Labels": {"app": "shop"}}])
        elif path == "/v1.41/events":
            self._chunked([json.dumps(EVENT).encode() + b"\n"])  # then the Engine goes down
        else:
            self._json(404, {"message": f"no such thing: {path}"})

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        self.server.pulls.append((parse_qs(url.query), dict(self.headers)))
        if url.path != "/v1.41/images/create":
            self._json(404, {"message": "page not found"})
        elif parse_qs(url.query)["fromImage"] == ["absent"]:
            self._json(404, {"message": "pull access denied for absent"})
        else:
            # One JSON message split across chunks, as the Engine's writes may fall.
            text = "".join(json.dumps(chunk) + "\r\n" for chunk in PULL_PROGRESS).encode()
            self._chunked([text[:7], text[7:40], text[40:]])


class EngineServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(self, path: str) -> None:
        super().__init__(path, ScriptedEngine)
        self.pulls: list[tuple[dict[str, list[str]], dict[str, str]]] = []
        self.hang_pings = threading.Event()
        self.released = threading.Event()
        self.reads: list[tuple[str, dict[str, str]]] = []
        self.drop_after_reads = threading.Event()


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[tuple[EngineServer, DockerRuntime]]:
    server = EngineServer(str(tmp_path / "engine.sock"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    runtime = DockerRuntime(base_url=f"unix://{tmp_path}/engine.sock", timeout=10)
    yield server, runtime
    server.released.set()
    runtime.close()
    server.shutdown()
    server.server_close()


def test_pull_reads_the_progress_stream_and_returns_the_image_id(
    engine: tuple[EngineServer, DockerRuntime], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, runtime = engine
    (tmp_path / "config.json").write_text(json.dumps({"HttpHeaders": {"X-Site": "lab"}}))
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    assert runtime.pull_image("app:1") == IMAGE_ID
    params, headers = server.pulls[-1]
    assert params == {"fromImage": ["app"], "tag": ["1"]}
    # Sent as docker-py's own calls send it: its User-Agent, the config's extra headers.
    assert "docker-sdk-python" in headers["User-Agent"] and headers["X-Site"] == "lab"


def test_pull_refused_by_status_is_translated(engine: tuple[EngineServer, DockerRuntime]) -> None:
    _, runtime = engine
    with pytest.raises(ObjectNotFound, match="pull access denied for absent"):
        runtime.pull_image("absent")


def test_ping_of_a_connected_engine_that_hangs_is_false_within_its_bound(
    engine: tuple[EngineServer, DockerRuntime],
) -> None:
    server, runtime = engine
    assert runtime.ping() is True
    server.hang_pings.set()
    started = time.monotonic()
    assert runtime.ping() is False
    assert time.monotonic() - started < PING_TIMEOUT_S + 1


def test_engine_closing_the_event_stream_raises_unavailable(
    engine: tuple[EngineServer, DockerRuntime],
) -> None:
    _, runtime = engine
    events = runtime.events(threading.Event())
    assert next(events).id == "c1"
    with pytest.raises(RuntimeUnavailable) as ended:
        next(events)
    assert isinstance(ended.value, RuntimeFailure) and ended.value.transient


def test_inspect_reads_a_chunked_answer_and_a_missing_container_is_none(
    engine: tuple[EngineServer, DockerRuntime], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, runtime = engine
    (tmp_path / "config.json").write_text(json.dumps({"HttpHeaders": {"X-Site": "lab"}}))
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    info = runtime.inspect_container("web")
    assert info is not None and info.id == "c1" and info.name == "web"
    assert runtime.inspect_container("gone") is None
    _, headers = server.reads[-1]
    assert "docker-sdk-python" in headers["User-Agent"] and headers["X-Site"] == "lab"


def test_list_sends_the_label_filters_as_docker_py_would(
    engine: tuple[EngineServer, DockerRuntime],
) -> None:
    server, runtime = engine
    found = runtime.list_containers({"app": "shop", "tier": "front"})
    assert [summary.name for summary in found] == ["web"]
    path, _ = server.reads[-1]
    query = parse_qs(urlsplit(path).query)
    assert query["all"] == ["1"]
    assert json.loads(query["filters"][0]) == {"label": ["app=shop", "tier=front"]}


def test_an_error_answer_becomes_the_runtime_error_of_its_status(
    engine: tuple[EngineServer, DockerRuntime],
) -> None:
    _, runtime = engine
    with pytest.raises(RuntimeFailure, match="inspect container busy: the engine is busy"):
        runtime.inspect_container("busy")


def test_a_kept_alive_connection_the_engine_dropped_is_asked_again_on_a_new_one(
    engine: tuple[EngineServer, DockerRuntime],
) -> None:
    server, runtime = engine
    server.drop_after_reads.set()
    for _ in range(3):
        info = runtime.inspect_container("web")
        assert info is not None and info.id == "c1"
    assert len(server.reads) == 3


def test_an_engine_gone_makes_reads_unavailable(
    engine: tuple[EngineServer, DockerRuntime],
) -> None:
    server, runtime = engine
    server.drop_after_reads.set()  # no handler holds the kept-alive connection
    assert runtime.inspect_container("web") is not None
    server.shutdown()
    server.server_close()
    Path(server.server_address).unlink()  # type: ignore[arg-type]
    with pytest.raises(RuntimeUnavailable, match="cannot reach the Docker Engine"):
        runtime.list_containers({"app": "shop"})

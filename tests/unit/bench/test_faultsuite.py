"""The fault suite's pure parts: its table, its verdicts, its generators and its fault proxy
(against a stub engine on a unix socket). The suite itself runs as `bench/faults`, never here."""

from __future__ import annotations

import contextlib
import random
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.faultsuite import proxy, report
from bench.faultsuite.common import reference, under, zero
from bench.faultsuite.hostile import GENERATORS

_OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


def test_a_time_never_reached_is_a_miss_beyond_the_give_up_time() -> None:
    missed = under("ready", None, 60, 120)
    assert (missed["value"], missed["target"], missed["verdict"]) == ("> 120", "< 60 s", "misses")
    assert under("ready", None, 60)["verdict"] == "n/a"
    assert under("ready", 12.5, 60)["verdict"] == "meets"
    assert under("ready", 60.0, 60)["verdict"] == "misses"


def test_the_table_shows_figures_and_a_failed_case() -> None:
    results = {
        "cases": {
            "crash": {"figures": [zero("lost", 0), reference("cycles", 100)]},
            "engine": {"error": "RuntimeError: no dockerd", "figures": []},
        }
    }
    table = report.text_table(results)
    assert "error: RuntimeError: no dockerd" in table
    assert report.summary(results) == {"meets": 1, "reference": 1, "error": 1}
    assert report.markdown_table(results).splitlines()[2] == "| crash | lost | 0 | 0 | meets |"


def test_every_hostile_generator_makes_a_body() -> None:
    rng = random.Random(0)
    for generator in GENERATORS:
        body, content_type = generator(rng)
        assert body and content_type, generator.__name__


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Path]:
    """A stub engine: answers every request with 200 "ok" and closes."""
    path = tmp_path / "engine.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(16)

    def serve() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            # The proxy closes its side without a request when it injects a 500 or a reset.
            with connection, contextlib.suppress(OSError):
                if connection.recv(65536):
                    connection.sendall(_OK)

    threading.Thread(target=serve, daemon=True).start()
    yield path
    server.close()


def _get(path: Path) -> bytes:
    """One request through a socket: the whole answer (b"" when dropped without one)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(5)
        client.connect(str(path))
        client.sendall(b"GET /_ping HTTP/1.1\r\nHost: d\r\n\r\n")
        answer = b""
        while chunk := client.recv(65536):
            answer += chunk
        return answer


def test_the_proxy_injects_each_fault_only_while_told_to(
    engine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(proxy, "STALL_S", 0.01)
    faulty = proxy.FaultProxy(tmp_path / "proxy.sock", str(engine), rate=1.0)
    faulty.start()
    try:
        assert _get(faulty.listen).endswith(b"ok")
        faulty.inject()
        answers = [_get(faulty.listen) for _ in range(30)]
        faulty.heal()
        assert _get(faulty.listen).endswith(b"ok")
    finally:
        faulty.close()
    assert sum(faulty.injected.values()) == 30
    assert answers.count(b"") == faulty.injected["reset"]
    assert sum(b" 500 " in answer for answer in answers) == faulty.injected["500"]
    # A stalled request goes on to the engine afterwards.
    assert sum(answer.endswith(b"ok") for answer in answers) == faulty.injected["stall"]

"""A unix-socket proxy in front of the Docker socket that injects faults while told to.

Bytes are pumped both ways per connection (so streams such as /events pass through). When a
chunk from the client starts an HTTP request and injection is on, a fault is drawn with
probability `rate`: an HTTP 500 answered by the proxy itself (then the connection closes), a
reset (the connection dropped without an answer: a unix socket has no RST, so this is what a
client sees of a reset engine), or a 10 s stall before the request goes on. `heal()` stops new
faults; counts of what was injected are in `injected`.
"""

from __future__ import annotations

import contextlib
import random
import socket
import threading
import time
from pathlib import Path

METHODS = (b"GET ", b"POST ", b"PUT ", b"DELETE ", b"HEAD ", b"PATCH ")
FAULTS = ("500", "reset", "stall")
STALL_S = 10.0
_BODY = b'{"message":"fault injected by the dockform fault suite"}'
_ERROR = (
    b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
    b"Content-Length: " + str(len(_BODY)).encode() + b"\r\nConnection: close\r\n\r\n" + _BODY
)


class FaultProxy:
    def __init__(self, listen: Path, upstream: str, rate: float, seed: int = 7) -> None:
        self.listen = listen
        self.upstream = upstream
        self.rate = rate
        self.injecting = False
        self.injected = dict.fromkeys(FAULTS, 0)
        self.requests = 0
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._closed = threading.Event()

    def start(self) -> None:
        self.listen.unlink(missing_ok=True)
        self._server.bind(str(self.listen))
        self._server.listen(128)
        threading.Thread(target=self._accept, name="fault-proxy", daemon=True).start()

    def inject(self) -> None:
        self.injecting = True

    def heal(self) -> None:
        self.injecting = False

    def close(self) -> None:
        self._closed.set()
        with contextlib.suppress(OSError):
            self._server.close()
        self.listen.unlink(missing_ok=True)

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _draw(self) -> str | None:
        with self._lock:
            self.requests += 1
            if not self.injecting or self._rng.random() >= self.rate:
                return None
            fault = self._rng.choice(FAULTS)
            self.injected[fault] += 1
            return fault

    def _serve(self, client: socket.socket) -> None:
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            upstream.connect(self.upstream)
        except OSError:
            client.close()
            return
        threading.Thread(target=_pump, args=(upstream, client), daemon=True).start()
        try:
            while not self._closed.is_set():
                chunk = client.recv(65536)
                if not chunk:
                    break
                fault = self._draw() if chunk.startswith(METHODS) else None
                if fault == "500":
                    client.sendall(_ERROR)
                    break
                if fault == "reset":
                    break
                if fault == "stall":
                    time.sleep(STALL_S)
                upstream.sendall(chunk)
        except OSError:
            pass
        finally:
            # shutdown, not only close: it wakes the pump blocked reading the other end and
            # tells the peer (close alone leaves both while another thread is in recv).
            for end in (upstream, client):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    end.close()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while True:
            chunk = source.recv(65536)
            if not chunk:
                break
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

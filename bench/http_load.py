"""A lean HTTP/1.1 client for load generation over a unix socket, like `wrk` for a socket.

The load generator shares this 2-core host with the daemon it measures, so its own cost per
request must be small: a general client (httpx) spends about a millisecond of Python per
request, which on this host came out of the daemon's share and showed up as daemon latency.
This one writes a fixed request line and reads the status line, headers and a
Content-Length body from one keep-alive connection per client, on uvloop.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import uvloop


class HttpError(Exception):
    pass


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    @classmethod
    async def open(cls, socket: str) -> Connection:
        reader, writer = await asyncio.open_unix_connection(socket, limit=2**24)
        return cls(reader, writer)

    async def get(self, path: str) -> tuple[int, bytes]:
        self._writer.write(f"GET {path} HTTP/1.1\r\nHost: dockform\r\n\r\n".encode())
        head = await self._reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        length = None
        for line in header_lines:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
            elif name.strip().lower() == "transfer-encoding":
                raise HttpError(f"GET {path}: chunked answers are not supported here")
        if length is None:
            raise HttpError(f"GET {path}: answer without Content-Length")
        return status, await self._reader.readexactly(length)

    def close(self) -> None:
        self._writer.close()


def run_load(socket: str, paths: list[Callable[[], str]], duration_s: float) -> list[Tally]:
    """One closed-loop client per entry of `paths` (each call gives its next path), for
    `duration_s`; a Tally of latencies (seconds) and non-200 answers per client."""

    async def client(next_path: Callable[[], str], deadline: float, tally: Tally) -> None:
        connection = await Connection.open(socket)
        try:
            while time.monotonic() < deadline:
                path = next_path()
                started = time.perf_counter()
                status, _ = await connection.get(path)
                elapsed = time.perf_counter() - started
                if status == 200:
                    tally.latencies.append(elapsed)
                else:
                    tally.errors += 1
        finally:
            connection.close()

    async def main() -> list[Tally]:
        tallies = [Tally() for _ in paths]
        deadline = time.monotonic() + duration_s
        await asyncio.gather(
            *(
                client(next_path, deadline, tally)
                for next_path, tally in zip(paths, tallies, strict=True)
            )
        )
        return tallies

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main())

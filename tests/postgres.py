"""A throwaway PostgreSQL cluster for tests: `initdb` and `pg_ctl` in a temporary directory,
listening on a unix socket there only (no TCP port), stopped and deleted at the end.

Never a system service: the cluster is this process's own. PostgreSQL refuses to run as root,
so under root the cluster's directory is handed to the `postgres` user (Debian's package makes
it) and the server runs as that user. Missing binaries fail the tests that need them, with the
package to install: CI installs Debian's `postgresql`.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

SERVER_USER = "postgres"


def _binary(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if found is None:
        raise RuntimeError(f"{name} not found: apt-get install postgresql (Debian's package)")
    return found


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", SERVER_USER, "--", *command]


@dataclass
class Cluster:
    directory: Path
    # Also listening on 127.0.0.1:port (a proxy in front of it can then cut a daemon off).
    port: int | None = None

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def socket_dir(self) -> Path:
        return self.directory

    @classmethod
    def start(cls, port: int | None = None) -> Cluster:
        directory = Path(tempfile.mkdtemp(prefix="dockform-pg-"))
        if os.geteuid() == 0:
            server = pwd.getpwnam(SERVER_USER)
            os.chown(directory, server.pw_uid, server.pw_gid)
        cluster = cls(directory, port)
        subprocess.run(
            _as_server_user(
                [
                    _binary("initdb"),
                    "-D",
                    str(cluster.data),
                    "-U",
                    SERVER_USER,
                    "--auth=trust",
                    "--no-sync",
                    "-E",
                    "UTF8",
                ]
            ),
            check=True,
            capture_output=True,
        )
        cluster._pg_ctl("start")
        return cluster

    def _pg_ctl(self, action: str, *extra: str) -> None:
        listen = (
            f"-c listen_addresses=127.0.0.1 -p {self.port}"
            if self.port
            else ("-c listen_addresses=''")
        )
        options = (
            f"-k {self.directory} {listen} -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            _as_server_user(
                [
                    _binary("pg_ctl"),
                    "-D",
                    str(self.data),
                    "-o",
                    options,
                    "-l",
                    str(self.directory / "server.log"),
                    "-w",
                    *extra,
                    action,
                ]
            ),
            check=True,
            capture_output=True,
        )

    def restart(self) -> None:
        """A fast restart: sessions are cut, the server is down for a moment."""
        self._pg_ctl("restart", "-m", "fast")

    def tcp_url(self, database: str, port: int | None = None) -> str:
        """The URL of `database` over TCP on 127.0.0.1 (`port`: a proxy's, else the server's)."""
        return f"postgresql+psycopg://{SERVER_USER}@127.0.0.1:{port or self.port}/{database}"

    def url(self, database: str = "postgres") -> str:
        """The URL of `database` on the unix socket."""
        port = f"&port={self.port}" if self.port else ""
        return f"postgresql+psycopg://{SERVER_USER}@/{database}?host={self.socket_dir}{port}"

    def create_database(self) -> str:
        """A new empty database; its SQLAlchemy URL (unix socket)."""
        return self.url(self.new_database())

    def new_database(self) -> str:
        name = "t_" + uuid.uuid4().hex[:12]
        self.psql(f"CREATE DATABASE {name}")
        return name

    def psql(self, sql: str, database: str = "postgres") -> str:
        done = subprocess.run(
            [
                _binary("psql"),
                "-h",
                str(self.socket_dir),
                *(["-p", str(self.port)] if self.port else []),
                "-U",
                SERVER_USER,
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-At",
                "-c",
                sql,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout

    def stop(self) -> None:
        subprocess.run(
            _as_server_user(
                [_binary("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"]
            ),
            capture_output=True,
        )
        shutil.rmtree(self.directory, ignore_errors=True)

"""One daemon per instance and engine: the lock a daemon holds for its whole life."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dockform.cli.instance_lock import InstanceLock, InstanceTaken, engine_address, lock_path

ENGINE = "unix:///var/run/docker.sock"
HOLDER = {"pid": 4242, "home": "/srv/first", "socket": "/srv/first/dockform.sock"}


def test_a_second_holder_of_one_instance_and_engine_is_refused_naming_the_first(
    tmp_path: Path,
) -> None:
    first = InstanceLock.acquire("web", ENGINE, HOLDER, tmp_path)
    with pytest.raises(InstanceTaken) as raised:
        InstanceLock.acquire("web", ENGINE, {"pid": 1, "home": "/srv/second"}, tmp_path)
    message = str(raised.value)
    assert "instance 'web'" in message and ENGINE in message
    assert "pid 4242" in message and "home /srv/first" in message
    assert "--instance" in message  # what to do
    assert raised.value.holder["home"] == "/srv/first"
    first.release()


def test_other_instances_and_other_engines_are_free(tmp_path: Path) -> None:
    held = InstanceLock.acquire("web", ENGINE, HOLDER, tmp_path)
    other_instance = InstanceLock.acquire("db", ENGINE, HOLDER, tmp_path)
    other_engine = InstanceLock.acquire("web", "unix:///run/other/docker.sock", HOLDER, tmp_path)
    for lock in (held, other_instance, other_engine):
        lock.release()


def test_a_released_lock_is_taken_again_with_the_new_holder(tmp_path: Path) -> None:
    InstanceLock.acquire("web", ENGINE, HOLDER, tmp_path).release()
    second = InstanceLock.acquire("web", ENGINE, {"pid": 7}, tmp_path)
    assert '"pid": 7' in second.path.read_text()
    second.release()


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    """SIGKILL gives no chance to clean up: the kernel drops the flock with the process."""
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from dockform.cli.instance_lock import InstanceLock\n"
        f"lock = InstanceLock.acquire('web', {ENGINE!r}, {{'pid': 1}}, Path({str(tmp_path)!r}))\n"
        "print('held', flush=True)\n"
        "time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        with pytest.raises(InstanceTaken):
            InstanceLock.acquire("web", ENGINE, HOLDER, tmp_path)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    deadline = time.monotonic() + 5
    while True:
        try:
            InstanceLock.acquire("web", ENGINE, HOLDER, tmp_path).release()
            break
        except InstanceTaken:
            assert time.monotonic() < deadline, "the dead holder's lock was never released"
            time.sleep(0.05)


def test_one_socket_spelled_two_ways_is_one_engine(tmp_path: Path) -> None:
    socket = tmp_path / "docker.sock"
    socket.touch()
    (tmp_path / "link.sock").symlink_to(socket)
    assert engine_address(f"unix://{tmp_path}/link.sock") == f"unix://{socket}"
    assert engine_address(f"unix://{tmp_path}/sub/../docker.sock") == f"unix://{socket}"
    assert engine_address("tcp://127.0.0.1:2375/") == "tcp://127.0.0.1:2375"


def test_the_lock_file_names_the_instance_and_differs_per_engine(tmp_path: Path) -> None:
    one = lock_path(tmp_path, ENGINE, "web")
    other = lock_path(tmp_path, "tcp://127.0.0.1:2375", "web")
    assert one != other and one.name.startswith("web-") and other.name.startswith("web-")


def test_daemons_on_a_shared_store_share_the_lock_but_never_with_a_store_of_its_own(
    tmp_path: Path,
) -> None:
    first = InstanceLock.acquire("web", ENGINE, {"pid": 1}, tmp_path, shared=True)
    second = InstanceLock.acquire("web", ENGINE, {"pid": 2}, tmp_path, shared=True)
    with pytest.raises(InstanceTaken, match="pid 1"):
        InstanceLock.acquire("web", ENGINE, {"pid": 3}, tmp_path)
    first.release()
    second.release()
    alone = InstanceLock.acquire("web", ENGINE, {"pid": 3}, tmp_path)
    with pytest.raises(InstanceTaken, match="pid 3"):
        InstanceLock.acquire("web", ENGINE, {"pid": 4}, tmp_path, shared=True)
    alone.release()

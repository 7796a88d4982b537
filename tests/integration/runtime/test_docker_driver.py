"""DockerRuntime against the real dockerd: every driver method, with the objects it makes
removed again by the `objects` fixture (and swept by label if a run crashes)."""

from __future__ import annotations

import secrets
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import docker
import pytest

from dockform.runtime.docker_driver import PING_TIMEOUT_S, DockerRuntime
from dockform.runtime.errors import (
    ImageBuildFailed,
    InvalidRequest,
    ObjectConflict,
    ObjectNotFound,
    RuntimeFailure,
)
from dockform.runtime.types import (
    BuildRequest,
    ContainerCreate,
    ContainerInfo,
    HealthcheckConfig,
    Mount,
    NetworkCreate,
    PortBinding,
    RuntimeEvent,
    VolumeCreate,
)
from tests.integration.runtime.objects import (
    SERVE_PAGE,
    TEST_LABELS,
    Objects,
    fresh_name,
    wait_for,
)

pytestmark = pytest.mark.integration

T = TypeVar("T")

MS = 1_000_000


@pytest.fixture
def objects(docker_runtime: DockerRuntime) -> Iterator[Objects]:
    created = Objects(docker_runtime)
    yield created
    created.remove_all()


def shell(
    name: str, image: str, script: str, restart_policy: str = "no", **fields: object
) -> ContainerCreate:
    return ContainerCreate(
        name=name,
        image=image,
        labels=dict(TEST_LABELS),
        command=("sh", "-c", script),
        restart_policy=restart_policy,
        **fields,  # type: ignore[arg-type]
    )


def exited(runtime: DockerRuntime, container_id: str) -> ContainerInfo | None:
    info = runtime.inspect_container(container_id)
    return info if info is not None and info.state == "exited" else None


def logs_text(runtime: DockerRuntime, container_id: str, tail: int | None = None) -> str:
    return b"".join(runtime.container_logs(container_id, tail=tail, follow=False)).decode()


# --- engine


def test_ping_and_engine_version(docker_runtime: DockerRuntime) -> None:
    assert docker_runtime.ping() is True
    assert docker_runtime.engine_version()[0].isdigit()


def test_unreachable_engine_is_unavailable_not_a_crash(tmp_path: Path) -> None:
    from dockform.runtime.errors import RuntimeUnavailable

    dead = DockerRuntime(base_url=f"unix://{tmp_path}/nothing.sock", timeout=2)
    assert dead.ping() is False
    with pytest.raises(RuntimeUnavailable):
        dead.list_containers()
    with pytest.raises(RuntimeUnavailable):
        next(iter(dead.events(threading.Event())))


def test_ping_of_a_hung_engine_is_false_within_its_bound(tmp_path: Path) -> None:
    # A socket that accepts but never answers: a dockerd stuck while going down.
    path = tmp_path / "hung.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as hung:
        hung.bind(str(path))
        hung.listen(8)
        stuck = DockerRuntime(base_url=f"unix://{path}")
        started = time.monotonic()
        assert stuck.ping() is False
        assert time.monotonic() - started < PING_TIMEOUT_S + 2


# --- containers


def test_published_port_serves_a_page_on_loopback(
    docker_runtime: DockerRuntime, objects: Objects, busybox_image: str, unique_name: str
) -> None:
    port = PortBinding(container_port=8080, protocol="tcp", host_ip="127.0.0.1", host_port=None)
    container_id = objects.container(shell(unique_name, busybox_image, SERVE_PAGE, ports=(port,)))

    info = docker_runtime.inspect_container(container_id)
    assert info is not None and info.state == "running"
    assert info.name == unique_name
    [bound] = info.ports
    assert (bound.container_port, bound.protocol, bound.host_ip) == (8080, "tcp", "127.0.0.1")
    assert bound.host_port is not None

    def fetch() -> str | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{bound.host_port}/", timeout=2) as page:
                return str(page.read().decode())
        except OSError:
            return None

    assert wait_for(fetch, 10, "the page") == "hello\n"


def test_create_maps_every_field(
    docker_runtime: DockerRuntime, objects: Objects, busybox_image: str, unique_name: str
) -> None:
    volume = objects.runtime.create_volume(VolumeCreate(name=unique_name, labels={}))
    objects.volumes.append(volume)
    request = ContainerCreate(
        name=unique_name,
        image=busybox_image,
        labels={**TEST_LABELS, "app": "web"},
        entrypoint=("sh", "-c"),
        command=('echo "$GREETING $(pwd) $(id -u)"; echo data > /data/file',),
        env={"GREETING": "hi"},
        working_dir="/tmp",
        user="0",
        mounts=(Mount(target="/data", source=volume, type="volume"),),
        restart_policy="no",
        memory_bytes=64 * 1024 * 1024,
        nano_cpus=500_000_000,
        stop_timeout_s=3,
    )
    container_id = objects.container(request)
    info = wait_for(lambda: exited(docker_runtime, container_id), 10, "the container to exit")
    assert info.exit_code == 0
    assert info.labels["app"] == "web"
    assert info.labels["dockform.test.session"]  # extra_labels merged in
    assert logs_text(docker_runtime, container_id) == "hi /tmp 0\n"

    raw = docker.APIClient(version="auto").inspect_container(container_id)
    assert raw["HostConfig"]["Memory"] == 64 * 1024 * 1024
    assert raw["HostConfig"]["NanoCpus"] == 500_000_000
    assert raw["HostConfig"]["RestartPolicy"]["Name"] == "no"
    assert raw["Config"]["StopTimeout"] == 3
    assert [(m["Type"], m["Name"], m["Destination"]) for m in raw["Mounts"]] == [
        ("volume", volume, "/data")
    ]

    # The data outlived the container that wrote it, in the named volume.
    reader = objects.container(
        shell(fresh_name("reader"), busybox_image, "cat /data/file", mounts=request.mounts)
    )
    wait_for(lambda: exited(docker_runtime, reader), 10, "the reader to exit")
    assert logs_text(docker_runtime, reader) == "data\n"


def test_healthcheck_reaches_healthy(
    docker_runtime: DockerRuntime, objects: Objects, busybox_image: str, unique_name: str
) -> None:
    check = HealthcheckConfig(
        test=("CMD-SHELL", "test -f /ready"),
        interval_ns=100 * MS,
        timeout_ns=1000 * MS,
        retries=3,
        start_period_ns=0,
    )
    container_id = objects.container(
        shell(
            unique_name, busybox_image, "sleep 0.5; touch /ready; exec sleep 60", healthcheck=check
        )
    )
    info = docker_runtime.inspect_container(container_id)
    assert info is not None and info.health == "starting"

    def healthy() -> bool:
        current = docker_runtime.inspect_container(container_id)
        return current is not None and current.health == "healthy"

    wait_for(healthy, 10, "healthy")


def test_restart_policy_counts_restarts(
    docker_runtime: DockerRuntime, objects: Objects, busybox_image: str, unique_name: str
) -> None:
    container_id = objects.container(
        shell(unique_name, busybox_image, "sleep 0.1; exit 3", restart_policy="on-failure")
    )

    def restarted() -> ContainerInfo | None:
        info = docker_runtime.inspect_container(container_id)
        return info if info is not None and info.restart_count >= 1 else None

    info = wait_for(restarted, 10, "a restart")
    assert info.finished_at is not None


def test_stop_restart_remove(
    docker_runtime: DockerRuntime, objects: Objects, busybox_image: str, unique_name: str
) -> None:
    # PID 1 gets no default signal handlers: without the trap, stop would wait for SIGKILL.
    script = "trap 'exit 4' TERM; while true; do sleep 0.1; done"
    container_id = objects.container(shell(unique_name, busybox_image, script))
    docker_runtime.start_container(container_id)  # already running is fine

    started = time.monotonic()
    docker_runtime.stop_container(container_id, timeout_s=5)
    assert time.monotonic() - started < 4
    stopped = docker_runtime.inspect_container(container_id)
    assert stopped is not None and stopped.state == "exited"
    assert stopped.exit_code == 4

    docker_runtime.restart_container(container_id, timeout_s=5)
    running = docker_runtime.inspect_container(container_id)
    assert running is not None and running.state == "running" and running.exit_code is None

    docker_runtime.remove_container(container_id)  # running: removal forces
    assert docker_runtime.inspect_container(container_id) is None
    docker_runtime.remove_container(container_id)  # already gone is not an error


def test_name_conflict_and_missing_image(
    docker_runtime: DockerRuntime, objects: Objects, busybox_image: str, unique_name: str
) -> None:
    objects.container(shell(unique_name, busybox_image, "true"), start=False)
    with pytest.raises(ObjectConflict):
        docker_runtime.create_container(shell(unique_name, busybox_image, "true"))
    with pytest.raises(ObjectNotFound):
        docker_runtime.create_container(shell(fresh_name("other"), "dockform-test/none:1", "x"))
    with pytest.raises(ObjectNotFound):
        docker_runtime.start_container("dockform-no-such-container")


def test_list_containers_filters_by_label(
    docker_runtime: DockerRuntime, objects: Objects, busybox_image: str, unique_name: str
) -> None:
    marker = secrets.token_hex(4)
    first = shell(fresh_name("a"), busybox_image, "true")
    second = shell(fresh_name("b"), busybox_image, "true")
    first_id = objects.container(
        ContainerCreate(**{**first.__dict__, "labels": {**TEST_LABELS, "m": marker}}), start=False
    )
    objects.container(second, start=False)

    listed = docker_runtime.list_containers({"m": marker})
    assert [(s.id, s.name, s.state) for s in listed] == [(first_id, first.name, "created")]
    inspected = docker_runtime.inspect_container(first_id)
    assert inspected is not None and inspected.exit_code is None
    assert listed == [inspected.summary()]
    assert docker_runtime.list_containers({"m": "none-" + marker}) == []


def test_logs_tail_and_follow(
    docker_runtime: DockerRuntime, objects: Objects, busybox_image: str, unique_name: str
) -> None:
    script = "for i in 1 2 3 4 5; do echo line$i; done; sleep 0.1; echo oops >&2"
    done_id = objects.container(shell(unique_name, busybox_image, script))
    wait_for(lambda: exited(docker_runtime, done_id), 10, "the container to exit")
    assert logs_text(docker_runtime, done_id, tail=2) == "line5\noops\n"
    assert logs_text(docker_runtime, done_id).startswith("line1\nline2\n")

    ticking = objects.container(
        shell(fresh_name("tick"), busybox_image, "while true; do echo tick; sleep 0.1; done")
    )
    follower = docker_runtime.container_logs(ticking, tail=0, follow=True)
    seen = b""
    for chunk in follower:
        seen += chunk
        if seen.count(b"tick") >= 3:
            break
    assert seen.startswith(b"tick\n")
    follower.close()  # type: ignore[attr-defined]

    with pytest.raises(ObjectNotFound):
        docker_runtime.container_logs("dockform-no-such-container", tail=None, follow=False)


# --- images


def write_context(directory: Path, dockerfile: str) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Dockerfile").write_text(dockerfile)
    return str(directory)


def test_build_tags_and_labels_the_image(
    docker_runtime: DockerRuntime, objects: Objects, busybox_image: str, tmp_path: Path
) -> None:
    tag = f"dockform-test/built-{secrets.token_hex(4)}:1"
    context = write_context(
        tmp_path,
        f"FROM {busybox_image} AS base\nARG WORD\nRUN echo $WORD > /word\nFROM base AS final\n"
        "RUN false\n",
    )
    request = BuildRequest(
        context_dir=context,
        dockerfile="Dockerfile",
        tag=tag,
        labels={"app": "hello"},
        args={"WORD": "built"},
        target="base",  # stops before the failing stage
    )
    image_id = docker_runtime.build_image(request).image_id
    objects.images.append(tag)

    image = docker_runtime.inspect_image(tag)
    assert image is not None and image.id == image_id and tag in image.tags
    assert image.labels["app"] == "hello" and image.labels["dockform.test"] == "1"
    assert image_id in [info.id for info in docker_runtime.list_images({"app": "hello"})]


def test_build_failure_carries_the_output(
    docker_runtime: DockerRuntime, busybox_image: str, tmp_path: Path
) -> None:
    tag = f"dockform-test/broken-{secrets.token_hex(4)}:1"
    context = write_context(tmp_path, f"FROM {busybox_image}\nRUN echo boom-marker && exit 7\n")
    with pytest.raises(ImageBuildFailed) as failure:
        docker_runtime.build_image(
            BuildRequest(context_dir=context, dockerfile="Dockerfile", tag=tag, labels={})
        )
    assert "boom-marker" in str(failure.value)
    # BuildKit's words, or the classic builder's where BuildKit is unavailable.
    assert "exit code: 7" in str(failure.value) or "non-zero code: 7" in str(failure.value)
    assert docker_runtime.inspect_image(tag) is None

    with pytest.raises(ImageBuildFailed, match="Dockerfile"):
        docker_runtime.build_image(
            BuildRequest(context_dir=context, dockerfile="Missing.Dockerfile", tag=tag, labels={})
        )
    with pytest.raises(ImageBuildFailed):
        docker_runtime.build_image(
            BuildRequest(context_dir=str(tmp_path / "absent"), dockerfile="D", tag=tag, labels={})
        )


def test_load_tag_and_remove(
    docker_runtime: DockerRuntime, objects: Objects, busybox_image: str, tmp_path: Path
) -> None:
    busybox = docker_runtime.inspect_image(busybox_image)
    assert busybox is not None
    saved_tag = f"dockform-test/saved-{secrets.token_hex(4)}:1"
    docker_runtime.tag_image(busybox.id, saved_tag)
    objects.images.append(saved_tag)

    tarball = tmp_path / "image.tar"
    with tarball.open("wb") as out:
        for chunk in docker.APIClient(version="auto").get_image(saved_tag):
            out.write(chunk)
    docker_runtime.remove_image(saved_tag)
    assert docker_runtime.inspect_image(saved_tag) is None

    assert docker_runtime.load_image(str(tarball), saved_tag) == busybox.id
    loaded = docker_runtime.inspect_image(saved_tag)
    assert loaded is not None and loaded.id == busybox.id

    # Loaded as another ref: the image the tarball holds gets that tag too.
    wanted = f"dockform-test/wanted-{secrets.token_hex(4)}"
    objects.images.append(wanted)
    assert docker_runtime.load_image(str(tarball), wanted) == busybox.id
    tagged = docker_runtime.inspect_image(f"{wanted}:latest")
    assert tagged is not None and tagged.id == busybox.id
    docker_runtime.remove_image(wanted)

    docker_runtime.remove_image(saved_tag)
    assert docker_runtime.inspect_image(saved_tag) is None
    docker_runtime.remove_image(saved_tag)  # already gone is not an error

    with pytest.raises(ObjectNotFound):
        docker_runtime.load_image(str(tmp_path / "missing.tar"), saved_tag)
    (tmp_path / "garbage.tar").write_bytes(b"not a tarball")
    with pytest.raises(RuntimeFailure):
        docker_runtime.load_image(str(tmp_path / "garbage.tar"), saved_tag)


def test_remove_image_in_use_conflicts(
    docker_runtime: DockerRuntime,
    objects: Objects,
    busybox_image: str,
    tmp_path: Path,
    unique_name: str,
) -> None:
    tag = f"dockform-test/used-{secrets.token_hex(4)}:1"
    context = write_context(tmp_path, f"FROM {busybox_image}\nLABEL used={tag}\n")
    docker_runtime.build_image(
        BuildRequest(context_dir=context, dockerfile="Dockerfile", tag=tag, labels={})
    )
    objects.images.append(tag)
    objects.container(shell(unique_name, tag, "true"), start=False)
    with pytest.raises(ObjectConflict):
        docker_runtime.remove_image(tag)


def test_pull_without_registry_fails_fast(docker_runtime: DockerRuntime) -> None:
    started = time.monotonic()
    # Port 1 on loopback: the Engine's connection is refused at once, and no traffic leaves.
    with pytest.raises(RuntimeFailure):
        docker_runtime.pull_image("127.0.0.1:1/dockform-test/absent:1")
    assert time.monotonic() - started < 10


# --- networks


def random_subnet() -> tuple[str, str]:
    second, third = 200 + secrets.randbelow(50), secrets.randbelow(256)
    return f"10.{second}.{third}.0/24", f"10.{second}.{third}.1"


def test_network_create_inspect_remove(
    docker_runtime: DockerRuntime, objects: Objects, unique_name: str
) -> None:
    subnet, gateway = random_subnet()
    request = NetworkCreate(
        name=unique_name, labels={"tier": "back"}, internal=True, subnet=subnet, gateway=gateway
    )
    network_id = docker_runtime.create_network(request)
    objects.networks.append(network_id)

    info = docker_runtime.inspect_network(unique_name)
    assert info is not None and info.id == network_id
    assert (info.driver, info.internal, info.subnet, info.gateway) == (
        "bridge",
        True,
        subnet,
        gateway,
    )
    assert info.labels["tier"] == "back" and info.container_ids == ()
    assert [n.name for n in docker_runtime.list_networks({"tier": "back"})] == [unique_name]
    with pytest.raises(ObjectConflict):
        docker_runtime.create_network(NetworkCreate(name=unique_name, labels={}))

    docker_runtime.remove_network(unique_name)
    assert docker_runtime.inspect_network(network_id) is None
    docker_runtime.remove_network(unique_name)  # already gone is not an error
    with pytest.raises(InvalidRequest):
        docker_runtime.remove_network("bridge")


def test_containers_resolve_each_other_by_name(
    docker_runtime: DockerRuntime, objects: Objects, busybox_image: str, unique_name: str
) -> None:
    front, back = fresh_name("front"), fresh_name("back")
    for network in (front, back):
        objects.networks.append(docker_runtime.create_network(NetworkCreate(network, labels={})))

    server = objects.container(
        shell(fresh_name("web"), busybox_image, SERVE_PAGE, networks=(back, front))
    )
    server_info = docker_runtime.inspect_container(server)
    assert server_info is not None and set(server_info.networks) == {front, back}
    assert all(server_info.networks.values())  # an address on each
    front_info = docker_runtime.inspect_network(front)
    assert front_info is not None and front_info.container_ids == (server,)
    with pytest.raises(ObjectConflict):
        docker_runtime.remove_network(front)

    # The client is only on `front`: the server's name and its alias resolve there.
    fetch = (
        "for i in 1 2 3 4 5 6 7 8 9 10; do"
        " wget -q -O - http://{}:8080/ && exit 0; sleep 0.3; done; exit 1"
    )
    client_request = shell(
        fresh_name("client"), busybox_image, fetch.format(server_info.name), networks=(front,)
    )
    client = objects.container(client_request)
    client_info = wait_for(lambda: exited(docker_runtime, client), 15, "the client to exit")
    assert client_info.exit_code == 0, logs_text(docker_runtime, client)
    assert logs_text(docker_runtime, client) == "hello\n"

    with pytest.raises(ObjectConflict):
        docker_runtime.connect_network(front, server, aliases=())
    docker_runtime.disconnect_network(front, server)
    docker_runtime.disconnect_network(front, server)  # not connected is the state asked for
    after = docker_runtime.inspect_container(server)
    assert after is not None and set(after.networks) == {back}
    docker_runtime.connect_network(front, server, aliases=("www",))
    aliased = shell(fresh_name("alias"), busybox_image, fetch.format("www"), networks=(front,))
    alias_client = objects.container(aliased)
    alias_info = wait_for(lambda: exited(docker_runtime, alias_client), 15, "the alias client")
    assert alias_info.exit_code == 0, logs_text(docker_runtime, alias_client)


# --- volumes


def test_volume_lifecycle_and_in_use_conflict(
    docker_runtime: DockerRuntime, objects: Objects, busybox_image: str, unique_name: str
) -> None:
    request = VolumeCreate(name=unique_name, labels={"keep": "yes"}, driver_opts={})
    assert docker_runtime.create_volume(request) == unique_name
    objects.volumes.append(unique_name)

    info = docker_runtime.inspect_volume(unique_name)
    assert info is not None and info.driver == "local" and info.labels["keep"] == "yes"
    assert info.mountpoint
    assert [v.name for v in docker_runtime.list_volumes({"keep": "yes"})] == [unique_name]

    user = objects.container(
        shell(
            fresh_name("user"),
            busybox_image,
            "true",
            mounts=(Mount(target="/v", source=unique_name, type="volume"),),
        ),
        start=False,
    )
    with pytest.raises(ObjectConflict):
        docker_runtime.remove_volume(unique_name)

    docker_runtime.remove_container(user)
    docker_runtime.remove_volume(unique_name)
    assert docker_runtime.inspect_volume(unique_name) is None
    docker_runtime.remove_volume(unique_name)  # already gone is not an error


# --- events


def test_events_report_destroy_and_stop_ends_the_stream(
    docker_runtime: DockerRuntime, objects: Objects, busybox_image: str, unique_name: str
) -> None:
    stop = threading.Event()
    received: list[RuntimeEvent] = []
    ended = threading.Event()

    def consume() -> None:
        for event in docker_runtime.events(stop):
            received.append(event)
        ended.set()

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    time.sleep(0.3)  # let the stream open; events before it are not replayed

    container_id = objects.container(shell(unique_name, busybox_image, "exec sleep 60"))
    docker_runtime.remove_container(container_id)
    removed_at = time.monotonic()

    def destroyed() -> RuntimeEvent | None:
        for event in list(received):
            if (event.type, event.id, event.action) == ("container", container_id, "destroy"):
                return event
        return None

    event = wait_for(destroyed, 2, "the destroy event")
    assert time.monotonic() - removed_at < 2
    assert event.labels["name"] == unique_name and event.labels["dockform.test"] == "1"
    assert event.time_ns > 0
    actions = [e.action for e in received if e.id == container_id]
    assert {"create", "start", "die", "destroy"} <= set(actions)

    stop.set()
    assert ended.wait(1.5), "events() did not end within 1.5 s of stop"
    consumer.join(1)


def test_calls_share_one_kept_alive_connection(
    docker_runtime: DockerRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # docker-py alone keeps one pool per URL (25 at most): 40 names meant 40 new connections.
    from docker.transport.unixconn import UnixHTTPConnection

    connects = 0
    original = UnixHTTPConnection.connect

    def counting_connect(self: UnixHTTPConnection) -> None:
        nonlocal connects
        connects += 1
        original(self)

    monkeypatch.setattr(UnixHTTPConnection, "connect", counting_connect)
    for index in range(40):
        assert docker_runtime.inspect_container(fresh_name(f"absent-{index}")) is None
        docker_runtime.list_containers({"dockform.test.absent": str(index)})
    assert connects <= 1

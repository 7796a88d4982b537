"""FakeRuntime mirrors the Engine where planners and the controller care."""

from __future__ import annotations

import threading
import time

import pytest

from dockform.runtime.errors import (
    InvalidRequest,
    ObjectConflict,
    ObjectNotFound,
    RuntimeFailure,
    RuntimeUnavailable,
)
from dockform.runtime.fake import FakeRuntime
from dockform.runtime.interface import Runtime
from dockform.runtime.types import (
    BuildRequest,
    ContainerCreate,
    HealthcheckConfig,
    Mount,
    NetworkCreate,
    PortBinding,
    RuntimeEvent,
    VolumeCreate,
)


@pytest.fixture
def fake() -> FakeRuntime:
    return FakeRuntime()


def container_request(
    name: str = "web", image: str = "hello:latest", **fields: object
) -> ContainerCreate:
    return ContainerCreate(name=name, image=image, labels={"app": name}, **fields)  # type: ignore[arg-type]


def test_is_a_runtime() -> None:
    runtime: Runtime = FakeRuntime()
    assert runtime.ping() and runtime.engine_version() == "fake"


def test_create_start_records_calls_and_state(fake: FakeRuntime) -> None:
    image_id = fake.add_image("hello")
    container_id = fake.create_container(container_request())
    created = fake.inspect_container("web")
    assert created is not None and created.id == container_id
    assert (created.state, created.image_id, created.exit_code) == ("created", image_id, None)
    assert created.networks == {"bridge": ""}

    fake.start_container(container_id)
    running = fake.inspect_container(container_id)
    assert running is not None and running.state == "running" and running.started_at
    assert running.networks["bridge"].startswith("172.17.0.")
    assert fake.calls == ["create_container web", f"start_container {container_id}"]


def test_taken_name_and_missing_image_or_network(fake: FakeRuntime) -> None:
    fake.add_image("hello:latest")
    fake.create_container(container_request())
    with pytest.raises(ObjectConflict):
        fake.create_container(container_request())
    with pytest.raises(ObjectNotFound):
        fake.create_container(container_request("api", image="absent:1"))
    with pytest.raises(ObjectNotFound):
        fake.create_container(container_request("api", networks=("backend",)))
    assert [info.name for info in fake.list_containers()] == ["web"]


def test_ports_are_bound_while_running(fake: FakeRuntime) -> None:
    fake.add_image("hello")
    port = PortBinding(8080, "tcp", "127.0.0.1", None)
    fixed = PortBinding(9090, "tcp", "127.0.0.1", 19090)
    container_id = fake.create_container(container_request(ports=(port, fixed)))

    def ports() -> tuple[PortBinding, ...]:
        info = fake.inspect_container(container_id)
        assert info is not None
        return info.ports

    assert ports() == ()
    fake.start_container(container_id)
    bound = ports()
    assert [p.container_port for p in bound] == [8080, 9090]
    assert bound[0].host_port is not None and bound[1].host_port == 19090
    fake.stop_container(container_id, 10)
    assert ports() == ()


def test_remove_forces_a_running_container_and_ignores_missing(fake: FakeRuntime) -> None:
    fake.add_image("hello")
    container_id = fake.create_container(container_request())
    fake.start_container(container_id)
    fake.remove_container(container_id)
    fake.remove_container(container_id)
    assert fake.inspect_container("web") is None
    assert [e.action for e in fake.emitted if e.type == "container"] == [
        "create",
        "start",
        "die",
        "destroy",
    ]


def test_kill_follows_the_restart_policy(fake: FakeRuntime) -> None:
    fake.add_image("hello")
    never = fake.create_container(container_request("once", restart_policy="no"))
    on_failure = fake.create_container(container_request("retry", restart_policy="on-failure"))
    for container_id in (never, on_failure):
        fake.start_container(container_id)

    fake.kill(never, 1)
    fake.kill(on_failure, 0)  # a clean exit is not a failure
    stopped = fake.inspect_container(never)
    assert stopped is not None and (stopped.state, stopped.exit_code) == ("exited", 1)
    clean = fake.inspect_container(on_failure)
    assert clean is not None and (clean.state, clean.restart_count) == ("exited", 0)

    fake.start_container(on_failure)
    fake.kill(on_failure, 2)
    restarted = fake.inspect_container(on_failure)
    assert restarted is not None and (restarted.state, restarted.restart_count) == ("running", 1)
    assert restarted.exit_code is None
    with pytest.raises(ValueError):
        fake.kill(never, 1)


def test_health_starts_then_follows_set_health(fake: FakeRuntime) -> None:
    fake.add_image("hello")
    check = HealthcheckConfig(("CMD", "true"), 10**9, 10**9, 3, 0)
    checked = fake.create_container(container_request(healthcheck=check))
    plain = fake.create_container(container_request("plain"))
    fake.start_container(checked)
    fake.start_container(plain)
    inspected = [fake.inspect_container(summary.id) for summary in fake.list_containers()]
    assert [(i.name, i.health) for i in inspected if i is not None] == [
        ("plain", None),
        ("web", "starting"),
    ]
    fake.set_health(checked, "healthy")
    info = fake.inspect_container(checked)
    assert info is not None and info.health == "healthy"
    assert fake.emitted[-1].action == "health_status" and fake.emitted[-1].labels["app"] == "web"


def test_list_filters_by_every_label(fake: FakeRuntime) -> None:
    fake.add_image("hello")
    fake.create_container(ContainerCreate("a", "hello", {"tier": "web", "env": "prod"}))
    fake.create_container(ContainerCreate("b", "hello", {"tier": "web"}))
    assert [i.name for i in fake.list_containers({"tier": "web"})] == ["a", "b"]
    assert [i.name for i in fake.list_containers({"tier": "web", "env": "prod"})] == ["a"]
    assert fake.list_containers({"tier": "db"}) == []
    summaries = fake.list_containers({"tier": "web"})
    assert summaries == [fake.inspect_container(name).summary() for name in ("a", "b")]  # type: ignore[union-attr]
    assert [(s.name, s.state) for s in summaries] == [("a", "created"), ("b", "created")]


def test_logs_tail(fake: FakeRuntime) -> None:
    fake.add_image("hello")
    container_id = fake.create_container(container_request())
    fake.set_logs(container_id, b"one\ntwo\nthree\n")
    assert b"".join(fake.container_logs(container_id, tail=2, follow=False)) == b"two\nthree\n"
    assert (
        b"".join(fake.container_logs(container_id, tail=None, follow=True)) == b"one\ntwo\nthree\n"
    )
    with pytest.raises(ObjectNotFound):
        fake.container_logs("absent", tail=None, follow=False)


def test_networks_in_use_only_while_a_member_runs(fake: FakeRuntime) -> None:
    fake.add_image("hello")
    network_id = fake.create_network(
        NetworkCreate("backend", {"tier": "back"}, subnet="10.9.0.0/24")
    )
    with pytest.raises(ObjectConflict):
        fake.create_network(NetworkCreate("backend", {}))
    container_id = fake.create_container(container_request(networks=("backend",)))
    info = fake.inspect_network("backend")
    assert info is not None and info.id == network_id and info.container_ids == ()

    fake.start_container(container_id)
    running = fake.inspect_container(container_id)
    assert running is not None and running.networks == {"backend": "10.9.0.2"}
    with pytest.raises(ObjectConflict):
        fake.remove_network("backend")

    fake.stop_container(container_id, 10)
    fake.remove_network(network_id)
    fake.remove_network(network_id)  # gone is fine
    with pytest.raises(ObjectNotFound):
        fake.start_container(container_id)  # its network went away meanwhile
    with pytest.raises(InvalidRequest):
        fake.remove_network("bridge")


def test_connect_and_disconnect(fake: FakeRuntime) -> None:
    fake.add_image("hello")
    fake.create_network(NetworkCreate("front", {}))
    container_id = fake.create_container(container_request())
    fake.start_container(container_id)
    fake.connect_network("front", container_id, ("www",))
    with pytest.raises(ObjectConflict):
        fake.connect_network("front", container_id, ())
    info = fake.inspect_container(container_id)
    assert info is not None and set(info.networks) == {"bridge", "front"}
    front = fake.inspect_network("front")
    assert front is not None and front.container_ids == (container_id,)

    fake.disconnect_network("front", container_id)
    fake.disconnect_network("front", container_id)  # not connected is fine
    info = fake.inspect_container(container_id)
    assert info is not None and set(info.networks) == {"bridge"}
    assert fake.calls[-3:] == [
        f"connect_network front {container_id}",
        f"disconnect_network front {container_id}",
        f"disconnect_network front {container_id}",
    ]


def test_volumes_in_use_by_any_container_and_created_on_demand(fake: FakeRuntime) -> None:
    fake.add_image("hello")
    assert fake.create_volume(VolumeCreate("data", {"keep": "yes"})) == "data"
    assert fake.create_volume(VolumeCreate("data", {})) == "data"  # existing: same volume
    mounts = (Mount("/data", "data", "volume"), Mount("/cache", "cache", "volume"))
    container_id = fake.create_container(container_request(mounts=mounts))
    assert [v.name for v in fake.list_volumes()] == ["cache", "data"]
    assert [v.name for v in fake.list_volumes({"keep": "yes"})] == ["data"]

    with pytest.raises(ObjectConflict):
        fake.remove_volume("data")  # even though the container never ran
    fake.remove_container(container_id)
    fake.remove_volume("data")
    fake.remove_volume("data")
    assert fake.inspect_volume("data") is None


def test_images_build_tag_and_remove(fake: FakeRuntime) -> None:
    request = BuildRequest("/ctx", "Dockerfile", "hello:1", {"hash": "a"})
    first = fake.build_image(request).image_id
    assert fake.build_image(request).image_id == first  # same inputs, same image
    changed = fake.build_image(
        BuildRequest("/ctx", "Dockerfile", "hello:1", {"hash": "b"})
    ).image_id
    assert changed != first
    old = fake.inspect_image(first)
    assert old is not None and old.tags == ()  # the tag moved to the new build

    fake.tag_image(changed, "hello:stable")
    image = fake.inspect_image("hello:1")
    assert image is not None and image.tags == ("hello:1", "hello:stable")
    fake.remove_image("hello:stable")  # one of two tags: untag only
    assert fake.inspect_image(changed) is not None

    fake.create_container(container_request(image="hello:1"))
    with pytest.raises(ObjectConflict):
        fake.remove_image("hello:1")
    fake.remove_container("web")
    fake.remove_image("hello:1")
    fake.remove_image("hello:1")
    assert fake.inspect_image(changed) is None
    assert "build_image hello:1" in fake.calls and "remove_image hello:1" in fake.calls


def test_pull_and_load_need_a_source(fake: FakeRuntime) -> None:
    with pytest.raises(ObjectNotFound):
        fake.pull_image("redis:7")
    fake.add_remote_image("redis:7", {"origin": "hub"})
    image_id = fake.pull_image("redis:7")
    assert fake.pull_image("redis:7") == image_id
    pulled = fake.inspect_image("redis:7")
    assert pulled is not None and pulled.labels == {"origin": "hub"}

    with pytest.raises(ObjectNotFound):
        fake.load_image("/images/app.tar", "app:1")
    fake.add_tarball("/images/app.tar", ["app:1", "app"])
    image_id = fake.load_image("/images/app.tar", "app")
    loaded = fake.inspect_image("app")
    assert loaded is not None and loaded.id == image_id
    assert loaded.tags == ("app:1", "app:latest")
    assert "load_image /images/app.tar app" in fake.calls


def test_load_tags_the_image_as_the_wanted_ref(fake: FakeRuntime) -> None:
    fake.add_tarball("/images/saved.tar", ["saved/app:7"], {"origin": "tar"})
    image_id = fake.load_image("/images/saved.tar", "app:1")
    loaded = fake.inspect_image("app:1")
    assert loaded is not None and loaded.id == image_id
    assert loaded.tags == ("app:1", "saved/app:7") and loaded.labels == {"origin": "tar"}

    fake.add_tarball("/images/untagged.tar", [])
    untagged_id = fake.load_image("/images/untagged.tar", "bare")
    bare = fake.inspect_image("bare:latest")
    assert bare is not None and (bare.id, bare.tags) == (untagged_id, ("bare:latest",))


def test_fail_next_injects_one_failure(fake: FakeRuntime) -> None:
    fake.add_image("hello")
    fake.fail_next("create_container", RuntimeFailure("boom"))
    with pytest.raises(RuntimeFailure, match="boom"):
        fake.create_container(container_request())
    fake.create_container(container_request())  # only the next call failed
    assert fake.calls == ["create_container web", "create_container web"]
    with pytest.raises(ValueError):
        fake.fail_next("no_such_method", RuntimeFailure("x"))


def test_unavailable_engine(fake: FakeRuntime) -> None:
    fake.set_available(False)
    assert fake.ping() is False
    with pytest.raises(RuntimeUnavailable):
        fake.list_containers()
    fake.set_available(True)
    assert fake.list_containers() == []


def test_events_stream_until_stopped(fake: FakeRuntime) -> None:
    fake.add_image("hello")
    stop = threading.Event()
    received: list[RuntimeEvent] = []
    finished = threading.Event()

    def consume() -> None:
        for event in fake.events(stop):
            received.append(event)
        finished.set()

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    container_id = fake.create_container(container_request())
    fake.remove_container(container_id)
    deadline = time.monotonic() + 2
    while not any(e.action == "destroy" for e in received) and time.monotonic() < deadline:
        time.sleep(0.01)
    destroy = [e for e in received if e.action == "destroy"]
    assert destroy and destroy[0].id == container_id and destroy[0].labels["name"] == "web"

    stop.set()
    assert finished.wait(1)
    consumer.join(1)

"""Golden tests of the one executor: each act's runtime call and event, and the error classes.

Every kind's plan runs through `controller.executor.Executor`; these tests pin what the same
act reads like on every kind (one reason per act) and how each failure is classified, with the
fake runtime failing on demand (`FakeRuntime.fail_next`).
"""

from __future__ import annotations

import time

import pytest

from dockform.controller.actions import (
    Action,
    BuildImage,
    ConnectNetwork,
    CreateContainer,
    CreateNetwork,
    CreateVolume,
    DisconnectNetwork,
    LoadImage,
    Plan,
    PullImage,
    RemoveContainer,
    RemoveImage,
    RemoveNetwork,
    RemoveVolume,
    RestartContainer,
    StartContainer,
    StopContainer,
)
from dockform.controller.errors import TerminalError, TransientError
from dockform.controller.executor import REASONS, Executed, Executor
from dockform.controller.expectations import Expectations
from dockform.controller.outcomes import EventNote
from dockform.controller.reconcile_id import reconciling
from dockform.manifests.namespaces import key
from dockform.manifests.status import EventType, Reason
from dockform.runtime.errors import (
    ImageBuildFailed,
    InvalidRequest,
    ObjectConflict,
    ObjectNotFound,
    RuntimeFailure,
    RuntimeUnavailable,
)
from dockform.runtime.fake import FakeRuntime
from dockform.runtime.types import (
    BuildRequest,
    BuildResult,
    ContainerCreate,
    NetworkCreate,
    VolumeCreate,
)

LABELS = {"io.dockform.managed": "true"}


@pytest.fixture()
def runtime() -> FakeRuntime:
    fake = FakeRuntime()
    fake.add_image("app:1")
    return fake


@pytest.fixture()
def expectations() -> Expectations:
    return Expectations()


@pytest.fixture()
def executor(runtime: FakeRuntime, expectations: Expectations) -> Executor:
    return Executor(runtime, expectations)


def run(executor: Executor, *actions: Action, kind: str = "Container") -> Executed:
    return executor.execute(Plan(actions=actions), key(kind, "web"))


def container(name: str = "web") -> ContainerCreate:
    return ContainerCreate(name=name, image="app:1", labels=LABELS)


def note(reason: Reason, message: str, subject: str = "") -> EventNote:
    return EventNote(EventType.NORMAL, reason, message, subject=subject)


# --- one call and one event reason per act, the same on every kind


def test_creates_read_created_on_every_kind(executor: Executor, runtime: FakeRuntime) -> None:
    cases: list[tuple[str, Action, str, str]] = [
        (
            "Container",
            CreateContainer(cause="not found", request=container()),
            "create_container web",
            "created container:web: not found",
        ),
        (
            "Network",
            CreateNetwork(cause="not found", request=NetworkCreate("back", LABELS)),
            "create_network back",
            "created network:back: not found",
        ),
        (
            "Volume",
            CreateVolume(cause="not found", request=VolumeCreate("data", LABELS)),
            "create_volume data",
            "created volume:data: not found",
        ),
    ]
    for kind, action, call, message in cases:
        executed = run(executor, action, kind=kind)
        assert runtime.calls[-1] == call
        assert executed.events == [note(Reason.CREATED, message)]
        assert executed.done == [(action, executed.output_of(type(action)))]
    assert runtime.inspect_container("web") is not None
    assert runtime.inspect_network("back") is not None
    assert runtime.inspect_volume("data") is not None


def test_a_replacing_create_reads_replaced(executor: Executor, runtime: FakeRuntime) -> None:
    executed = run(
        executor,
        CreateContainer(cause="config hash changed", request=container(), replacing=True),
    )
    network = run(
        executor,
        CreateNetwork(
            cause="driver changed", request=NetworkCreate("back", LABELS), replacing=True
        ),
        kind="Network",
    )
    assert executed.events == [note(Reason.REPLACED, "replaced container:web: config hash changed")]
    assert network.events == [note(Reason.REPLACED, "replaced network:back: driver changed")]


def test_removals_read_removed_on_every_kind(executor: Executor, runtime: FakeRuntime) -> None:
    web = runtime.create_container(container())
    runtime.create_network(NetworkCreate("back", LABELS))
    runtime.create_volume(VolumeCreate("data", LABELS))
    runtime.build_image(BuildRequest("/src", "Dockerfile", "app:2", LABELS))
    cases: list[tuple[str, Action, str]] = [
        ("Container", RemoveContainer(cause="deleted", container=web), f"remove_container {web}"),
        ("Network", RemoveNetwork(cause="deleted", network="back"), "remove_network back"),
        ("Volume", RemoveVolume(cause="deleted", volume="data"), "remove_volume data"),
        ("Image", RemoveImage(cause="deleted", ref="app:2"), "remove_image app:2"),
    ]
    for kind, action, call in cases:
        executed = run(executor, action, kind=kind)
        assert runtime.calls[-1] == call
        assert executed.events == [note(Reason.REMOVED, f"removed {action.target()}: deleted")]
    assert runtime.containers == {}
    assert runtime.inspect_network("back") is None
    assert runtime.volumes == {}
    assert runtime.inspect_image("app:2") is None


def test_garbage_removals_read_garbage_collected_with_their_subject(
    executor: Executor, runtime: FakeRuntime
) -> None:
    orphan = runtime.create_container(container("old-web"))
    runtime.create_network(NetworkCreate("old-back", LABELS))
    runtime.build_image(BuildRequest("/src", "Dockerfile", "old:1", LABELS))
    cases: list[tuple[str, Action]] = [
        (
            "Container",
            RemoveContainer(
                cause="no Container/old owns it", container=orphan, garbage=True, subject="old"
            ),
        ),
        (
            "Network",
            RemoveNetwork(
                cause="no Network/old owns it", network="old-back", garbage=True, subject="old"
            ),
        ),
        (
            "Image",
            RemoveImage(cause="no Image/old owns it", ref="old:1", garbage=True, subject="old"),
        ),
    ]
    for kind, action in cases:
        executed = run(executor, action, kind=kind)
        message = f"removed {action.target()}: no {kind}/old owns it"
        assert executed.events == [note(Reason.GARBAGE_COLLECTED, message, subject="old")]
    assert runtime.containers == {}
    assert runtime.inspect_network("old-back") is None
    assert runtime.inspect_image("old:1") is None


def test_image_acts_read_built_pulled_loaded(executor: Executor, runtime: FakeRuntime) -> None:
    runtime.add_remote_image("remote:1")
    runtime.add_tarball("/tmp/app.tar", ["loaded:1"])
    cases: list[tuple[Action, str, Reason, str]] = [
        (
            BuildImage(cause="not found", request=BuildRequest("/src", "Dockerfile", "app:2", {})),
            "build_image app:2",
            Reason.BUILT,
            "built image:app:2 with BuildKit: not found",
        ),
        (
            PullImage(cause="not found", ref="remote:1"),
            "pull_image remote:1",
            Reason.PULLED,
            "pulled image:remote:1: not found",
        ),
        (
            LoadImage(cause="tarball changed", ref="loaded:1", path="/tmp/app.tar"),
            "load_image /tmp/app.tar loaded:1",
            Reason.LOADED,
            "loaded image:loaded:1: tarball changed",
        ),
    ]
    for action, call, reason, message in cases:
        executed = run(executor, action, kind="Image")
        assert runtime.calls[-1] == call
        assert executed.events == [note(reason, message)]
        image = runtime.inspect_image(action.target().removeprefix("image:"))
        output = executed.output_of(type(action))
        if isinstance(output, BuildResult):
            output = output.image_id
        assert image is not None and output == image.id


def test_container_acts_call_the_runtime_in_plan_order(
    executor: Executor, runtime: FakeRuntime
) -> None:
    runtime.create_network(NetworkCreate("back", LABELS))
    web = runtime.create_container(container())
    before = len(runtime.calls)
    executed = run(
        executor,
        StartContainer(cause="not running", container=web),
        ConnectNetwork(cause="network added", network="back", container=web, aliases=("web",)),
        RestartContainer(cause="unhealthy", container=web, timeout_s=1),
        DisconnectNetwork(cause="network removed", network="back", container=web),
        StopContainer(cause="config hash changed", container=web, timeout_s=1),
    )
    assert runtime.calls[before:] == [
        f"start_container {web}",
        f"connect_network back {web}",
        f"restart_container {web}",
        f"disconnect_network back {web}",
        f"stop_container {web}",
    ]
    assert [event.reason for event in executed.events] == [
        Reason.STARTED,
        Reason.CONNECTED,
        Reason.RESTARTED,
        Reason.DISCONNECTED,
        Reason.STOPPED,
    ]


def test_every_act_has_one_reason() -> None:
    acts = {cls for cls in Action.__subclasses__()}
    assert acts == set(REASONS)


def test_creating_and_starting_a_container_is_expected(
    executor: Executor, runtime: FakeRuntime, expectations: Expectations
) -> None:
    executed = run(
        executor,
        CreateContainer(cause="not found", request=container()),
        StartContainer(cause="not running", container="web"),
    )
    assert executed.did(StartContainer)
    assert expectations.pending() == 2
    assert expectations.consume(key("Container", "web"), "create")
    assert expectations.consume(key("Container", "web"), "start")
    assert not expectations.consume(key("Container", "web"), "start")


def test_other_acts_are_not_expected(
    executor: Executor, runtime: FakeRuntime, expectations: Expectations
) -> None:
    web = runtime.create_container(container())
    run(executor, StopContainer(cause="stop", container=web, timeout_s=1))
    run(executor, RemoveContainer(cause="deleted", container=web))
    run(executor, CreateNetwork(cause="not found", request=NetworkCreate("back", LABELS)))
    assert expectations.pending() == 0


# --- error classes


@pytest.mark.parametrize(
    ("method", "action"),
    [
        ("stop_container", StopContainer(cause="c", container="gone", timeout_s=1)),
        ("remove_container", RemoveContainer(cause="c", container="gone")),
        ("disconnect_network", DisconnectNetwork(cause="c", network="back", container="gone")),
        ("remove_network", RemoveNetwork(cause="c", network="gone")),
        ("remove_volume", RemoveVolume(cause="c", volume="gone")),
        ("remove_image", RemoveImage(cause="c", ref="gone:1")),
    ],
)
def test_not_found_on_stop_remove_or_disconnect_is_done(
    executor: Executor, runtime: FakeRuntime, method: str, action: Action
) -> None:
    runtime.fail_next(method, ObjectNotFound("no such object"))
    after = CreateVolume(cause="next", request=VolumeCreate("after", LABELS))
    executed = run(executor, action, after)
    # Already gone is the state asked for: the plan goes on.
    assert executed.done == [(action, None), (after, "after")]
    assert executed.waiting == ""
    assert executed.events[0].reason in (Reason.REMOVED, Reason.STOPPED, Reason.DISCONNECTED)


@pytest.mark.parametrize(
    ("method", "action"),
    [
        ("create_container", CreateContainer(cause="c", request=container())),
        ("create_network", CreateNetwork(cause="c", request=NetworkCreate("back", LABELS))),
        ("create_volume", CreateVolume(cause="c", request=VolumeCreate("data", LABELS))),
        ("start_container", StartContainer(cause="c", container="web")),
        ("connect_network", ConnectNetwork(cause="c", network="n", container="w", aliases=())),
    ],
)
def test_not_found_on_create_or_start_is_transient(
    executor: Executor, runtime: FakeRuntime, method: str, action: Action
) -> None:
    # What it needs (an image, a network) may appear: retried with backoff.
    runtime.fail_next(method, ObjectNotFound("no such image: app:1"))
    with pytest.raises(TransientError) as raised:
        run(executor, action)
    assert raised.value.reason is Reason.ENGINE_ERROR
    assert action.target() in str(raised.value)


@pytest.mark.parametrize(
    ("method", "action"),
    [
        ("remove_network", RemoveNetwork(cause="deleted", network="back")),
        ("remove_volume", RemoveVolume(cause="deleted", volume="data")),
        ("remove_image", RemoveImage(cause="deleted", ref="app:1")),
    ],
)
def test_in_use_on_a_removal_stops_the_plan_and_says_why(
    executor: Executor, runtime: FakeRuntime, method: str, action: Action
) -> None:
    runtime.fail_next(method, ObjectConflict("has active endpoints"))
    after = CreateVolume(cause="next", request=VolumeCreate("after", LABELS))
    executed = run(executor, action, after)
    assert executed.waiting == f"{action.target()} is still in use: has active endpoints"
    assert executed.done == []
    assert executed.events == []
    assert "create_volume after" not in runtime.calls


def test_a_conflict_on_a_container_removal_is_transient(
    executor: Executor, runtime: FakeRuntime
) -> None:
    runtime.fail_next("remove_container", ObjectConflict("removal already in progress"))
    with pytest.raises(TransientError) as raised:
        run(executor, RemoveContainer(cause="deleted", container="web"))
    assert raised.value.reason is Reason.ENGINE_ERROR


def test_a_failed_build_is_terminal(executor: Executor, runtime: FakeRuntime) -> None:
    runtime.fail_next("build_image", ImageBuildFailed("step 2/3: exit code 1"))
    build = BuildImage(cause="not found", request=BuildRequest("/src", "Dockerfile", "app:2", {}))
    with pytest.raises(TerminalError) as raised:
        run(executor, build, kind="Image")
    assert raised.value.reason is Reason.BUILD_FAILED
    assert "step 2/3: exit code 1" in str(raised.value)


@pytest.mark.parametrize(
    "error",
    [InvalidRequest("invalid reference format"), ObjectNotFound("repository does not exist")],
)
def test_a_pull_that_cannot_succeed_is_terminal(
    executor: Executor, runtime: FakeRuntime, error: RuntimeFailure
) -> None:
    runtime.fail_next("pull_image", error)
    with pytest.raises(TerminalError) as raised:
        run(executor, PullImage(cause="not found", ref="nope:1"), kind="Image")
    assert raised.value.reason is Reason.PULL_FAILED


def test_pulling_an_image_no_registry_has_is_terminal(
    executor: Executor, runtime: FakeRuntime
) -> None:
    # The fake, like the engine, answers a missing repository with ObjectNotFound.
    with pytest.raises(TerminalError) as raised:
        run(executor, PullImage(cause="not found", ref="nope:1"), kind="Image")
    assert raised.value.reason is Reason.PULL_FAILED


def test_loading_a_missing_tarball_is_terminal(executor: Executor, runtime: FakeRuntime) -> None:
    with pytest.raises(TerminalError) as raised:
        run(executor, LoadImage(cause="not found", ref="x:1", path="/gone.tar"), kind="Image")
    assert raised.value.reason is Reason.LOAD_FAILED


def test_a_pull_the_engine_may_retry_is_transient(executor: Executor, runtime: FakeRuntime) -> None:
    runtime.fail_next("pull_image", RuntimeFailure("registry answered 503"))
    with pytest.raises(TransientError) as raised:
        run(executor, PullImage(cause="not found", ref="remote:1"), kind="Image")
    assert raised.value.reason is Reason.ENGINE_ERROR


def test_an_engine_refusal_elsewhere_is_terminal_engine_error(
    executor: Executor, runtime: FakeRuntime
) -> None:
    runtime.fail_next("create_container", InvalidRequest("invalid mount config"))
    with pytest.raises(TerminalError) as raised:
        run(executor, CreateContainer(cause="not found", request=container()))
    assert raised.value.reason is Reason.ENGINE_ERROR


def test_an_unavailable_engine_is_transient(executor: Executor, runtime: FakeRuntime) -> None:
    runtime.fail_next("remove_volume", RuntimeUnavailable("engine restarting"))
    with pytest.raises(TransientError) as raised:
        run(executor, RemoveVolume(cause="deleted", volume="data"), kind="Volume")
    assert raised.value.reason is Reason.ENGINE_ERROR
    runtime.set_available(False)
    for kind, action in (
        ("Container", CreateContainer(cause="not found", request=container())),
        ("Network", RemoveNetwork(cause="deleted", network="back")),
        ("Image", BuildImage(cause="x", request=BuildRequest("/s", "Dockerfile", "a:1", {}))),
    ):
        with pytest.raises(TransientError) as raised:
            run(executor, action, kind=kind)
        assert raised.value.reason is Reason.ENGINE_ERROR
        assert "the fake engine is down" in str(raised.value)


def test_a_passed_deadline_stops_before_any_call(executor: Executor, runtime: FakeRuntime) -> None:
    before = list(runtime.calls)
    with reconciling("r-00000001", time.monotonic() - 1), pytest.raises(TransientError) as raised:
        run(
            executor,
            CreateContainer(cause="not found", request=container()),
            StartContainer(cause="not running", container="web"),
        )
    assert raised.value.reason is Reason.RECONCILE_TIMEOUT
    assert "0 of 2 done" in str(raised.value)
    assert runtime.calls == before


def test_a_deadline_passing_mid_plan_stops_before_the_next_call(runtime: FakeRuntime) -> None:
    now = [100.0]

    def clock() -> float:
        return now[0]

    executor = Executor(runtime, Expectations(), clock=clock)

    original = runtime.create_container

    def slow_create(request: ContainerCreate) -> str:
        now[0] += 10  # the create takes ten (fake) seconds
        return original(request)

    runtime.create_container = slow_create  # type: ignore[method-assign]
    with reconciling("r-00000002", 105.0), pytest.raises(TransientError) as raised:
        run(
            executor,
            CreateContainer(cause="not found", request=container()),
            StartContainer(cause="not running", container="web"),
        )
    assert raised.value.reason is Reason.RECONCILE_TIMEOUT
    assert "1 of 2 done" in str(raised.value)
    assert not any(call.startswith("start_container") for call in runtime.calls)


def test_no_deadline_outside_a_pass(executor: Executor, runtime: FakeRuntime) -> None:
    executed = run(executor, CreateContainer(cause="not found", request=container()))
    assert executed.did(CreateContainer)

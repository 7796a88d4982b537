"""Kinds are registrations: the manager names none, every kind declares all the manager needs,
and a new kind is one registration (a tiny `Widget` kind, reconciled by the real manager)."""

from __future__ import annotations

import ast
import io
import re
import threading
import tokenize
from collections.abc import Sequence
from pathlib import Path

import pytest
from pydantic import BaseModel

from dockform.controller import manager as manager_module
from dockform.controller.context import ReconcileContext
from dockform.controller.manager import Manager
from dockform.controller.outcomes import DeleteOutcome, EventNote, Outcome
from dockform.controller.reconcilers import REGISTRATIONS
from dockform.controller.registry import Key, KeyLookup, KindRegistration, Registry
from dockform.controller.status import make_status, observed_as
from dockform.manifests.kinds import Kind
from dockform.manifests.models import SPEC_MODELS
from dockform.manifests.namespaces import key
from dockform.manifests.status import EventType, Observed, Phase, Reason
from dockform.runtime.fake import FakeRuntime
from dockform.runtime.types import RuntimeEvent, VolumeCreate
from dockform.settings import Backoff, ControllerSettings, KindLimits
from dockform.store.orm import ResourceRow, utcnow
from dockform.store.repository import Store
from dockform.store.types import Resource
from tests.unit.controller.conftest import wait

KIND_WORDS = re.compile(r"\b(Container|Image|Network|Volume|GitSource)\b")


def code_without_comments_or_docstrings(path: Path) -> str:
    """The source's tokens, less its comments and docstrings (what the code itself says)."""
    source = path.read_text()
    docstrings: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(body[0].lineno)
    kept: list[str] = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            continue
        if token.type == tokenize.STRING and token.start[0] in docstrings:
            continue
        kept.append(token.string)
    return " ".join(kept)


def test_the_manager_names_no_kind() -> None:
    code = code_without_comments_or_docstrings(Path(manager_module.__file__))
    assert "def process" in code  # the stripping kept the code
    assert KIND_WORDS.findall(code) == []


def test_the_stripping_sees_kinds_in_code(tmp_path: Path) -> None:
    module = tmp_path / "sample.py"
    module.write_text(
        '"""Container in a docstring."""\n# Image in a comment\nKIND = "Network"\n'
        "def f() -> None:\n"
        '    """Volume in a docstring."""\n'
        "    return None\n"
    )
    assert KIND_WORDS.findall(code_without_comments_or_docstrings(module)) == ["Network"]


def test_every_manifest_kind_is_registered_once_with_what_the_manager_needs() -> None:
    assert sorted(registration.kind for registration in REGISTRATIONS) == sorted(Kind)
    for registration in REGISTRATIONS:
        assert registration.spec_model is SPEC_MODELS[registration.kind], registration.kind
        assert issubclass(registration.observed_model, Observed), registration.kind
        assert registration.observed_model is not Observed, registration.kind
        assert callable(registration.reconciler), registration.kind
        assert isinstance(registration.limits, KindLimits), registration.kind
        assert registration.limits.workers >= 1 and registration.limits.timeout_s > 0


def test_registration_limits_are_per_kind_and_settings_override_them(store: Store) -> None:
    limits = {registration.kind: registration.limits for registration in REGISTRATIONS}
    # Builds and fetches take minutes: longer timeouts than a container's pass.
    assert limits[Kind.IMAGE].timeout_s > limits[Kind.CONTAINER].timeout_s
    assert limits[Kind.GIT_SOURCE].timeout_s > limits[Kind.CONTAINER].timeout_s
    settings = ControllerSettings(kinds={"Image": KindLimits(workers=1, timeout_s=5)})
    manager = Manager(ReconcileContext(store=store, runtime=FakeRuntime(), settings=settings))
    assert manager.limits[Kind.IMAGE] == KindLimits(workers=1, timeout_s=5)
    assert manager.limits[Kind.CONTAINER] == limits[Kind.CONTAINER]
    assert set(manager.queues) == set(Kind)


def test_a_kind_registered_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        Registry([*REGISTRATIONS, REGISTRATIONS[0]])


# --- a new kind is one registration


class WidgetSpec(BaseModel):
    size: int = 1


class WidgetObserved(Observed):
    passes: int | None = None


class Widgets:
    """What the test sees of its Widget kind: the passes and the events its mapper saw."""

    def __init__(self) -> None:
        self.passes: list[str] = []
        self.mapped: list[RuntimeEvent] = []
        self.lock = threading.Lock()

    def registration(self) -> KindRegistration:
        return KindRegistration(
            kind="Widget",
            spec_model=WidgetSpec,
            observed_model=WidgetObserved,
            reconciler=lambda context: WidgetReconciler(self),
            event_mappers=(self.map_event,),
            limits=KindLimits(workers=1, timeout_s=5),
        )

    def map_event(self, event: RuntimeEvent, lookup: KeyLookup) -> Sequence[Key]:
        """A volume named widget-<name> concerns Widget/<name>, when there is one."""
        if event.type != "volume" or not event.id.startswith("widget-"):
            return ()
        with self.lock:
            self.mapped.append(event)
        name = event.id.removeprefix("widget-")
        return (key("Widget", name),) if lookup.get("Widget", name) is not None else ()

    def count(self, name: str) -> int:
        with self.lock:
            return self.passes.count(name)


class WidgetReconciler:
    def __init__(self, widgets: Widgets) -> None:
        self._widgets = widgets

    def reconcile(self, resource: Resource) -> Outcome:
        spec = WidgetSpec.model_validate(resource.spec)
        with self._widgets.lock:
            self._widgets.passes.append(resource.name)
        passes = (observed_as(resource, WidgetObserved).passes or 0) + 1
        status = make_status(
            resource,
            phase=Phase.READY,
            ready=True,
            reason=Reason.PRESENT,
            message=f"a widget of size {spec.size}",
            observed=WidgetObserved(passes=passes),
        )
        note = EventNote(EventType.NORMAL, Reason.SYNCED, f"pass {passes}")
        return Outcome(status=status, events=(note,))

    def delete(self, resource: Resource) -> DeleteOutcome:
        return DeleteOutcome(done=True)

    def collect_garbage(self, owned: Sequence[Resource]) -> Sequence[EventNote]:
        return ()


def write_widget(store: Store, name: str, size: int) -> None:
    """A Widget row as an apply would write it. The manifest loader knows only the kinds of
    `manifests.kinds`; the controller needs only the row."""
    now = utcnow()
    with store.write_session() as session:
        session.add(
            ResourceRow(
                kind="Widget",
                name=name,
                spec={"size": size},
                spec_hash=f"widget-{size}",
                labels={},
                annotations={},
                generation=1,
                resource_version=1,
                source="cli",
                created_at=now,
                updated_at=now,
                deletion_requested_at=None,
            )
        )


def test_a_new_kind_is_one_registration(store: Store) -> None:
    widgets = Widgets()
    runtime = FakeRuntime()
    settings = ControllerSettings(retry=Backoff(base_s=0.05, cap_s=0.5), resync_s=3600)
    context = ReconcileContext(store=store, runtime=runtime, settings=settings)
    manager = Manager(context, [*REGISTRATIONS, widgets.registration()])
    manager.start()
    try:
        assert manager.limits["Widget"] == KindLimits(workers=1, timeout_s=5)
        write_widget(store, "blue", size=3)
        manager.desired_changed([key("Widget", "blue")])
        wait(
            lambda: (
                (found := store.get("Widget", "blue")) is not None and found.status.phase == "Ready"
            )
        )
        blue = store.get("Widget", "blue")
        assert blue is not None
        assert blue.status.message == "a widget of size 3"
        assert blue.status.observed == {"passes": 1}
        events = store.list_events("Widget", "blue")
        assert [(event.reason, event.message) for event in events] == [("Synced", "pass 1")]
        assert events[0].reconcile_id is not None and events[0].reconcile_id.startswith("r-")
        assert manager.wait_idle(5)
        assert widgets.count("blue") == 1

        # An engine event its mapper claims wakes it; the mapper sees the others too.
        runtime.create_volume(VolumeCreate("unrelated", {}))
        runtime.create_volume(VolumeCreate("widget-blue", {}))
        wait(lambda: widgets.count("blue") == 2)
        assert [event.id for event in widgets.mapped] == ["widget-blue"]
        wait(lambda: store.get("Widget", "blue").status.observed == {"passes": 2})  # type: ignore[union-attr]
        # A volume for a Widget that does not exist wakes nothing.
        runtime.create_volume(VolumeCreate("widget-red", {}))
        wait(lambda: len(widgets.mapped) == 2)
        assert manager.wait_idle(5)
        assert widgets.passes == ["blue", "blue"]
    finally:
        manager.stop()

"""Schemathesis against the ASGI app: no generated request gets a 500, and every answer is one
the OpenAPI document describes (status code, content type, body schema).

The app runs on a real SQLite store in a temp dir with a Manager over FakeRuntime (not
started), so every route runs its real code. Streams are bounded (`stream_limit_s`) because
the ASGI test transport waits for a response's end. Examples per operation are few, to keep
this a unit test; raise FUZZ_EXAMPLES to search harder.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CheckContext, not_a_server_error
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from dockform.api.app import create_app
from dockform.api.deps import AppState
from dockform.api.server import TokenAuth
from dockform.controller.context import ReconcileContext
from dockform.controller.manager import Manager
from dockform.runtime.fake import FakeRuntime
from dockform.store.apply import Applier
from dockform.store.repository import Store

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))


def _app_state(home: Path) -> AppState:
    store = Store.open(f"sqlite:///{home / 'dockform.db'}")
    manager = Manager(ReconcileContext(store=store, runtime=FakeRuntime()))  # never started
    return AppState(
        store=store,
        applier=Applier(store, on_change=manager.desired_changed),
        controller=manager,
        version="fuzz",
        stream_limit_s=0.2,
        events_poll_s=0.02,
        heartbeat_s=0.05,
        max_body_bytes=64 * 1024,
    )


# Loaded at collection: schemathesis generates one test per operation from the document.
# (Its lazy fixture loader does not work with pytest 9.)
_HOME = tempfile.TemporaryDirectory(prefix="dockform-fuzz-")
_STATE = _app_state(Path(_HOME.name))
# Wrapped as on the TCP listener, so the bearer token the document declares is enforced.
_TOKEN = "fuzz-token"
_AUTH = {"Authorization": f"Bearer {_TOKEN}"}
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", TokenAuth(create_app(_STATE), _TOKEN), headers=_AUTH
)


@pytest.fixture(scope="module", autouse=True)
def _cleanup() -> Iterator[None]:
    yield
    _STATE.store.close()
    _HOME.cleanup()


# A text body (YAML) is a string on the wire whatever the generator meant: "null" or "3" are
# texts the loader reads as empty or invalid documents, so "wrong type" cases do not apply.
_TEXT_TYPES = frozenset({"application/yaml", "text/plain"})


@schemathesis.check
def negative_data_rejection_outside_text_bodies(
    ctx: CheckContext, response: Response, case: schemathesis.Case
) -> bool | None:
    if case.media_type in _TEXT_TYPES:
        return None
    return negative_data_rejection(ctx, response, case)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_request_gets_a_server_error(case: schemathesis.Case) -> None:
    case.call_and_validate(
        headers=_AUTH,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
            negative_data_rejection_outside_text_bodies,
        ],
    )

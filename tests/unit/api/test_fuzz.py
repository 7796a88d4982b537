"""Schemathesis against the ASGI app with every check it has (`--checks all`): no generated
request gets a 500, every answer is one the OpenAPI document describes (status code, content
type, headers, body schema, `Allow` of a 405), schema-valid requests are accepted and invalid
ones refused. One narrow tolerance, for apply and diff only: a 422 for a rule no JSON Schema
can state, recognised by the `reason` of every issue (see `_BODY_OPERATIONS`).

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
from schemathesis.specs.openapi.checks import positive_data_acceptance

from bench.faultsuite.fuzz import accepting_semantic_refusals, auth_headers
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


# A schema-valid apply or diff body is accepted, or refused for host access (403), another
# source's object or a stale resourceVersion (409), both of which schemathesis takes as refusals
# of valid data; or refused (422) for a rule no JSON Schema can state, which the operations
# document and every issue names in its `reason` (a dependency cycle, one kind/name twice, a
# ulimit's soft above its hard): the check takes exactly those, as the fault suite's fuzz does.
_BODY_OPERATIONS = ("POST /v1/apply", "POST /v1/diff")
_positive_data_acceptance_but_semantic_refusals = accepting_semantic_refusals()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_answer_is_one_the_document_describes(case: schemathesis.Case) -> None:
    # No `checks=`: every check schemathesis has (its default set, as `--checks all`).
    # The token, but none for a negative case that removed it (see auth_headers).
    headers = auth_headers(case, _TOKEN)
    if case.operation.label not in _BODY_OPERATIONS:
        case.call_and_validate(headers=headers)
        return
    case.call_and_validate(
        headers=headers,
        excluded_checks=[positive_data_acceptance],
        additional_checks=[_positive_data_acceptance_but_semantic_refusals],
    )

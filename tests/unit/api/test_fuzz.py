"""Schemathesis against the ASGI app with every check it has (`--checks all`): no generated
request gets a 500, every answer is one the OpenAPI document describes (status code, content
type, headers, body schema, `Allow` of a 405), schema-valid requests are accepted and invalid
ones refused. One narrow tolerance, for apply and diff only: see `_UNSTATED_FIELDS`.

The app runs on a real SQLite store in a temp dir with a Manager over FakeRuntime (not
started), so every route runs its real code. Streams are bounded (`stream_limit_s`) because
the ASGI test transport waits for a response's end. Examples per operation are few, to keep
this a unit test; raise FUZZ_EXAMPLES to search harder.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CheckContext
from schemathesis.core.transport import Response
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

from dockform.api.app import create_app
from dockform.api.deps import AppState
from dockform.api.server import TokenAuth
from dockform.controller.context import ReconcileContext
from dockform.controller.manager import Manager
from dockform.runtime.fake import FakeRuntime
from dockform.store.apply import Applier
from dockform.store.repository import Store
from dockform.store.sealing import Sealer
from dockform.store.vault import Vault

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))


def _app_state(home: Path) -> AppState:
    store = Store.open(f"sqlite:///{home / 'dockform.db'}")
    manager = Manager(ReconcileContext(store=store, runtime=FakeRuntime()))  # never started
    return AppState(
        store=store,
        applier=Applier(
            store, on_change=manager.desired_changed, sealer=Sealer(Vault.generate(), environ={})
        ),
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


# Refusals of schema-valid manifests that the JSON Schema does not state. Schemathesis already
# takes 403 (host access) and 409 (another source's object, a stale resourceVersion) as
# refusals of valid data; what is left is a 422 of the loader:
# - rules no JSON Schema can state: a dependency cycle, the same kind/name twice;
# - fields that a validator in manifests.models checks beyond their schema (the syntax of a
#   securityOpt, a capability name, ...): listed one by one, to be moved into the schema;
# - a pattern with `\s`, which Python reads wider than JSON Schema's ECMA dialect (U+001C-1F
#   and U+0085 are whitespace to Python only), so a value valid by the document is refused.
_UNSTATED_RULES = re.compile(
    r"depend on each other|dependency cycle|is defined twice|^duplicate \w+/"
    r"|should match pattern '[^']*\\s"
    # Secret/Config content read at apply: a file or variable the daemon does not have.
    r"|does not exist on the daemon's host|is a directory, not a file|cannot be read"
    r"|environment has no variable|placeholder `dockform get -o yaml` shows"
    r"|two secrets or configs mount at"
)
_UNSTATED_FIELDS = re.compile(
    r"(?:metadata\.(?:labels|annotations)"  # label key syntax; NUL in any map key
    r"|spec\.(?:labels|env|sysctls|driverOpts|securityOpt|capAdd|capDrop|extraHosts|dns"
    r"|networks|ulimits|devices|volumes|gpus|build\.args|logging\.options))"
    r"(?:\[[^\]]*\]|\.[^.\[]+)*"
)
_BODY_OPERATIONS = ("POST /v1/apply", "POST /v1/diff")


def _refused_for_an_unstated_rule(response: Response) -> bool:
    if response.status_code != 422:
        return False
    issues = json.loads(response.content).get("issues") or []
    return bool(issues) and all(
        issue.get("kind")
        and (
            _UNSTATED_RULES.search(issue.get("message", ""))
            or _UNSTATED_FIELDS.fullmatch(issue.get("path", ""))
        )
        for issue in issues
    )


def _positive_data_acceptance_but_unstated_rules(
    ctx: CheckContext, response: Response, case: schemathesis.Case
) -> bool | None:
    """schemathesis's positive_data_acceptance, except for the refusals listed above."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if _refused_for_an_unstated_rule(response):
            return None
        raise


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_answer_is_one_the_document_describes(case: schemathesis.Case) -> None:
    # No `checks=`: every check schemathesis has (its default set, as `--checks all`).
    if case.operation.label not in _BODY_OPERATIONS:
        case.call_and_validate(headers=_AUTH)
        return
    case.call_and_validate(
        headers=_AUTH,
        excluded_checks=[positive_data_acceptance],
        additional_checks=[_positive_data_acceptance_but_unstated_rules],
    )

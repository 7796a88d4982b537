"""fuzz: schemathesis over every operation of the OpenAPI document, with all of its checks.

The app runs in-process as in tests/unit/api/test_fuzz.py (a real SQLite store, a Manager over
FakeRuntime that is not started, streams bounded, the bearer token enforced as on the TCP
listener) but with the daemon's own body limit. For each operation and each generation mode
(positive: data the document allows; negative: data it forbids) hypothesis draws an equal share
of the cases; every response goes through every check schemathesis registers. Failures are
counted per check (schemathesis's failure title) and per operation; 5xx answers on their own.

One check is narrowed, the same way as in tests/unit/api/test_fuzz.py: positive_data_acceptance
takes a schema-valid body refused with 422 when every issue of the answer names a rule no JSON
Schema can state in its `reason` (`manifests.errors.SEMANTIC_REASONS`: a dependency cycle, one
kind/name twice, a ulimit's soft above its hard), as the apply and diff operations document.
Those refusals are counted by reason; any other refusal of a schema-valid body is a failure.
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import hypothesis
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import CheckContext
from schemathesis.core.transport import Response
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

from bench.faultsuite.common import Sizes, reference, say, zero
from dockform.api.app import create_app
from dockform.api.deps import AppState
from dockform.api.server import TokenAuth
from dockform.controller.context import ReconcileContext
from dockform.controller.manager import Manager
from dockform.manifests.errors import SEMANTIC_REASONS
from dockform.runtime.fake import FakeRuntime
from dockform.store.apply import Applier
from dockform.store.repository import Store

TOKEN = "faults-fuzz-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MAX_ROUNDS = 4
MAX_SECONDS = 900.0
REJECTED_POSITIVE = "Schema-valid request rejected"  # positive_data_acceptance's failure title


def auth_headers(case: Any, token: str) -> dict[str, str]:
    """The bearer token, except for a negative case that removed it: no token then.

    A case may negate several parameters at once; when the first is not a header, the
    transport does not drop the Authorization header the case removed, and the token given
    to `call` would turn the case valid but for what serialisation may lose (an empty list
    in the query): the check would then find a valid request accepted.
    """
    removed = "Authorization" not in (case.headers or {})
    if removed and case.meta is not None and case.meta.generation.mode.is_negative:
        return {"Authorization": ""}
    return {"Authorization": f"Bearer {token}"}


def semantic_reasons(response: Response) -> list[str] | None:
    """The reasons of a 422 whose every issue names a rule no JSON Schema states; else None."""
    if response.status_code != 422:
        return None
    try:
        issues = json.loads(response.content).get("issues") or []
    except (ValueError, AttributeError):
        return None
    reasons = [str(issue.get("reason")) for issue in issues if isinstance(issue, dict)]
    if not issues or len(reasons) != len(issues) or not all(r in SEMANTIC_REASONS for r in reasons):
        return None
    return sorted(set(reasons))


def accepting_semantic_refusals(
    seen: Callable[[list[str]], None] = lambda reasons: None,
) -> Callable[[CheckContext, Response, Any], bool | None]:
    """schemathesis's positive_data_acceptance, but for a 422 whose every issue names its
    semantic reason (which `seen` is told)."""

    def positive_data_acceptance_but_semantic_refusals(
        ctx: CheckContext, response: Response, case: Any
    ) -> bool | None:
        try:
            return positive_data_acceptance(ctx, response, case)
        except RejectedPositiveData:
            reasons = semantic_reasons(response)
            if reasons is None:
                raise
            seen(reasons)
            return None

    return positive_data_acceptance_but_semantic_refusals


class Tally:
    def __init__(self) -> None:
        self.cases = 0
        self.server_errors = 0
        self.statuses: dict[str, int] = {}
        self.failures: dict[str, int] = {}  # check title -> count
        self.where: dict[str, set[str]] = {}  # check title -> operations
        self.transport_errors: dict[str, int] = {}
        self.examples: dict[str, str] = {}
        self.generation_gave_up: dict[str, int] = {}
        self.semantic: dict[str, int] = {}  # reason -> schema-valid bodies refused for it
        self.check = accepting_semantic_refusals(self._semantic)

    def _semantic(self, reasons: list[str]) -> None:
        for reason in reasons:
            self.semantic[reason] = self.semantic.get(reason, 0) + 1

    def record(self, operation: str, case: Any) -> None:
        self.cases += 1
        headers = auth_headers(case, TOKEN)
        try:
            response = case.call(headers=headers)
        except Exception as error:
            name = type(error).__name__
            self.transport_errors[name] = self.transport_errors.get(name, 0) + 1
            return
        status = f"{response.status_code // 100}xx"
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if response.status_code >= 500:
            self.server_errors += 1
        try:
            case.validate_response(
                response,
                headers=headers,
                excluded_checks=[positive_data_acceptance],
                additional_checks=[self.check],
            )
        except BaseException as raised:
            if isinstance(raised, KeyboardInterrupt):
                raise
            for failure in getattr(raised, "exceptions", [raised]):
                title = str(getattr(failure, "title", type(failure).__name__))
                self.failures[title] = self.failures.get(title, 0) + 1
                self.where.setdefault(title, set()).add(operation)
                self.examples.setdefault(
                    title, f"{operation}: {str(failure)[:300]}\nrequest: {_request(case)}"
                )


def _request(case: Any) -> str:
    """What the case sent besides its body, to reproduce a failure by hand."""
    parts = {
        "path": case.path_parameters,
        "query": case.query,
        "headers": {k: v for k, v in (case.headers or {}).items()},
    }
    return repr(parts)[:600]


def run(sizes: Sizes, workdir: Path, api: Any) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="fuzz-", dir=workdir) as home:
        store = Store.open(f"sqlite:///{Path(home) / 'dockform.db'}")
        manager = Manager(ReconcileContext(store=store, runtime=FakeRuntime()))  # never started
        state = AppState(
            store=store,
            applier=Applier(store, on_change=manager.desired_changed),
            controller=manager,
            version="faults",
            stream_limit_s=0.05,
            events_poll_s=0.01,
            heartbeat_s=0.02,
        )
        try:
            return _fuzz(sizes, state)
        finally:
            store.close()


def _fuzz(sizes: Sizes, state: AppState) -> dict[str, Any]:
    schema = schemathesis.openapi.from_asgi(
        "/openapi.json", TokenAuth(create_app(state), TOKEN), headers=AUTH
    )
    # Err results (an operation the document cannot describe) would raise here: a finding.
    operations = [result.ok() for result in cast(Any, schema).get_all_operations()]
    modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    tally = Tally()
    started = time.monotonic()
    # Operations without parameters yield a case or two, whatever is asked: the next pass
    # shares what is left of the budget among those that gave all they were asked for.
    active = list(operations)
    for round_ in range(MAX_ROUNDS):
        wanted = sizes.fuzz_cases - tally.cases
        if wanted <= 0 or not active or time.monotonic() - started > MAX_SECONDS:
            break
        share = math.ceil(wanted / (len(active) * len(modes)))
        still_active = []
        for operation in active:
            before = tally.cases
            for mode in modes:
                _draw(tally, operation, mode, share, seed=round_)
            if tally.cases - before >= share * len(modes):
                still_active.append(operation)
        active = still_active
        say(f"fuzz pass {round_ + 1}: {tally.cases} cases so far")
    elapsed = time.monotonic() - started
    checks_failed = sum(tally.failures.values())
    schema_titles = {t: n for t, n in tally.failures.items() if "Server error" not in t}
    return {
        "figures": [
            reference("cases", tally.cases),
            reference("operations", len(operations)),
            zero("5xx answers", tally.server_errors),
            zero("schema violations (all checks)", sum(schema_titles.values())),
            zero("transport errors", sum(tally.transport_errors.values())),
            zero(
                "schema-valid bodies refused, not for a semantic reason",
                tally.failures.get(REJECTED_POSITIVE, 0),
            ),
            *[zero(f"check: {title}", count) for title, count in sorted(schema_titles.items())],
            *[
                reference(f"schema-valid bodies refused (422): {reason}", count)
                for reason, count in sorted(tally.semantic.items())
            ],
        ],
        "semantic_refusals": tally.semantic,
        "statuses": tally.statuses,
        "check_failures": tally.failures,
        "check_failures_total": checks_failed,
        "failing_operations": {t: sorted(ops) for t, ops in tally.where.items()},
        "examples": tally.examples,
        "transport_errors": tally.transport_errors,
        "generation_gave_up": tally.generation_gave_up,
        "rate_per_s": round(tally.cases / elapsed, 1) if elapsed else None,
        "method": (
            "schemathesis in-process on the ASGI app (real SQLite store, FakeRuntime); "
            "cases shared equally among operations and generation modes (positive, negative), "
            f"in up to {MAX_ROUNDS} passes (an operation without parameters yields only a few); "
            "every registered check, positive_data_acceptance taking a 422 whose every issue "
            f"names a rule no JSON Schema states ({', '.join(SEMANTIC_REASONS)})"
        ),
    }


def _draw(tally: Tally, operation: Any, mode: GenerationMode, count: int, seed: int) -> None:
    strategy = operation.as_strategy(generation_mode=mode)

    @hypothesis.seed(seed)  # reproducible, and a new pass draws new cases
    @given(case=strategy)
    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def one(case: Any) -> None:
        tally.record(operation.label, case)

    try:
        one()
    except Exception as error:  # hypothesis gave up on this operation (unsatisfiable, say)
        key = f"{operation.label} {mode.value}: {type(error).__name__}"
        tally.generation_gave_up[key] = tally.generation_gave_up.get(key, 0) + 1

"""fuzz: schemathesis over every operation of the OpenAPI document, with all of its checks.

The app runs in-process as in tests/unit/api/test_fuzz.py (a real SQLite store, a Manager over
FakeRuntime that is not started, streams bounded, the bearer token enforced as on the TCP
listener) but with the daemon's own body limit. For each operation and each generation mode
(positive: data the document allows; negative: data it forbids) hypothesis draws an equal share
of the cases; every response goes through every check schemathesis registers. Failures are
counted per check (schemathesis's failure title) and per operation; 5xx answers on their own.
"""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path
from typing import Any, cast

import hypothesis
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

from bench.faultsuite.common import Sizes, reference, say, zero
from dockform.api.app import create_app
from dockform.api.deps import AppState
from dockform.api.server import TokenAuth
from dockform.controller.context import ReconcileContext
from dockform.controller.manager import Manager
from dockform.runtime.fake import FakeRuntime
from dockform.store.apply import Applier
from dockform.store.repository import Store

TOKEN = "faults-fuzz-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MAX_ROUNDS = 4
MAX_SECONDS = 900.0


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

    def record(self, operation: str, case: Any) -> None:
        self.cases += 1
        try:
            response = case.call(headers=AUTH)
        except Exception as error:
            name = type(error).__name__
            self.transport_errors[name] = self.transport_errors.get(name, 0) + 1
            return
        status = f"{response.status_code // 100}xx"
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if response.status_code >= 500:
            self.server_errors += 1
        try:
            case.validate_response(response, headers=AUTH)
        except BaseException as raised:
            if isinstance(raised, KeyboardInterrupt):
                raise
            for failure in getattr(raised, "exceptions", [raised]):
                title = str(getattr(failure, "title", type(failure).__name__))
                self.failures[title] = self.failures.get(title, 0) + 1
                self.where.setdefault(title, set()).add(operation)
                self.examples.setdefault(title, f"{operation}: {str(failure)[:300]}")


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
            *[zero(f"check: {title}", count) for title, count in sorted(schema_titles.items())],
        ],
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
            "every registered check"
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

"""The dashboard's pages and the HTML fragments its script swaps in while following events.

Pages read the store as the `/v1` GETs do (never Docker); writes are the script's, through
`/v1`. Fragments (`/ui/rows`, `/ui/summary`, an object's `/status`) are the same templates as
the pages' parts, so a live update renders a row exactly as a reload would. None of these
routes is in the OpenAPI document: they are pages, not API.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from dockform.api.dashboard import session
from dockform.api.dashboard.guard import PAGE_HEADERS
from dockform.api.dashboard.rows import object_key, rows, to_row
from dockform.api.deps import AppState, StateDep
from dockform.api.routes.resources import NamePath, NamespacePath
from dockform.api.routes.system import leadership
from dockform.api.token import LOCAL_LISTENER_KEY
from dockform.manifests.kinds import Kind, UnknownKindError, canonical_kind, plural
from dockform.store.history import explain, history
from dockform.store.types import Event, Resource

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(include_in_schema=False)

# Events recent enough to mark a row Repairing (api.dashboard.rows) are among the latest few.
_RECENT_EVENTS = 300
_OBJECT_EVENTS = 50
_LOG_KINDS = {Kind.CONTAINER: "containers", Kind.JOB: "jobs"}

FilterQuery = Annotated[str | None, Query(max_length=253)]
KeyQuery = Annotated[list[str], Query(max_length=500)]


def page(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Response:
    state: AppState = request.app.state.dockform
    common = {
        "csrf": csrf_for(request, state),
        "login": not request.scope.get(LOCAL_LISTENER_KEY),
        "version": state.version,
        "leadership": leadership(state),
    }
    return templates.TemplateResponse(
        request, template, {**common, **context}, status_code=status, headers=PAGE_HEADERS
    )


def fragment(request: Request, template: str, context: dict[str, Any]) -> Response:
    return templates.TemplateResponse(request, template, context, headers=PAGE_HEADERS)


def csrf_for(request: Request, state: AppState) -> str:
    found = request.scope.get(session.SESSION_KEY)
    if not isinstance(found, session.Session) or state.token is None:
        return ""
    return session.csrf_token(found, state.token.value)


def _overview_data(state: AppState) -> dict[str, Any]:
    version = state.store.data_version
    now = datetime.now(UTC)
    resources = state.store.list()
    events = state.store.list_events(None, None, None, _RECENT_EVENTS, None)
    return {
        "rows": rows(resources, events, now),
        "namespaces": state.store.namespaces(),
        "kinds": sorted({resource.kind for resource in resources}),
        "version": version,
    }


@router.get("/", response_class=HTMLResponse)
async def overview(
    request: Request,
    state: StateDep,
    namespace: FilterQuery = None,
    kind: FilterQuery = None,
    phase: FilterQuery = None,
    label: FilterQuery = None,
    q: FilterQuery = None,
) -> Response:
    data = await run_in_threadpool(_overview_data, state)
    chosen = {"namespace": namespace, "kind": kind, "phase": phase, "label": label, "q": q}
    return page(request, "overview.html", {**data, "chosen": chosen, "page": "overview"})


@router.get("/ui/version")
async def data_version(state: StateDep) -> dict[str, int]:
    """The store's write counter: the script's safety net for changes no event names (a
    status written without an event, an object applied), polled every few seconds."""
    return {"version": state.store.data_version}


@router.get("/ui/summary", response_class=HTMLResponse)
async def summary(request: Request, state: StateDep) -> Response:
    namespaces = await run_in_threadpool(state.store.namespaces)
    return fragment(request, "summary.html", {"namespaces": namespaces})


def _rows_for(state: AppState, keys: list[str]) -> dict[str, Any]:
    if not keys:
        version = state.store.data_version  # before the data, as api.response_cache reads it
        return {**_overview_data(state), "gone": [], "version": version}
    now = datetime.now(UTC)
    events = state.store.list_events(None, None, None, _RECENT_EVENTS, None)
    found, gone = [], []
    for key in dict.fromkeys(keys):
        resource = _resource_by_key(state, key)
        if resource is None:
            gone.append(key)
            continue
        mine = [e for e in events if object_key(e.kind, e.namespace, e.name) == key]
        found.append(to_row(resource, mine, now))
    return {"rows": found, "gone": gone}


def _resource_by_key(state: AppState, key: str) -> Resource | None:
    namespace, _, rest = key.partition("/")
    kind, _, name = rest.partition("/")
    try:
        canonical = canonical_kind(kind)
    except UnknownKindError:
        return None
    return state.store.get(canonical, name, namespace) if name else None


@router.get("/ui/rows", response_class=HTMLResponse)
async def table_rows(request: Request, state: StateDep, key: KeyQuery = []) -> Response:  # noqa: B006
    """`<tr>`s of the objects named `namespace/Kind/name` (every object without `key`); an
    object gone is a `<tr data-gone>` so the script removes its row."""
    data = await run_in_threadpool(_rows_for, state, key)
    response = fragment(request, "rows.html", data)
    if "version" in data:
        response.headers["X-Dockform-Data-Version"] = str(data["version"])
    return response


def _object_data(state: AppState, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
    resource = state.store.get(kind, name, namespace)
    if resource is None:
        return None
    events: list[Event] = state.store.list_events(kind, name, None, _OBJECT_EVENTS, namespace)
    stored = state.store.list_revisions(kind, name, namespace)
    # Each revision's spec redacted (store.history): a Secret's sealed value never shows.
    revisions = history(resource, stored, True).model_dump(mode="json", by_alias=True)["items"]
    shown = resource.model_dump(mode="json", by_alias=True)
    status = shown["status"]
    return {
        "resource": resource,
        "row": to_row(resource, events, datetime.now(UTC)),
        "spec_yaml": _yaml(shown["spec"]),
        "observed_yaml": _yaml(status.get("observed") or {}),
        "conditions": status.get("conditions") or [],
        "events": events,
        "kinds": plural(kind),
        "logs": _LOG_KINDS.get(Kind(kind)),
        "revisions": revisions,
        "revisions_json": json.dumps(revisions),
        "explanation": explain(resource, stored),
        "pin": resource.pin,
    }


def _yaml(value: Any) -> str:
    return yaml.safe_dump(value, sort_keys=False, default_flow_style=False) if value else ""


async def _object_or_404(
    request: Request, state: AppState, kinds: str, namespace: str, name: str
) -> dict[str, Any] | Response:
    try:
        kind = canonical_kind(kinds)
    except UnknownKindError as error:
        return page(request, "missing.html", {"what": str(error), "page": "missing"}, 404)
    data = await run_in_threadpool(_object_data, state, kind, namespace, name)
    if data is None:
        what = f"{kind.lower()}/{name} in namespace {namespace} not found"
        return page(request, "missing.html", {"what": what, "page": "missing"}, 404)
    return data


@router.get("/ui/objects/{namespace}/{kinds}/{name}", response_class=HTMLResponse)
async def object_page(
    request: Request, state: StateDep, namespace: NamespacePath, kinds: str, name: NamePath
) -> Response:
    data = await _object_or_404(request, state, kinds, namespace, name)
    if isinstance(data, Response):
        return data
    return page(request, "object.html", {**data, "page": "object"})


@router.get("/ui/objects/{namespace}/{kinds}/{name}/status", response_class=HTMLResponse)
async def object_status(
    request: Request, state: StateDep, namespace: NamespacePath, kinds: str, name: NamePath
) -> Response:
    data = await _object_or_404(request, state, kinds, namespace, name)
    if isinstance(data, Response):
        return data
    return fragment(request, "object_status.html", data)


def _sources_data(state: AppState) -> dict[str, Any]:
    git_sources = state.store.list(Kind.GIT_SOURCE)
    return {"sources": state.store.list_sources(), "git_sources": git_sources}


@router.get("/ui/sources", response_class=HTMLResponse)
async def sources_page(request: Request, state: StateDep) -> Response:
    data = await run_in_threadpool(_sources_data, state)
    return page(request, "sources.html", {**data, "page": "sources"})


@router.get("/ui/apply", response_class=HTMLResponse)
async def apply_page(request: Request) -> Response:
    return page(request, "apply.html", {"page": "apply"})

"""The FastAPI application factory: routers, error handlers, middleware, state.

The dashboard (api.dashboard) serves its pages at `/` and under `/ui/`, outside the OpenAPI
document. Routers are included most specific first: `/v1/events`, `/v1/sources` and `/v1/apply` come
before the `/v1/{kinds}` collection routes that would otherwise swallow them.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles

from dockform.api.body import manifest_components
from dockform.api.dashboard import login as dashboard_login
from dockform.api.dashboard import views as dashboard_views
from dockform.api.dashboard.guard import CrossSiteGuard
from dockform.api.dashboard.paths import STATIC_PREFIX
from dockform.api.deps import UNAUTHENTICATED_PATHS, AppState
from dockform.api.errors import install_error_handlers, responses
from dockform.api.metrics import CountApplyRequests
from dockform.api.params import reject_unknown_query
from dockform.api.routes import (
    apply,
    events,
    history,
    logs,
    resources,
    sources,
    system,
    token,
    webhooks,
)


def create_app(state: AppState) -> FastAPI:
    app = FastAPI(
        title="dockform",
        version=state.version,
        summary="Desired-state engine for Docker hosts",
        description=(
            "Apply manifests, read desired and observed state, follow events and logs. "
            'Errors are JSON: {"error": "...", "issues": [{"file", "document", "line", '
            '"path", "message"}]}. Over TCP every request but /healthz and the GitSource '
            "webhooks (signed by the forge instead) needs "
            "`Authorization: Bearer <token>` (the token is in $DOCKFORM_HOME/token). "
            "Unknown query parameters are refused (422)."
        ),
        dependencies=[Depends(reject_unknown_query)],
    )
    app.state.dockform = state
    install_error_handlers(app)
    app.add_middleware(CountApplyRequests)
    app.add_middleware(CrossSiteGuard)
    app.include_router(system.router)
    app.include_router(token.router)
    app.include_router(apply.router)
    app.include_router(events.router)
    app.include_router(sources.router)
    app.include_router(webhooks.router)
    app.include_router(logs.router)
    app.include_router(history.router)
    app.include_router(resources.router)
    app.include_router(dashboard_views.router)
    app.include_router(dashboard_login.router)
    app.mount(
        STATIC_PREFIX.rstrip("/"),
        StaticFiles(directory=dashboard_views.HERE / "static"),
        name="dashboard-static",
    )
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document plus the bearer token that the TCP listener (api.server) demands."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
    )
    components = schema.setdefault("components", {})
    # The apply and diff bodies refer to the manifest schema (api.body).
    components.setdefault("schemas", {}).update(manifest_components())
    components.setdefault("securitySchemes", {})["bearerAuth"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "Over TCP only: the token in $DOCKFORM_HOME/token. "
        "The unix socket needs none.",
    }
    unauthorized = responses(401)[401]
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            if path in UNAUTHENTICATED_PATHS:
                operation["security"] = []
                continue
            operation["security"] = [{"bearerAuth": []}]
            operation["responses"].setdefault(
                "401",
                {
                    "description": unauthorized["description"],
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}
                    },
                },
            )
    app.openapi_schema = schema
    return schema

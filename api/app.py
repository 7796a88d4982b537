"""The FastAPI application factory: routers, error handlers, state."""

from __future__ import annotations

from fastapi import FastAPI

from api.deps import AppState
from api.errors import install_error_handlers
from api.routes import apply, resources, system


def create_app(state: AppState) -> FastAPI:
    app = FastAPI(
        title="dockform",
        version=state.version,
        summary="Desired-state engine for Docker hosts",
        description=(
            "Apply manifests, read desired and observed state, follow events. "
            'Errors are JSON: {"error": ..., "issues": [...]}.'
        ),
    )
    app.state.dockform = state
    install_error_handlers(app)
    app.include_router(system.router)
    app.include_router(apply.router)
    app.include_router(resources.router)
    return app

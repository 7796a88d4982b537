"""Domain errors -> HTTP responses, in one place.

Every error body is `{"error": "<what and where>", "issues": [...]}`; `issues` carries the
file/document/line/path of each manifest problem. Nothing here ever answers 500 for bad input:
unexpected exceptions are logged and reported as 500 with a short message, and tests check
that no input reaches that branch.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from manifests.errors import ManifestError
from manifests.kinds import UnknownKindError
from store.errors import Conflict, NotFound, PruneRefused

log = logging.getLogger("dockform.api")


class ApiError(Exception):
    def __init__(self, status_code: int, message: str, issues: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.issues = issues or []


def error_body(message: str, issues: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": message, "issues": issues or []}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, error: ApiError) -> JSONResponse:
        return JSONResponse(error_body(error.message, error.issues), status_code=error.status_code)

    @app.exception_handler(ManifestError)
    async def _manifest_error(_: Request, error: ManifestError) -> JSONResponse:
        issues = [issue.to_dict() for issue in error.issues]
        return JSONResponse(error_body(str(error), issues), status_code=422)

    @app.exception_handler(UnknownKindError)
    async def _unknown_kind(_: Request, error: UnknownKindError) -> JSONResponse:
        return JSONResponse(error_body(str(error)), status_code=404)

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, error: NotFound) -> JSONResponse:
        return JSONResponse(error_body(str(error)), status_code=404)

    @app.exception_handler(Conflict)
    async def _conflict(_: Request, error: Conflict) -> JSONResponse:
        return JSONResponse(error_body(str(error)), status_code=409)

    @app.exception_handler(PruneRefused)
    async def _prune_refused(_: Request, error: PruneRefused) -> JSONResponse:
        return JSONResponse(error_body(str(error)), status_code=400)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, error: RequestValidationError) -> JSONResponse:
        issues = [
            {
                "path": ".".join(str(part) for part in item.get("loc", ())),
                "message": item.get("msg", ""),
            }
            for item in error.errors()
        ]
        summary = "; ".join(f"{issue['path']}: {issue['message']}" for issue in issues)
        return JSONResponse(error_body(f"invalid request: {summary}", issues), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, error: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            error_body(str(error.detail)), status_code=error.status_code, headers=error.headers
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error serving %s %s", request.method, request.url.path)
        return JSONResponse(error_body(f"internal error: {type(error).__name__}"), status_code=500)

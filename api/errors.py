"""Domain errors -> HTTP responses, in one place.

Every error body is `{"error": "<what and where>", "issues": [...]}` (`api.models.ErrorBody`);
`issues` carries the file/document/line/path of each manifest problem, or the parameter of a
bad request. The mapping:

    ManifestError            422  invalid manifests (every issue listed)
    UnknownKindError         404  /v1/<not a kind>
    store NotFound           404
    store Conflict           409  ownership (names the owner) or a stale resourceVersion
    store DependencyCycle    422  Containers that depend on each other in a circle
    store ContentUnavailable 409  a Secret's or Config's file or variable is missing on the
                                  daemon's host (the body is valid; the host lacks it)
    store PruneRefused       400  prune to an empty set without allowEmpty
    store StoreFull          507  the store's disk is full (names the store's path)
    store StoreUnavailable   503  the database failed (busy, locked): try again
    OSError ENOSPC/EDQUOT    507  a file the daemon writes (the token) found its disk full
    other StoreError         400
    request validation       422
    ApiError                 its own status (403 host access, 413 body too large, ...)

Bad input never reaches the last handler, which answers 500 for bugs; the API's fuzz test
checks that no generated request does.
"""

from __future__ import annotations

import errno
import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from dockform.api.models import ErrorBody
from dockform.manifests.errors import ManifestError
from dockform.manifests.kinds import UnknownKindError
from dockform.store.errors import (
    Conflict,
    ContentUnavailable,
    DependencyCycle,
    NotFound,
    StoreError,
    StoreFull,
    StoreUnavailable,
)

log = logging.getLogger("dockform.api")


class ApiError(Exception):
    def __init__(self, status_code: int, message: str, issues: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.issues = issues or []


def error_body(message: str, issues: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": message, "issues": issues or []}


_DESCRIPTIONS = {
    400: "Bad request (e.g. a refused prune, a bad label selector, undecodable body)",
    401: "Missing or wrong bearer token (TCP listener only)",
    403: "Refused by policy (host access)",
    404: "No such object or kind",
    409: "Conflict: owned by another source, or a stale resourceVersion",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid manifests or request parameters",
    503: "Not available (Docker Engine, controller or store)",
    507: "Insufficient storage: the disk of the store (or of the daemon's files) is full",
}

# What every route that writes to the store (or the daemon's files) may also answer.
WRITE_ERRORS = (503, 507)
_DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for error statuses, all with the ErrorBody schema."""
    return {code: {"model": ErrorBody, "description": _DESCRIPTIONS[code]} for code in codes}


def _json(status: int, message: str, issues: list[dict[str, Any]] | None = None) -> JSONResponse:
    return JSONResponse(error_body(message, issues), status_code=status)


def _validation_issue(item: dict[str, Any]) -> dict[str, Any]:
    location = [str(part) for part in item.get("loc", ())]
    # FastAPI prefixes "query"/"path"/"header"/"body"; name the parameter as the client sent it.
    where = location[0] if location else ""
    path = ".".join(location[1:]) if len(location) > 1 else where
    message = str(item.get("msg", ""))
    return {"path": path, "message": f"{message} (in the {where})" if where else message}


# /v1/<segment> or /v1/<segment>/<name> that no route took: the kind router (`api.kind_params`)
# takes every kind, so the segment is no kind.
_UNKNOWN_KIND_PATH = re.compile(r"^/v1/([^/]+)(?:/[^/]+)?/?$")


_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route answers on this path (routers may nest: ask each to match)."""
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes
        )
    ]


def disk_full(error: OSError, path: object | None) -> ApiError | None:
    """A 507 naming `path` when `error` is a full disk (or quota), else None.

    A write to a full disk raises OSError without a file name: a route that knows which file
    it wrote passes it here itself (the token's), so the message says where.
    """
    if error.errno not in _DISK_FULL_ERRNOS:
        return None
    where = f" writing {path}" if path else ""
    return ApiError(
        507,
        f"the daemon's disk is full{where}: {error.strerror}; nothing was changed. Free "
        "space on that filesystem and try again",
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, error: ApiError) -> JSONResponse:
        return _json(error.status_code, error.message, error.issues)

    @app.exception_handler(ManifestError)
    async def _manifest_error(_: Request, error: ManifestError) -> JSONResponse:
        issues = [issue.to_dict() for issue in error.issues]
        count = len(issues)
        return _json(
            422, f"{count} problem(s) in the manifests; nothing was applied:\n{error}", issues
        )

    @app.exception_handler(UnknownKindError)
    async def _unknown_kind(_: Request, error: UnknownKindError) -> JSONResponse:
        return _json(404, str(error))

    @app.exception_handler(StoreError)
    async def _store_error(_: Request, error: StoreError) -> JSONResponse:
        if isinstance(error, NotFound):
            return _json(404, str(error))
        if isinstance(error, Conflict):
            return _json(409, str(error))
        if isinstance(error, DependencyCycle):
            return _json(422, str(error), [issue.to_dict() for issue in error.issues])
        if isinstance(error, ContentUnavailable):
            # A valid body the daemon's host cannot serve now (a file or variable missing):
            # the same issues, as a conflict with the host's state.
            return _json(409, str(error), [issue.to_dict() for issue in error.issues])
        if isinstance(error, StoreFull):
            log.warning("the store's disk is full (%s): %s", error.location, error.detail)
            return _json(507, str(error))
        if isinstance(error, StoreUnavailable):
            log.warning("the store failed: %s", error.detail)
            return _json(503, str(error))
        return _json(400, str(error))  # PruneRefused, DuplicateObject: the request is wrong

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, error: RequestValidationError) -> JSONResponse:
        details = list(error.errors())
        issues = [_validation_issue(item) for item in details]
        summary = "; ".join(f"{issue['path']}: {issue['message']}" for issue in issues)
        return _json(422, f"invalid request: {summary}", issues)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        headers = dict(error.headers or {})
        message = str(error.detail)
        if error.status_code == 405:
            # Starlette names the methods of the first route on the path only; GET and DELETE
            # of /v1/{kinds}/{name} are two routes.
            headers["Allow"] = ", ".join(_allowed_methods(request))
        unknown = _UNKNOWN_KIND_PATH.match(request.url.path)
        if error.status_code == 404 and unknown is not None:
            message = str(UnknownKindError(unknown.group(1)[:64]))
        return JSONResponse(error_body(message), status_code=error.status_code, headers=headers)

    @app.exception_handler(OSError)
    async def _os_error(request: Request, error: OSError) -> JSONResponse:
        full = disk_full(error, error.filename)
        if full is None:
            return _internal_error(request, error)
        log.warning("%s", full.message)
        return _json(full.status_code, full.message)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        return _internal_error(request, error)


def _internal_error(request: Request, error: Exception) -> JSONResponse:
    log.error("unexpected error serving %s %s", request.method, request.url.path, exc_info=error)
    return _json(500, f"internal error: {type(error).__name__}; see the daemon's log")

"""Routes with a namespaced twin: one handler, two paths.

Every object route exists twice: `/v1/{kinds}/...` means namespace `default` (as before
namespaces existed) and `/v1/namespaces/{namespace}/{kinds}/...` names one. `twin(router,
"GET", "/{kinds:kind}/{name}/explain", ...)` registers a handler that takes `namespace` at
the namespaced path, and at the short path the same handler with `namespace` left out of its
signature and set to `default`, so FastAPI documents and validates both from one definition.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter

from dockform.manifests.namespaces import DEFAULT_NAMESPACE

Handler = TypeVar("Handler", bound=Callable[..., Any])
_NAMESPACE = "namespace"


def twin(
    router: APIRouter, method: str, path: str, *, summary: str, **route: Any
) -> Callable[[Handler], Handler]:
    """Register the decorated `handler(namespace, ...)` at `path` (namespace `default`) and
    at `/namespaces/{namespace}{path}`; `route` are FastAPI's route arguments for both."""

    def register(handler: Handler) -> Handler:
        signature = inspect.signature(handler, eval_str=True)
        if _NAMESPACE not in signature.parameters:
            raise TypeError(f"{handler.__name__} must take a `namespace` parameter")
        short = _without_namespace(handler, signature)
        router.api_route(path, methods=[method], summary=summary, **route)(short)
        router.api_route(
            f"/namespaces/{{namespace}}{path}",
            methods=[method],
            summary=f"{summary} (in a namespace)",
            name=f"namespaced_{handler.__name__}",
            **route,
        )(_evaluated(handler, signature))
        return handler

    return register


def _evaluated(handler: Callable[..., Any], signature: inspect.Signature) -> Callable[..., Any]:
    """`handler` with its annotations evaluated (FastAPI then needs none of its module's
    names)."""
    handler.__signature__ = signature  # type: ignore[attr-defined]
    return handler


def _without_namespace(
    handler: Callable[..., Any], signature: inspect.Signature
) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(handler):

        @functools.wraps(handler)
        async def short_async(**kwargs: Any) -> Any:
            return await handler(namespace=DEFAULT_NAMESPACE, **kwargs)

        short: Callable[..., Any] = short_async
    else:

        @functools.wraps(handler)
        def short_sync(**kwargs: Any) -> Any:
            return handler(namespace=DEFAULT_NAMESPACE, **kwargs)

        short = short_sync
    parameters = [p for name, p in signature.parameters.items() if name != _NAMESPACE]
    short.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    del short.__wrapped__  # type: ignore[attr-defined]  # FastAPI must read the new signature
    return short

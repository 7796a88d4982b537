"""Request dependencies: the store and the controller facade the app was built with."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from controller.facade import Controller
from store.repository import Store


@dataclass
class AppState:
    store: Store
    controller: Controller | None = None
    version: str = "0.0.0"
    max_body_bytes: int = 8 * 1024 * 1024
    settings: dict[str, str] = field(default_factory=dict)


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.dockform
    return state


def get_store(request: Request) -> Store:
    return get_state(request).store


StateDep = Annotated[AppState, Depends(get_state)]
StoreDep = Annotated[Store, Depends(get_store)]

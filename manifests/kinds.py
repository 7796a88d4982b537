"""Kind names as people type them: `container`, `containers`, `Container`, `CONTAINERS`.

The API and CLI use plural lowercase in paths (`/v1/containers`); manifests use the singular
CamelCase kind. This module is the one place that maps between them.
"""

from __future__ import annotations

from enum import StrEnum

from dockform.manifests.models import KINDS


class Kind(StrEnum):
    IMAGE = "Image"
    NETWORK = "Network"
    VOLUME = "Volume"
    CONTAINER = "Container"
    GITSOURCE = "GitSource"


PLURALS: dict[str, str] = {kind: kind.lower() + "s" for kind in KINDS}
_LOOKUP: dict[str, str] = {}
for _kind, _plural in PLURALS.items():
    _LOOKUP[_kind.lower()] = _kind
    _LOOKUP[_plural] = _kind


class UnknownKindError(ValueError):
    def __init__(self, text: str) -> None:
        known = ", ".join(sorted(PLURALS.values()))
        super().__init__(f"unknown kind {text!r}; known kinds: {known}")
        self.text = text


def canonical_kind(text: str) -> str:
    """`containers` / `Container` / `container` -> `Container`; raises UnknownKindError."""
    kind = _LOOKUP.get(text.strip().lower())
    if kind is None:
        raise UnknownKindError(text)
    return kind


def plural(kind: str) -> str:
    return PLURALS[kind]

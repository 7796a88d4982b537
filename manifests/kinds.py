"""Kind names: the `Kind` enum, and kinds as people type them (`container`, `containers`,
`Container`, `CONTAINERS`).

The API and CLI use plural lowercase in paths (`/v1/containers`); manifests use the singular
CamelCase kind. This module is the one place that names the kinds and maps between those
spellings; `manifests.models.KIND_MODELS` maps each kind to its models.
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    """A manifest kind; a member equals (and hashes as) its name, so `Kind.IMAGE == "Image"`."""

    IMAGE = "Image"
    NETWORK = "Network"
    VOLUME = "Volume"
    CONTAINER = "Container"
    GIT_SOURCE = "GitSource"
    SECRET = "Secret"
    CONFIG = "Config"
    JOB = "Job"


PLURALS: dict[Kind, str] = {kind: kind.lower() + "s" for kind in Kind}
_LOOKUP: dict[str, Kind] = {}
for _kind, _plural in PLURALS.items():
    _LOOKUP[_kind.lower()] = _kind
    _LOOKUP[_plural] = _kind


class UnknownKindError(ValueError):
    def __init__(self, text: str) -> None:
        known = ", ".join(sorted(PLURALS.values()))
        super().__init__(f"unknown kind {text!r}; known kinds: {known}")
        self.text = text


def canonical_kind(text: str) -> Kind:
    """`containers` / `Container` / `container` -> `Kind.CONTAINER`; raises UnknownKindError."""
    kind = _LOOKUP.get(text.strip().lower())
    if kind is None:
        raise UnknownKindError(text)
    return kind


def plural(kind: str) -> str:
    return PLURALS[Kind(kind)]

"""What the compose translation's modules share: the drop report, the context of one
translation, names, and the shape of a manifest document."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dockform.manifests.models import API_VERSION

# What Compose accepts and dockform's namespaces accept (the ns branch's NAME_PATTERN).
COMPOSE_NAME_PATTERN = r"^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$"
COMPOSE_NAME_MAX_LENGTH = 63
MEMORY_UNITS = (("Gi", 1024**3), ("Mi", 1024**2), ("Ki", 1024))

# Reports one dropped field of one service: (field, what is dropped).
Report = Callable[[str, str], None]


class ComposeTranslationError(ValueError):
    """The project cannot become manifests at all (a name dockform refuses)."""


@dataclass(frozen=True, order=True)
class Drop:
    """One field dockform cannot express: `SERVICE: FIELD: what is dropped`.

    `owner` is the service, or `networks.NAME` / `volumes.NAME` / `secrets.NAME` for
    top-level objects.
    """

    owner: str
    field: str
    what: str

    def __str__(self) -> str:
        return f"{self.owner}: {self.field}: {self.what}"


@dataclass
class Context:
    project: str
    namespace: str
    drops: list[Drop] = field(default_factory=list)
    # Compose key -> the name a Container uses: the key, or an external object's Docker name.
    network_refs: dict[str, str] = field(default_factory=dict)
    volume_refs: dict[str, str] = field(default_factory=dict)

    def drop(self, owner: str, field_name: str, what: str) -> None:
        self.drops.append(Drop(owner, field_name, what))


def check_name(name: str, what: str) -> None:
    if len(name) > COMPOSE_NAME_MAX_LENGTH or not re.fullmatch(COMPOSE_NAME_PATTERN, name):
        raise ComposeTranslationError(
            f"{what} {name!r}: dockform names take lowercase letters, digits, '-', '_' and '.', "
            f"start and end with a letter or digit, at most {COMPOSE_NAME_MAX_LENGTH} "
            "characters; rename it in the compose file"
        )


def document(context: Context, kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": kind,
        "metadata": {"name": name, "namespace": context.namespace},
        "spec": spec,
    }


def memory(value: Any) -> str:
    """Bytes as Compose normalises them (`"268435456"`) -> `256Mi`, else as given."""
    text = str(value)
    if not text.isdigit():
        return text
    number = int(text)
    for unit, size in MEMORY_UNITS:
        if number and number % size == 0:
            return f"{number // size}{unit}"
    return text


def dropper(context: Context, service: str) -> Report:
    def drop(field_name: str, what: str) -> None:
        context.drop(service, field_name, what)

    return drop


def copy_fields(source: Mapping[str, Any], spec: dict[str, Any], *pairs: tuple[str, str]) -> None:
    for key, out_key in pairs:
        value = source.get(key)
        if value is not None and value != "":
            spec[out_key] = value

"""Namespaces: the identity of an object is (kind, namespace, name), and this module says
how that identity is spelled everywhere else.

`ObjectKey` is the one key the store, the controller's queues, the dependency index, the
API and the CLI pass around. `DEFAULT_NAMESPACE` is where a manifest without
`metadata.namespace` lives; its Docker objects keep their bare names (`engine_name`), so hosts
that ran dockform before namespaces existed stay exactly as they are. Every other namespace
prefixes its engine names with `{namespace}_` (as Compose's `{project}_{name}`), and the
store refuses an apply that would give two objects of one kind the same engine name
(`default`'s `app_db` and `app`'s `db`).
"""

from __future__ import annotations

from typing import NamedTuple

DEFAULT_NAMESPACE = "default"
# What Compose accepts for project and service names: `_` and `.` too. The rule of every
# object and namespace name (models.Name); here so that light modules spell it too.
NAME_PATTERN = r"^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$"
NAME_MAX_LENGTH = 63
ENGINE_SEPARATOR = "_"
# The implicit network a namespace gets when its containers name none (as Compose's
# `<project>_default`), and the source that owns it: no person or file does.
DEFAULT_NETWORK = "default"
SYSTEM_SOURCE = "system"


class ObjectKey(NamedTuple):
    """(kind, namespace, name): what identifies one object everywhere."""

    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return display(self.kind, self.namespace, self.name)


def key(kind: str, name: str, namespace: str = DEFAULT_NAMESPACE) -> ObjectKey:
    return ObjectKey(kind, namespace, name)


def display(kind: str, namespace: str, name: str) -> str:
    """`Container/web` in the default namespace, `Container/shop/web` in another."""
    if namespace == DEFAULT_NAMESPACE:
        return f"{kind}/{name}"
    return f"{kind}/{namespace}/{name}"


def engine_name(namespace: str, name: str) -> str:
    """The Docker name of the object `name` of `namespace`: bare in `default`, else
    `{namespace}_{name}`."""
    if namespace == DEFAULT_NAMESPACE:
        return name
    return f"{namespace}{ENGINE_SEPARATOR}{name}"


def engine_name_holders(name: str) -> list[tuple[str, str]]:
    """Every (namespace, name) whose engine name is `name`: bare in `default`, or split at
    any `_` into a namespace and a name (the store lets at most one of them exist)."""
    holders = [(DEFAULT_NAMESPACE, name)]
    for index, char in enumerate(name):
        if char == ENGINE_SEPARATOR and 0 < index < len(name) - 1:
            holders.append((name[:index], name[index + 1 :]))
    return holders


def qualified_name(namespace: str, name: str) -> str:
    """`name` in the default namespace, `namespace/name` in another: how a source names the
    GitSource it belongs to (`git:shop/app`)."""
    if namespace == DEFAULT_NAMESPACE:
        return name
    return f"{namespace}/{name}"


def parse_display(text: str) -> ObjectKey:
    """`Kind/name` or `Kind/namespace/name` (as `display` writes them) back into a key."""
    kind, _, rest = text.partition("/")
    namespace, _, name = rest.rpartition("/")
    return ObjectKey(kind, namespace or DEFAULT_NAMESPACE, name)

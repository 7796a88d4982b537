"""Which fields differ between two specs: `spec.env.GREETING`, `spec.ports[0].hostPort`.

For history (what each revision changed), explain (what made the running object) and the
dashboard's revision diff. Maps are compared key by key, lists item by item (a list whose
length changed is named as a whole, as `spec.ports`), anything else by value; a key on one
side only counts when its value is not empty (`[]`, `{}`, `""`, `false`, null).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def changed_fields(old: Any, new: Any, path: str = "spec") -> list[str]:
    """Paths below `path` whose values differ between `old` and `new`, in order."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        found: list[str] = []
        for key in sorted(set(old) | set(new), key=str):
            if key not in old or key not in new:
                present = old.get(key, new.get(key))
                if not _unset(present):
                    found.append(f"{path}.{key}")
            else:
                found += changed_fields(old[key], new[key], f"{path}.{key}")
        return found
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        found = []
        for index, (before, after) in enumerate(zip(old, new, strict=True)):
            found += changed_fields(before, after, f"{path}[{index}]")
        return found
    return [] if old == new else [path]


def _unset(value: Any) -> bool:
    """An empty value stands for a field left out (a spec stored before the field existed
    holds no key where a newer one holds `[]`): not a change."""
    return value is None or value is False or (isinstance(value, str | list | dict) and not value)

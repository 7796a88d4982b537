"""Labels: the one label-key grammar and the one `key=value` parser.

Manifests validate their label keys here (`check_label_keys`); the store refuses selector keys
that no manifest could carry (`is_label_key`); the API's `?label=`, the CLI's `--selector` and
the daemon's `--label` read `key=value` pairs with `parse_labels`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

LABEL_KEY_PATTERN = r"^[A-Za-z0-9]([A-Za-z0-9._/-]{0,251}[A-Za-z0-9])?$"
RESERVED_PREFIX = "io.dockform."
_LABEL_KEY = re.compile(LABEL_KEY_PATTERN)
_MAX_SHOWN = 100


def is_label_key(key: str) -> bool:
    """Whether `key` has the shape manifests accept (alphanumeric ends; `.`, `_`, `/`, `-`)."""
    return _LABEL_KEY.fullmatch(key) is not None


def check_label_keys(labels: dict[str, str]) -> dict[str, str]:
    """`labels` unchanged when every key is well-formed and not reserved; ValueError else."""
    for key in labels:
        if not is_label_key(key):
            raise ValueError(f"label key {key!r} must be alphanumeric with '.', '_', '/', '-'")
        if key.startswith(RESERVED_PREFIX):
            raise ValueError(
                f"label key {key!r}: the prefix {RESERVED_PREFIX} is reserved for dockform"
            )
    return labels


class LabelSyntaxError(ValueError):
    """A label pair that is not `key=value`; `part` is the offending text."""

    def __init__(self, part: str, what: str) -> None:
        super().__init__(f"{what} {part[:_MAX_SHOWN]!r} must look like key=value")
        self.part = part


def parse_labels(texts: Iterable[str], what: str = "label selector") -> dict[str, str]:
    """`["app=web", "tier=front,env=prod"]` -> {"app": "web", "tier": "front", "env": "prod"}.

    Each text holds comma-separated `key=value` pairs; blanks around keys and values are
    dropped, a later pair wins over an earlier one with the same key, and an empty value is
    allowed. Raises LabelSyntaxError, naming `what` and the pair, for a pair without `=` or
    with an empty key.
    """
    labels: dict[str, str] = {}
    for text in texts:
        for part in text.split(","):
            key, sep, value = part.partition("=")
            if not sep or not key.strip():
                raise LabelSyntaxError(part, what)
            labels[key.strip()] = value.strip()
    return labels

"""Units in manifests: durations like `1m30s` / `500ms`, memory like `256Mi` / `1G`."""

from __future__ import annotations

import re

_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)")
_DURATION_SCALE = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_MEMORY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)([A-Za-z]*)$")
_MEMORY_SCALE = {
    "": 1,
    "b": 1,
    "B": 1,
    "k": 1000,
    "K": 1000,
    "Ki": 1024,
    "m": 1000**2,
    "M": 1000**2,
    "Mi": 1024**2,
    "g": 1000**3,
    "G": 1000**3,
    "Gi": 1024**3,
    "t": 1000**4,
    "T": 1000**4,
    "Ti": 1024**4,
}


def parse_duration(text: str) -> float:
    """Seconds in `text` (`1m30s` -> 90.0). Raises ValueError on anything else."""
    position = 0
    total = 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != position:
            break
        total += float(match.group(1)) * _DURATION_SCALE[match.group(2)]
        position = match.end()
    if position != len(text) or not text:
        raise ValueError(f"invalid duration {text!r}: use forms like 500ms, 10s, 1m30s, 2h")
    return total


def parse_memory(text: str) -> int:
    """Bytes in `text` (`256Mi` -> 268435456). Raises ValueError on anything else."""
    match = _MEMORY.match(text)
    if match is None or match.group(2) not in _MEMORY_SCALE:
        raise ValueError(f"invalid memory size {text!r}: use forms like 512Ki, 256Mi, 1Gi, 1G")
    return int(float(match.group(1)) * _MEMORY_SCALE[match.group(2)])

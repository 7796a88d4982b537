"""Units in manifests: durations like `1m30s` / `500ms`, memory like `256Mi` / `1G`.

The one grammar of each: manifests' `Duration` and `MemorySize` fields validate against
`DURATION_PATTERN` and `MEMORY_PATTERN`, reconcilers turn them into numbers with
`parse_duration` and `parse_memory`, and the CLI's `--timeout` goes through `parse_duration`.
"""

from __future__ import annotations

import re

_NUMBER = r"[0-9]+(\.[0-9]+)?"
_DURATION_UNIT = r"(ms|s|m|h)"
DURATION_PATTERN = rf"^({_NUMBER}{_DURATION_UNIT})+$"
_DURATION_PART = re.compile(rf"({_NUMBER}){_DURATION_UNIT}")
_DURATION_SCALE = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
# Order matters only for the pattern's text, which the JSON Schema shows: binary units first.
_MEMORY_SCALE = {
    "Ki": 1024,
    "Mi": 1024**2,
    "Gi": 1024**3,
    "Ti": 1024**4,
    "k": 1000,
    "K": 1000,
    "m": 1000**2,
    "M": 1000**2,
    "g": 1000**3,
    "G": 1000**3,
    "t": 1000**4,
    "T": 1000**4,
    "b": 1,
    "B": 1,
}
MEMORY_PATTERN = rf"^{_NUMBER}({'|'.join(_MEMORY_SCALE)})?$"


def parse_duration(text: str, what: str = "duration") -> float:
    """Seconds in `text`: `1m30s` -> 90.0, `500ms` -> 0.5, `1.5h` -> 5400.0.

    A bare number is seconds (`90` -> 90.0), as the CLI's `--timeout` takes it; manifests
    refuse that form before it gets here (their `Duration` pattern wants a unit). Surrounding
    blanks are ignored. Raises ValueError naming `what` on anything else.
    """
    text = text.strip()
    if re.fullmatch(_NUMBER, text):
        return float(text)
    if not re.fullmatch(DURATION_PATTERN, text):
        raise ValueError(
            f"{what} {text!r} must look like 500ms, 10s, 2m, 1m30s, 2h or 90 (seconds)"
        )
    return sum(
        float(number) * _DURATION_SCALE[unit] for number, _, unit in _DURATION_PART.findall(text)
    )


def parse_memory(text: str) -> int:
    """Bytes in `text` (`256Mi` -> 268435456). Raises ValueError on anything else."""
    match = re.fullmatch(MEMORY_PATTERN, text)
    if match is None:
        raise ValueError(f"invalid memory size {text!r}: use forms like 512Ki, 256Mi, 1Gi, 1G")
    unit = match.group(2) or ""
    return int(float(text.removesuffix(unit)) * _MEMORY_SCALE.get(unit, 1))

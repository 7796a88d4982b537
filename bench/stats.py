"""Summary statistics for samples: median and percentiles (linear interpolation, as numpy)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) with linear interpolation between closest ranks.

    With few samples p99 lies just below the maximum, which is the honest reading: the suite
    records the sample count beside every percentile.
    """
    if not samples:
        raise ValueError("percentile of no samples")
    ordered = sorted(samples)
    position = (len(ordered) - 1) * q / 100.0
    lower = math.floor(position)
    upper = math.ceil(position)
    if lower == upper:
        return ordered[lower]
    weight = position - lower
    return ordered[lower] * (1 - weight) + ordered[upper] * weight


def median(samples: Sequence[float]) -> float:
    return percentile(samples, 50)


def rounded(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def histogram(samples_s: Sequence[float], bin_ms: float = 0.1) -> dict[str, int]:
    """Samples (seconds) counted per bin of `bin_ms`, keyed by the bin's lower edge in ms:
    every sample kept, at that resolution, in a few hundred entries."""
    counts: dict[float, int] = {}
    for sample in samples_s:
        edge = round(math.floor(sample * 1000 / bin_ms) * bin_ms, 3)
        counts[edge] = counts.get(edge, 0) + 1
    return {f"{edge:g}": counts[edge] for edge in sorted(counts)}

"""The daemon's garbage collector, set for a long-lived server with a large heap.

CPython's cyclic collector runs its young generation every 700 net allocations and, when
enough survivors have piled up, walks every tracked object of the process. A daemon holds a
large, mostly permanent heap (modules, pydantic schemas, the store's caches) and a request
such as an apply of 500 Containers makes a hundred thousand short-lived objects: the default
settings ran several full walks during it, and took the noop apply of 500 unchanged objects
from about 0.10 s to 0.19 s at random (measured in one process, `gc.disable()` against the
defaults). Once the daemon is built, what it holds is moved out of the collector's sight
(`gc.freeze`: those objects stay, they are simply never walked again), and the young
generation is collected every YOUNG_THRESHOLD allocations. Reference counting still frees
almost everything at once; only cycles wait a little longer.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000
# Kept at CPython's defaults: each older generation is collected after 10 of the younger.
OLDER_THRESHOLDS = (10, 10)


def settle_heap() -> None:
    """Collect what start-up left, freeze what remains, and space the young collections."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *OLDER_THRESHOLDS)

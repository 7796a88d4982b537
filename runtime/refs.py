"""Image references as the Engine spells them in its lists and load output.

Used by the driver and the fake to tell whether a loaded image already carries a wanted ref.
"""

from __future__ import annotations


def normalize_ref(ref: str) -> str:
    """ "web" -> "web:latest", as the Engine reads an untagged reference; digests are kept."""
    if "@" in ref:
        return ref
    last_part = ref.rsplit("/", 1)[-1]
    return ref if ":" in last_part else f"{ref}:latest"

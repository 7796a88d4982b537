"""What of a stored spec may be shown: everything but a Secret's content.

A stored Secret spec holds its content only encrypted (`sealed`), and its `value`, when it had
one, as `<redacted sha256:...>` (`store.sealing`). Every read the daemon answers (objects,
lists, deletions, diffs, dry runs, the dashboard) shows `redact_spec` of it: the sealed
content left out as well, so not even the ciphertext leaves the daemon.
"""

from __future__ import annotations

from typing import Any

from dockform.manifests.kinds import Kind

# Per kind, the spec fields that never leave the daemon.
HIDDEN_FIELDS: dict[str, frozenset[str]] = {Kind.SECRET: frozenset({"sealed"})}


def redact_spec(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    hidden = HIDDEN_FIELDS.get(kind)
    if not hidden:
        return spec
    return {key: value for key, value in spec.items() if key not in hidden}

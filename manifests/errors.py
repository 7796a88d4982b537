"""Errors of the manifest layer: what went wrong, and exactly where.

Every problem found while loading manifests is a `ManifestIssue` that names the file, the YAML
document in it, the line and the field path. `ManifestError` carries all issues of one load at
once, so a user fixes a file in one pass instead of one error per run. The CLI prints
`str(issue)`, and the API returns `issue.to_dict()` in its 4xx bodies.

    ValueError
    └── ManifestError  (.issues: list[ManifestIssue])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

# Refusals of manifests that no JSON Schema can state, named in the issue's `reason` (the API's
# OpenAPI document lists them; every other refusal of a 422 is a rule its schema states):
# - DependencyCycle: Containers whose dependsOn wait for each other in a circle (itself
#   included), among the applied and the stored ones;
# - DuplicateObject: one kind/name twice in one load (one body, one directory);
# - UlimitSoftAboveHard: a ulimit whose soft limit is above its hard one (or unlimited below
#   a limited hard one): JSON Schema cannot compare two values.
SemanticReason = Literal["DependencyCycle", "DuplicateObject", "UlimitSoftAboveHard"]
SEMANTIC_REASONS: tuple[SemanticReason, ...] = get_args(SemanticReason)


@dataclass(frozen=True)
class ManifestIssue:
    """One problem at one place.

    `document` is the 1-based index of the YAML document in its file (0 when the problem is
    about the whole file); `line` is 1-based, None when no line applies; `path` is the field
    path such as `spec.ports[0].hostPort`, empty for the whole document.
    """

    file: str
    document: int
    line: int | None
    path: str
    message: str
    kind: str | None = None
    name: str | None = None
    # One of SEMANTIC_REASONS when the rule broken is one no JSON Schema states.
    reason: SemanticReason | None = None

    def __str__(self) -> str:
        parts = [self.file if self.line is None else f"{self.file}:{self.line}"]
        if self.document:
            what = f"document {self.document}"
            if self.kind and self.name:
                what += f" ({self.kind}/{self.name})"
            elif self.kind:
                what += f" ({self.kind})"
            parts.append(what)
        if self.path:
            parts.append(self.path)
        parts.append(self.message)
        return ": ".join(parts)

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "document": self.document,
            "line": self.line,
            "path": self.path,
            "message": self.message,
            "kind": self.kind,
            "name": self.name,
        } | ({"reason": self.reason} if self.reason else {})


def file_issue(file: str, message: str, line: int | None = None) -> ManifestIssue:
    """An issue about a whole file (no document, no field): unreadable, binary, too large."""
    return ManifestIssue(file=file, document=0, line=line, path="", message=message)


class ManifestError(ValueError):
    """One or more manifests are invalid; `issues` lists every problem found."""

    def __init__(self, issues: list[ManifestIssue]) -> None:
        self.issues = list(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))

    def __str__(self) -> str:
        return "\n".join(str(issue) for issue in self.issues)

"""ManifestIssue and ManifestError: how a problem and its place read."""

from __future__ import annotations

import pytest

from dockform.manifests import ManifestError, ManifestIssue

FULL = ManifestIssue(
    file="app.yaml",
    document=2,
    line=14,
    path="spec.ports[0].hostPort",
    message="Input should be a valid integer",
    kind="Container",
    name="web",
)


@pytest.mark.parametrize(
    ("issue", "text"),
    [
        (
            FULL,
            "app.yaml:14: document 2 (Container/web): spec.ports[0].hostPort: "
            "Input should be a valid integer",
        ),
        (
            ManifestIssue("app.yaml", 3, 7, "kind", "unknown kind 'Pod'"),
            "app.yaml:7: document 3: kind: unknown kind 'Pod'",
        ),
        (
            ManifestIssue("app.yaml", 1, 2, "spec", "required field is missing", "Image"),
            "app.yaml:2: document 1 (Image): spec: required field is missing",
        ),
        (
            ManifestIssue("big.yaml", 0, None, "", "file is larger than 4 MiB"),
            "big.yaml: file is larger than 4 MiB",
        ),
    ],
)
def test_issue_reads_as_file_line_document_path_message(issue: ManifestIssue, text: str) -> None:
    assert str(issue) == text


def test_issue_to_dict_has_every_field() -> None:
    assert FULL.to_dict() == {
        "file": "app.yaml",
        "document": 2,
        "line": 14,
        "path": "spec.ports[0].hostPort",
        "message": "Input should be a valid integer",
        "kind": "Container",
        "name": "web",
    }


def test_error_lists_every_issue_one_per_line() -> None:
    second = ManifestIssue("b.yaml", 0, None, "", "cannot read: Permission denied")
    error = ManifestError([FULL, second])
    assert isinstance(error, ValueError)
    assert error.issues == [FULL, second]
    assert str(error).splitlines() == [str(FULL), str(second)]

"""Manifests on their way to the daemon, and the daemon's complaints on their way back.

The CLI loads `-f` paths itself (so relative Image paths resolve against each manifest's own
directory, and invalid files are reported before anything is sent), then sends every manifest
as one multi-document YAML body: one apply, all or nothing. The daemon's issues then name that
body (`<request>`, document N); `localise` maps them back to the user's file, document and, when
the file can be read again, the line of the field itself.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

import yaml

from dockform.manifests.loader import STDIN_NAME, LoadedManifest, load_paths
from dockform.manifests.policy import locate_field

REQUEST_FILE = "<request>"


def read_manifests(paths: Sequence[str]) -> list[LoadedManifest]:
    """Load `-f` paths; raises ManifestError (every issue) or OSError."""
    return load_paths(list(paths), stdin=sys.stdin)


def apply_roots(paths: Sequence[str]) -> list[str]:
    """The directories `-f` names, sent with apply as `root`: a file's directory, a directory
    itself, the current directory for `-`. Host paths below them are allowed (the daemon
    resolves them again on its side); real paths, as the daemon compares real paths."""
    roots = []
    for path in paths:
        if path == "-":
            roots.append(os.getcwd())
        elif os.path.isdir(path):
            roots.append(path)
        else:
            roots.append(os.path.dirname(path) or os.curdir)
    return list(dict.fromkeys(os.path.realpath(root) for root in roots))


def manifests_text(manifests: Sequence[LoadedManifest]) -> str:
    """The manifests as one multi-document YAML body, in order (paths already absolute)."""
    documents = [
        loaded.manifest.model_dump(mode="json", by_alias=True, exclude_none=True)
        for loaded in manifests
    ]
    return yaml.safe_dump_all(documents, sort_keys=False)


def localise(
    issues: Sequence[dict[str, Any]], manifests: Sequence[LoadedManifest]
) -> list[dict[str, Any]]:
    """Issues about the request body, re-pointed at the files the manifests came from."""
    texts: dict[str, str | None] = {}
    localised = []
    for issue in issues:
        document = issue.get("document")
        if issue.get("file") != REQUEST_FILE or not isinstance(document, int):
            localised.append(dict(issue))
            continue
        if not 1 <= document <= len(manifests):
            localised.append(dict(issue))
            continue
        origin = manifests[document - 1]
        line = None
        text = _text(origin.file, texts)
        if text is not None and issue.get("path"):
            line = locate_field(text, origin.document, str(issue["path"]))
        localised.append(
            {**issue, "file": origin.file, "document": origin.document, "line": line or origin.line}
        )
    return localised


def _text(file: str, cache: dict[str, str | None]) -> str | None:
    if file == STDIN_NAME:
        return None
    if file not in cache:
        try:
            with open(file, encoding="utf-8-sig") as handle:
                cache[file] = handle.read()
        except (OSError, UnicodeDecodeError):
            cache[file] = None
    return cache[file]


def issue_text(issue: dict[str, Any]) -> str:
    """`file:line: document N (Kind/name): path: message`, like the loader's own issues."""
    where = str(issue.get("file") or "")
    if issue.get("line"):
        where += f":{issue['line']}"
    parts = [where] if where else []
    if issue.get("document"):
        what = f"document {issue['document']}"
        if issue.get("kind") and issue.get("name"):
            what += f" ({issue['kind']}/{issue['name']})"
        parts.append(what)
    if issue.get("path"):
        parts.append(str(issue["path"]))
    parts.append(str(issue.get("message", "")))
    return ": ".join(parts)

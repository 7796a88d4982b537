"""Manifests on their way to the daemon, and the daemon's complaints on their way back.

`apply` and `diff` read `-f` paths quickly (`quick_read`): the YAML of every file, each
manifest's relative host paths resolved against its own directory, and no validation, which
the daemon does anyway (the models cost the CLI about 0.3 s of imports and as much again per
few hundred manifests: bench/cli_speed). Every manifest goes as one multi-document YAML body:
one apply, all or nothing. Whatever the quick reader cannot read plainly (a YAML error, a
document that is no mapping, a file too large), and every time the daemon refuses the body or
cannot be reached, the full loader reads the files again (`read_manifests`), so invalid
manifests are reported exactly as `validate` reports them, with file, line and field.

The daemon's issues name the body (`<request>`, document N); `localise` maps them back to the
user's file, document and, when the file can be read again, the line of the field itself.
"""

from __future__ import annotations

import io
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from dockform.manifests.files import MAX_FILE_BYTES, STDIN_NAME, check_text, yaml_files
from dockform.manifests.text import NotText, decode_manifest_text

if TYPE_CHECKING:
    from dockform.manifests.loader import LoadedManifest

REQUEST_FILE = "<request>"
# Where a relative host path may hide (hostPath, build.context, load.path, file): a file that
# names none of these goes to the daemon as it is (`plain_text`).
_MAY_NAME_HOST_PATHS = re.compile(r"hostPath|build|load|file")


class Origin(Protocol):
    """Where a manifest of the request body came from."""

    @property
    def file(self) -> str: ...
    @property
    def document(self) -> int: ...
    @property
    def line(self) -> int: ...


@dataclass(frozen=True)
class Document:
    """One manifest as read, not validated: its data (host paths resolved) and its origin."""

    data: dict[str, Any]
    file: str
    document: int
    line: int


@dataclass(frozen=True)
class QuickRead:
    """What `quick_read` found: the documents, or None when the loader must say what is
    wrong; and what `-` read, for the loader to read again."""

    documents: list[Document] | None
    stdin: bytes | str | None = None

    def stdin_again(self) -> TextIO:
        if isinstance(self.stdin, bytes):
            return io.TextIOWrapper(io.BytesIO(self.stdin), encoding="utf-8")
        return io.StringIO(self.stdin or "")


def plain_text(paths: Sequence[str]) -> str | None:
    """The text of `-f FILE` when it can be the body as it is: one file, UTF-8, and nothing in
    it that could be a relative host path to resolve. Its documents are then the body's, by
    number (`origins_by_number`); None for anything else, which `quick_read` reads."""
    if len(paths) != 1 or paths[0] == "-" or not os.path.isfile(paths[0]):
        return None
    try:
        with open(paths[0], "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError:
        return None
    text = _decoded(data)
    if text is None or _MAY_NAME_HOST_PATHS.search(text):
        return None
    return text


@dataclass(frozen=True)
class _Numbered:
    file: str
    document: int
    line: int


def origins_by_number(paths: Sequence[str]) -> list[Origin]:
    """For a body that is a file's text (`plain_text`): where each of its documents starts,
    position N-1 for document N, empty documents included."""
    documents = quick_read(paths).documents or []
    by_number = {document.document: document for document in documents}
    count = max(by_number, default=0)
    return [
        by_number.get(number) or _Numbered(paths[0], number, 1) for number in range(1, count + 1)
    ]


def read_manifests(paths: Sequence[str], stdin: TextIO | None = None) -> list[LoadedManifest]:
    """Load and validate `-f` paths; raises ManifestError (every issue) or OSError."""
    from dockform.manifests.loader import load_paths

    return load_paths(list(paths), stdin=stdin if stdin is not None else sys.stdin)


def quick_read(paths: Sequence[str], stdin: TextIO | None = None) -> QuickRead:
    """The manifests of `-f` paths as the loader would find them (the same files, documents
    and host paths), without validating them."""
    documents: list[Document] = []
    read: set[str] = set()
    stdin_data: bytes | str | None = None
    for path in paths:
        if path == "-":
            stdin_data = _read_stream(stdin if stdin is not None else sys.stdin)
            text = _decoded(stdin_data)
            found = None if text is None else _documents(text, STDIN_NAME, os.getcwd())
            if found is None:
                return QuickRead(None, stdin_data)
            documents += found
            continue
        issues: list[Any] = []
        files = yaml_files(path, issues) if os.path.isdir(path) else [path]
        if issues:
            return QuickRead(None, stdin_data)
        for file in files:
            real = os.path.realpath(file)
            if real in read:
                continue
            read.add(real)
            found = _read_file(file)
            if found is None:
                return QuickRead(None, stdin_data)
            documents += found
    return QuickRead(documents, stdin_data)


def _read_stream(stream: TextIO) -> bytes | str:
    try:
        return stream.buffer.read(MAX_FILE_BYTES + 1)
    except AttributeError:
        return stream.read(MAX_FILE_BYTES + 1)


def _decoded(data: bytes | str) -> str | None:
    if isinstance(data, str):
        return data
    if len(data) > MAX_FILE_BYTES:
        return None
    try:
        return decode_manifest_text(data)
    except NotText:
        return None


def _read_file(path: str) -> list[Document] | None:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError:
        return None
    text = _decoded(data)
    if text is None:
        return None
    return _documents(text, path, os.path.dirname(os.path.abspath(path)))


def _documents(text: str, file: str, base_dir: str) -> list[Document] | None:
    """The mapping documents of `text`; None at the first thing the loader would refuse
    before validation (the loader's `_load_text` and `_load_document`, up to the models)."""
    import yaml  # YAML and its composer load with the first manifest read

    from dockform.manifests.composer import compose_documents, construct

    if check_text(text, file) is not None:
        return None
    found = []
    try:
        for composed in compose_documents(text):
            if composed.error is not None or composed.root is None:
                return None
            data = construct(composed.root)
            if data is None:
                continue  # an empty document, such as after a trailing `---`
            if not isinstance(data, dict):
                return None
            line = composed.root.start_mark.line + 1 if composed.root.start_mark else 1
            found.append(Document(resolve_host_paths(data, base_dir), file, composed.index, line))
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError):
        return None
    return found


def resolve_host_paths(data: dict[str, Any], base_dir: str) -> dict[str, Any]:
    """`data` with its relative host paths made absolute against `base_dir`, as
    `manifests.loader.resolve_paths` does for a valid manifest (the same fields, the same
    defaults); a value of the wrong type stays as it is, for the daemon to refuse."""
    base = os.path.abspath(base_dir)
    kind, spec = data.get("kind"), data.get("spec")
    if not isinstance(spec, dict):
        return data

    def absolute(path: str) -> str:
        return os.path.normpath(os.path.join(base, path))

    if kind in ("Secret", "Config") and isinstance(spec.get("file"), str):
        spec["file"] = absolute(spec["file"])
    elif kind == "Container" and isinstance(spec.get("volumes"), list):
        for mount in spec["volumes"]:
            host_path = mount.get("hostPath") if isinstance(mount, dict) else None
            # "" and "~..." are invalid as they are: left for the daemon to say so.
            if isinstance(host_path, str) and host_path[:1] not in ("", "/", "~"):
                mount["hostPath"] = absolute(host_path)
    elif kind == "Image":
        build, load = spec.get("build"), spec.get("load")
        if isinstance(build, dict) and isinstance(build.get("context", "."), str):
            build["context"] = absolute(build.get("context", "."))
        if isinstance(load, dict) and isinstance(load.get("path"), str):
            load["path"] = absolute(load["path"])
    return data


def documents_text(documents: Sequence[Document]) -> str:
    """The documents as one multi-document YAML body, in order (libyaml's emitter)."""
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump_all([document.data for document in documents], Dumper=dumper, sort_keys=False)


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
    import yaml

    return yaml.safe_dump_all(documents, sort_keys=False)


def localise(issues: Sequence[dict[str, Any]], manifests: Sequence[Origin]) -> list[dict[str, Any]]:
    """Issues about the request body, re-pointed at the files the manifests came from."""
    if not any(issue.get("file") == REQUEST_FILE for issue in issues):
        return [dict(issue) for issue in issues]
    from dockform.manifests.policy import locate_field

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

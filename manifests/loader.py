"""Manifest loading: files, directories and stdin in, validated models with positions out.

Every way manifests reach dockform (`dockform apply -f`, `validate`, the watched directory, git
sources, the API's apply body) goes through `load_text`, so every caller gets the same
checks and the same messages. The pipeline per file:

    bytes --decode/limits--> text --composer--> node tree per document --SafeConstructor-->
    plain data --pydantic (models.py)--> Manifest, with errors mapped back to node lines

Problems are collected, never raised one at a time: a load either returns every manifest or
raises one `ManifestError` listing every issue, each naming file, document, line and field
path. Bad input never raises anything else.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from types import UnionType
from typing import Annotated, Any, TextIO, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_camel
from pydantic_core import ErrorDetails
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from dockform.manifests.composer import compose_documents, construct
from dockform.manifests.errors import (
    SEMANTIC_REASONS,
    ManifestError,
    ManifestIssue,
    file_issue,
)
from dockform.manifests.files import MAX_FILE_BYTES as MAX_FILE_BYTES  # re-exported
from dockform.manifests.files import STDIN_NAME as STDIN_NAME  # re-exported
from dockform.manifests.files import check_text as _check_text
from dockform.manifests.files import too_large as _too_large
from dockform.manifests.files import yaml_files as _yaml_files
from dockform.manifests.kinds import Kind
from dockform.manifests.models import (
    API_VERSION,
    CHOICE_TAGS,
    KIND_MODELS,
    NUL_MESSAGE,
    Config,
    Container,
    GitSource,
    Image,
    Job,
    Manifest,
    Secret,
)
from dockform.manifests.namespaces import ObjectKey
from dockform.manifests.text import NotText, decode_manifest_text

MAX_ISSUES_PER_DOCUMENT = 50
MAX_ISSUES_PER_FILE = 200

_KNOWN_KINDS = ", ".join(sorted(Kind))
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_MAX_SHOWN = 64


@dataclass(frozen=True)
class LoadedManifest:
    """A validated manifest and where it came from (`line` is where its document starts)."""

    manifest: Manifest
    file: str
    document: int
    line: int

    @property
    def kind(self) -> str:
        return self.manifest.kind

    @property
    def name(self) -> str:
        return self.manifest.metadata.name

    @property
    def namespace(self) -> str:
        return self.manifest.metadata.namespace

    @property
    def key(self) -> ObjectKey:
        return ObjectKey(self.kind, self.namespace, self.name)


# --- public entry points -----------------------------------------------------------------------


def load_text(
    text: str, filename: str = STDIN_NAME, base_dir: str | None = None
) -> list[LoadedManifest]:
    """Every manifest in `text`; relative host paths (an Image's, a hostPath) resolve against
    `base_dir` when given."""
    manifests, issues = _load_text(text, filename, base_dir)
    issues += _duplicates(manifests)
    if issues:
        raise ManifestError(issues)
    return manifests


def load_file(path: str) -> list[LoadedManifest]:
    """Every manifest in the file at `path`; relative host paths resolve against its directory."""
    manifests, issues = _load_file(path)
    issues += _duplicates(manifests)
    if issues:
        raise ManifestError(issues)
    return manifests


def load_paths(paths: Sequence[str], stdin: TextIO | None = None) -> list[LoadedManifest]:
    """Manifests from files, directories (recursive *.yaml/*.yml, dotfiles skipped) and `-`.

    Stdin's relative host paths resolve against the current directory. A file reached twice
    (named and inside a named directory) is read once. Issues of all files raise together.
    """
    manifests: list[LoadedManifest] = []
    issues: list[ManifestIssue] = []
    read: set[str] = set()
    for path in paths:
        if path == "-":
            text, problem = _read_stream(stdin if stdin is not None else sys.stdin)
            if problem is not None:
                issues.append(problem)
                continue
            found, problems = _load_text(text, STDIN_NAME, os.getcwd())
            manifests += found
            issues += problems
            continue
        files = _yaml_files(path, issues) if os.path.isdir(path) else [path]
        for file in files:
            real = os.path.realpath(file)
            if real in read:
                continue
            read.add(real)
            found, problems = _load_file(file)
            manifests += found
            issues += problems
    issues += _duplicates(manifests)
    if issues:
        raise ManifestError(issues)
    return manifests


def check_unique(manifests: Sequence[LoadedManifest]) -> None:
    """Raise ManifestError naming both places when two manifests share kind and name."""
    issues = _duplicates(manifests)
    if issues:
        raise ManifestError(issues)


# --- reading -----------------------------------------------------------------------------------


def _load_file(path: str) -> tuple[list[LoadedManifest], list[ManifestIssue]]:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        return [], [file_issue(path, f"cannot read: {error.strerror or error}")]
    if len(data) > MAX_FILE_BYTES:
        return [], [_too_large(path)]
    try:
        text = decode_manifest_text(data)
    except NotText as problem:
        return [], [problem.issue(path)]
    return _load_text(text, path, os.path.dirname(os.path.abspath(path)))


def _read_stream(stream: TextIO) -> tuple[str, ManifestIssue | None]:
    try:
        # Bytes when the stream has them, so stdin gets the same encoding checks as a file.
        data = stream.buffer.read(MAX_FILE_BYTES + 1)
    except AttributeError:
        data = None
    except OSError as error:
        return "", file_issue(STDIN_NAME, f"cannot read: {error.strerror or error}")
    if data is not None:
        if len(data) > MAX_FILE_BYTES:
            return "", _too_large(STDIN_NAME)
        try:
            return decode_manifest_text(data), None
        except NotText as problem:
            return "", problem.issue(STDIN_NAME)
    try:
        text = stream.read(MAX_FILE_BYTES + 1)
    except (OSError, UnicodeDecodeError) as error:
        return "", file_issue(STDIN_NAME, f"cannot read: {error}")
    return text, None


# --- documents ---------------------------------------------------------------------------------


def _load_text(
    text: str, file: str, base_dir: str | None
) -> tuple[list[LoadedManifest], list[ManifestIssue]]:
    problem = _check_text(text, file)
    if problem is not None:
        return [], [problem]
    manifests: list[LoadedManifest] = []
    issues: list[ManifestIssue] = []
    try:
        for document in compose_documents(text):
            if document.error is not None or document.root is None:
                message = document.error.message if document.error else "invalid YAML"
                line = document.error.line if document.error else None
                issues.append(ManifestIssue(file, document.index, line, "", message))
                continue
            result = _load_document(document.root, file, document.index, base_dir)
            if isinstance(result, LoadedManifest):
                manifests.append(result)
            else:
                issues += result
    except (yaml.YAMLError, ValueError) as error:  # the parser refusing input outright
        issues.append(file_issue(file, f"invalid YAML: {error}"))
    if len(issues) > MAX_ISSUES_PER_FILE:
        rest = len(issues) - MAX_ISSUES_PER_FILE
        issues = [*issues[:MAX_ISSUES_PER_FILE], file_issue(file, f"and {rest} more problems")]
    return manifests, issues


def _node_line(node: Node) -> int:
    return node.start_mark.line + 1 if node.start_mark is not None else 1


def _load_document(
    root: Node, file: str, index: int, base_dir: str | None
) -> LoadedManifest | list[ManifestIssue]:
    line = _node_line(root)
    try:
        data = construct(root)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = mark.line + 1 if mark is not None else line
        problem = error.problem or error.context or "cannot construct value"
        return [ManifestIssue(file, index, where, "", f"invalid YAML: {problem}")]
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as error:
        return [ManifestIssue(file, index, line, "", f"invalid YAML value: {error}")]
    if data is None:
        return []  # an empty document, such as after a trailing `---`
    if not isinstance(data, dict):
        message = (
            "a manifest must be a mapping with apiVersion, kind, metadata and spec"
            f" (got {_type_name(data)})"
        )
        return [ManifestIssue(file, index, line, "", message)]

    name = _display_name(data)
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in KIND_MODELS:
        kind_line = field_line(root, ("kind",))
        return [ManifestIssue(file, index, kind_line, "kind", _kind_message(kind), None, name)]

    try:
        manifest = KIND_MODELS[kind].model_validate(data, by_alias=True, by_name=False)
    except ValidationError as error:
        details = error.errors(include_url=False)
        issues = [_issue(detail, root, file, index, kind, name) for detail in details]
        issues.sort(key=lambda issue: issue.line or 0)
        if len(issues) > MAX_ISSUES_PER_DOCUMENT:
            rest = len(issues) - MAX_ISSUES_PER_DOCUMENT
            issues = issues[:MAX_ISSUES_PER_DOCUMENT]
            issues.append(
                ManifestIssue(file, index, line, "", f"and {rest} more problems", kind, name)
            )
        return issues
    if base_dir is not None:
        manifest = resolve_paths(manifest, base_dir)
    return LoadedManifest(manifest=manifest, file=file, document=index, line=line)


def _type_name(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return f"a value of type {type(value).__name__}"


def _display_name(data: dict[Any, Any]) -> str | None:
    metadata = data.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    if isinstance(name, str) and 0 < len(name) <= _MAX_SHOWN and name.isprintable():
        return name
    return None


def _kind_message(kind: object) -> str:
    if kind is None:
        return f"missing field kind; known kinds: {_KNOWN_KINDS}"
    if not isinstance(kind, str):
        return f"kind must be a string; known kinds: {_KNOWN_KINDS}"
    shown = _shorten(kind)
    close = [known for known in Kind if known.lower() == kind.strip().lower().rstrip("s")]
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"unknown kind {shown!r}{hint}; known kinds: {_KNOWN_KINDS}"


def resolve_paths(manifest: Manifest, base_dir: str) -> Manifest:
    """The manifest with its relative host paths made absolute against `base_dir`: an
    Image's build context and load path, a Container's `volumes[].hostPath`, a Secret's or
    Config's file, a GitSource's `webhook.secretFile`.

    Stored specs must not depend on where the CLI ran: the daemon may run elsewhere. The
    host-access policy then checks the absolute paths like any other.
    """
    base = os.path.abspath(base_dir)
    if isinstance(manifest, Secret | Config) and manifest.spec.file is not None:
        path = os.path.normpath(os.path.join(base, manifest.spec.file))
        return manifest.model_copy(update={"spec": manifest.spec.model_copy(update={"file": path})})
    if isinstance(manifest, Container | Job):
        return _resolve_container_paths(manifest, base)
    if isinstance(manifest, GitSource):
        return _resolve_webhook_file(manifest, base)
    if not isinstance(manifest, Image):
        return manifest
    spec = manifest.spec
    if spec.build is not None:
        context = os.path.normpath(os.path.join(base, spec.build.context))
        spec = spec.model_copy(update={"build": spec.build.model_copy(update={"context": context})})
    if spec.load is not None:
        path = os.path.normpath(os.path.join(base, spec.load.path))
        spec = spec.model_copy(update={"load": spec.load.model_copy(update={"path": path})})
    return manifest.model_copy(update={"spec": spec})


def _resolve_webhook_file(manifest: GitSource, base: str) -> GitSource:
    webhook = manifest.spec.webhook
    if webhook is None or webhook.secret_file is None:
        return manifest
    path = os.path.normpath(os.path.join(base, webhook.secret_file))
    webhook = webhook.model_copy(update={"secret_file": path})
    spec = manifest.spec.model_copy(update={"webhook": webhook})
    return manifest.model_copy(update={"spec": spec})


def _resolve_container_paths(manifest: Container | Job, base: str) -> Container | Job:
    mounts = manifest.spec.volumes
    if not any(mount.host_path and not mount.host_path.startswith("/") for mount in mounts):
        return manifest  # nothing relative: the same object, untouched
    resolved = [
        mount.model_copy(
            update={"host_path": os.path.normpath(os.path.join(base, mount.host_path))}
        )
        if mount.host_path is not None and not mount.host_path.startswith("/")
        else mount
        for mount in mounts
    ]
    spec = manifest.spec.model_copy(update={"volumes": resolved})
    return manifest.model_copy(update={"spec": spec})


# --- validation errors -> issues ---------------------------------------------------------------


def _issue(
    detail: ErrorDetails, root: Node, file: str, index: int, kind: str, name: str | None
) -> ManifestIssue:
    loc = tuple(part for part in detail["loc"] if part not in CHOICE_TAGS)
    keyed = tuple(part for part in loc if part != "[key]")
    about_key = len(keyed) != len(loc)
    loc = keyed
    message = _message(detail, kind, loc)
    if about_key:
        message = f"{message} (in the key)"
    line = field_line(root, loc)
    # A model validator names a rule no JSON Schema states by its error type (models.py).
    reason = next((known for known in SEMANTIC_REASONS if known == detail["type"]), None)
    return ManifestIssue(file, index, line, _format_path(loc), message, kind, name, reason)


def _message(detail: ErrorDetails, kind: str, loc: tuple[int | str, ...]) -> str:
    error_type = detail["type"]
    if error_type == "extra_forbidden":
        return _unknown_field_message(kind, loc)
    if error_type == "missing":
        return "required field is missing"
    if loc == ("apiVersion",):
        return f"must be {API_VERSION}"
    message = detail["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    given = detail.get("input")
    if error_type == "string_pattern_mismatch" and _has_nul(given):
        return NUL_MESSAGE  # the pattern every string type carries (models.NO_NUL_PATTERN)
    if error_type == "string_type" and isinstance(given, bool | int | float):
        # YAML reads `PORT: 8080` and `DEBUG: yes` as a number and a boolean.
        what = "a boolean" if isinstance(given, bool) else "a number"
        message += f" (YAML reads this as {what}; put it in quotes)"
    return message


def _has_nul(value: object) -> bool:
    # `!!binary` hands pydantic bytes, which it reads as text.
    if isinstance(value, bytes):
        return b"\x00" in value
    return isinstance(value, str) and "\x00" in value


def _unknown_field_message(kind: str, loc: tuple[int | str, ...]) -> str:
    known = _field_names(KIND_MODELS[kind], loc[:-1])
    field = loc[-1] if loc else ""
    if not known:
        return "unknown field"
    if isinstance(field, str) and len(field) <= _MAX_SHOWN:
        camel = to_camel(field)
        if camel in known and camel != field:
            return f"unknown field (did you mean {camel}?)"
        close = difflib.get_close_matches(field, known, n=1, cutoff=0.6)
        if close:
            return f"unknown field (did you mean {close[0]}?)"
    return f"unknown field; known fields: {', '.join(known)}"


def _field_names(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The YAML field names of the model found at `loc` inside `model`; [] when not a model."""
    current: object = model
    for part in loc:
        current = _unwrap(current)
        origin = get_origin(current)
        if isinstance(current, type) and issubclass(current, BaseModel) and isinstance(part, str):
            fields = [f for f in current.model_fields.values() if f.alias == part]
            if not fields:
                return []
            current = fields[0].annotation
        elif origin is list and isinstance(part, int):
            current = get_args(current)[0]
        elif origin is dict:
            current = get_args(current)[1]
        else:
            return []
    current = _unwrap(current)
    if not (isinstance(current, type) and issubclass(current, BaseModel)):
        return []
    return [f.alias or name for name, f in current.model_fields.items()]


def _unwrap(annotation: object) -> object:
    """Strip Annotated[...] and `X | None` down to X."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin is Union or origin is UnionType:
            options = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(options) != 1:
                return annotation
            annotation = options[0]
        else:
            return annotation


def field_line(root: Node, loc: tuple[int | str, ...]) -> int:
    """Line of the deepest node on `loc` that exists: a key's line for a mapping entry, so a
    missing field points at its parent and an unknown field at its own key."""
    node = root
    line = _node_line(root)
    for part in loc:
        found = _child(node, part)
        if found is None:
            break
        line, node = found
    return line


def _child(node: Node, part: int | str) -> tuple[int, Node] | None:
    if isinstance(node, MappingNode):
        # Merged (`<<`) pairs come first after construction and explicit keys override them,
        # so the last match is the one whose value was used.
        for key, value in reversed(node.value):
            if isinstance(key, ScalarNode) and key.value == str(part):
                return _node_line(key), value
        return None
    if isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        item: Node = node.value[part]
        return _node_line(item), item
    return None


def _shorten(text: str) -> str:
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def _format_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _PLAIN_KEY.match(part) and len(part) <= _MAX_SHOWN:
            path += f".{part}" if path else part
        else:
            path += f"[{json.dumps(_shorten(part), ensure_ascii=False)}]"
    return path


# --- uniqueness --------------------------------------------------------------------------------


def _duplicates(manifests: Sequence[LoadedManifest]) -> list[ManifestIssue]:
    first_seen: dict[ObjectKey, LoadedManifest] = {}
    issues: list[ManifestIssue] = []
    for loaded in manifests:
        first = first_seen.get(loaded.key)
        if first is None:
            first_seen[loaded.key] = loaded
            continue
        message = (
            f"duplicate {loaded.key}: already defined at"
            f" {first.file}:{first.line} (document {first.document})"
        )
        issues.append(
            ManifestIssue(
                loaded.file,
                loaded.document,
                loaded.line,
                "metadata.name",
                message,
                loaded.kind,
                loaded.name,
                reason="DuplicateObject",
            )
        )
    return issues

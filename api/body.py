"""Reading an apply or diff body: bounded bytes in, loaded manifests (with their text) out.

The body is YAML (one or more documents) or JSON: one manifest object, an array of them, or
a `{"items": [...]}` list. It is read in chunks and refused with 413 as soon as it passes the
limit, so a huge body never sits in memory; bytes that are not UTF-8 text are a 400 naming the
line. Every problem inside the manifests is a ManifestError (422) from the same loader the CLI
uses, so the messages match. Host paths (an Image's, a hostPath) must be absolute here: the
daemon has no idea where the client's files were.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from dockform.api.errors import ApiError
from dockform.manifests.errors import ManifestError, ManifestIssue, file_issue
from dockform.manifests.loader import MAX_FILE_BYTES, LoadedManifest, load_text
from dockform.manifests.models import Config, Container, GitSource, Image, Manifest, Secret
from dockform.manifests.schema import json_schema
from dockform.manifests.text import NotText, decode_manifest_text

REQUEST_FILE = "<request>"
FILENAME_HEADER = "x-dockform-filename"
DEFAULT_MAX_BODY_BYTES = MAX_FILE_BYTES

# A form upload (curl -F) wraps the file in a multipart envelope; say how to send it instead.
_REFUSED_TYPES = ("multipart/",)

# The manifest JSON Schema (`manifests.schema`) goes into the document's components under this
# prefix, its `$defs` references rewritten to point there.
SCHEMA_PREFIX = "manifest."
_MANIFEST_REF = {"$ref": "#/components/schemas/Manifest"}
_MANIFESTS = {"type": "array", "items": _MANIFEST_REF, "minItems": 1}
NO_MANIFESTS = (
    "the body holds no manifests: send at least one (apiVersion, kind, metadata, spec); "
    "to delete every object of a source, send an empty body with prune=true and "
    "allowEmpty=true"
)

REQUEST_BODY_DOC = {
    "description": "At least one manifest: YAML (one or more documents, each a manifest) or "
    'JSON (a manifest, an array of them, or {"items": [...]}). Any other Content-Type is read '
    "as YAML. Image paths, hostPaths, Secret/Config files and webhook secretFiles must be "
    "absolute. The one body "
    "without manifests that is accepted is an empty one (nothing but whitespace, comments and "
    "`---`) with prune=true: a prune to nothing, refused (400) unless allowEmpty=true, which "
    "deletes every object of the source. A body the schema allows is still refused for host "
    "access (403), an object of another source, a stale resourceVersion or a Secret/Config "
    "whose file or variable the daemon's host does not have (409), and for the rules no JSON "
    "Schema can state (422, each issue naming its `reason`): a dependency cycle, one "
    "kind/name twice, a ulimit's soft limit above its hard one.",
    "required": True,
    "content": {
        "application/yaml": {"schema": _MANIFEST_REF},
        "application/json": {
            "schema": {
                "oneOf": [
                    _MANIFEST_REF,
                    _MANIFESTS,
                    {
                        "type": "object",
                        "properties": {"kind": {"const": "List"}, "items": _MANIFESTS},
                        "required": ["items"],
                    },
                ]
            }
        },
    },
}


# The Image paths that must be absolute through the API (definition, field).
_ABSOLUTE_PATHS = (("ImageBuild", "context"), ("ImageLoad", "path"))
# Optional fields that must be absolute when given (the pattern only).
# Optional paths, absolute here too when given.
_ABSOLUTE_OPTIONAL = (
    ("SecretSpec", "file"),
    ("ConfigSpec", "file"),
    ("VolumeMount", "hostPath"),
    ("GitSourceWebhook", "secretFile"),
)
ABSOLUTE_PATH_PATTERN = "^/[^\\x00]*$"


def manifest_components() -> dict[str, Any]:
    """The manifest JSON Schema as OpenAPI components: `Manifest` and its definitions."""
    schema = json_schema()
    definitions = schema.pop("$defs", {})
    for key in ("$schema", "title"):
        schema.pop(key, None)
    for name, field in _ABSOLUTE_PATHS:
        # What _require_absolute_paths refuses: required and absolute here, not defaulted.
        definition = definitions[name]
        definition["properties"][field].update(pattern=ABSOLUTE_PATH_PATTERN)
        definition["properties"][field].pop("default", None)
        definition["required"] = sorted({*definition.get("required", []), field})
    for name, field in _ABSOLUTE_OPTIONAL:
        for option in definitions[name]["properties"][field].get("anyOf", []):
            if option.get("type") == "string":
                option["pattern"] = ABSOLUTE_PATH_PATTERN
    components = {f"{SCHEMA_PREFIX}{name}": value for name, value in definitions.items()}
    components["Manifest"] = schema
    return {name: _to_components(value) for name, value in components.items()}


def _to_components(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _to_components(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_to_components(item) for item in value]
    if isinstance(value, str) and value.startswith("#/$defs/"):
        return f"#/components/schemas/{SCHEMA_PREFIX}{value.removeprefix('#/$defs/')}"
    return value


@dataclass(frozen=True)
class ManifestBody:
    manifests: list[LoadedManifest]
    filename: str
    # The YAML text the manifests were read from, for locating fields by line.
    text: str


async def read_body(request: Request, max_bytes: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise ApiError(413, _too_large(max_bytes))
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > max_bytes:
            raise ApiError(413, _too_large(max_bytes))
    return bytes(body)


def _too_large(max_bytes: int) -> str:
    return (
        f"request body is larger than {max_bytes} bytes; split the manifests into several "
        "applies (each with its own source) or raise the daemon's limit"
    )


async def read_manifests(request: Request, max_bytes: int, *, prune: bool) -> ManifestBody:
    """The body's manifests; a `prune` accepts an empty body (the store then refuses it
    without allowEmpty, naming the source)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type.startswith(_REFUSED_TYPES):
        raise ApiError(
            415,
            f"Content-Type {content_type} is not accepted: send the manifests as the raw body "
            "(curl --data-binary @app.yaml -H 'Content-Type: application/yaml')",
        )
    data = await read_body(request, max_bytes)
    # Parsing up to a few MiB of YAML is CPU work: keep it off the event loop.
    return await run_in_threadpool(
        parse_manifests, data, _filename(request), content_type.endswith("json"), prune
    )


def parse_manifests(data: bytes, filename: str, is_json: bool, prune: bool = False) -> ManifestBody:
    """The manifests in `data`: ApiError (400) or ManifestError (422) when they are not, or
    when there are none, except for an empty body in a `prune`."""
    text = _decode(data, filename)
    blank = _is_blank(text)
    if is_json:
        text = _json_as_yaml(text, filename)
    manifests = load_text(text, filename=filename)
    if not manifests and not (blank and prune):
        # `null`, `[]` or a comment is no set of manifests: as kubectl, refuse applying nothing.
        raise ManifestError([file_issue(filename, NO_MANIFESTS, 1)])
    _require_absolute_paths(manifests)
    return ManifestBody(manifests=manifests, filename=filename, text=text)


# A line of nothing but whitespace, a comment or a document marker.
_BLANK_LINE = re.compile(r"(?:---|\.\.\.)?(?:\s+#.*|\s*)|\s*#.*")


def _is_blank(text: str) -> bool:
    """Only whitespace, comments and document markers: the empty set a prune may apply."""
    return all(_BLANK_LINE.fullmatch(line.rstrip()) for line in text.splitlines())


def _filename(request: Request) -> str:
    offered = request.headers.get(FILENAME_HEADER, "")
    printable = "".join(char for char in offered[:256] if char.isprintable())
    return printable or REQUEST_FILE


def _decode(data: bytes, filename: str) -> str:
    try:
        return decode_manifest_text(data)
    except NotText as problem:
        said = (
            "the body is binary (NUL byte); send manifests as UTF-8 text"
            if problem.binary
            else problem.problem
        )
        issue = file_issue(filename, problem.problem, problem.line)
        raise ApiError(400, f"{filename}:{problem.line}: {said}", [issue.to_dict()]) from problem


def _json_as_yaml(text: str, filename: str) -> str:
    """A JSON body as YAML documents: one per manifest, each on its own lines.

    A single object passes through untouched (JSON is YAML), so its lines stay exact.
    """
    if not text.strip():
        return text  # an empty body: parse_manifests decides whether that is allowed
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        message = f"invalid JSON: {error.msg} (column {error.colno})"
        raise ManifestError([file_issue(filename, message, error.lineno)]) from error
    except (ValueError, RecursionError) as error:
        message = f"invalid JSON: {error}"[:300]
        raise ManifestError([file_issue(filename, message)]) from error
    if (
        isinstance(value, dict)
        and isinstance(value.get("items"), list)
        and value.get("kind") in (None, "List")
    ):
        value = value["items"]
    if isinstance(value, dict):
        return _astral_escapes(text)
    if not isinstance(value, list):
        message = 'a JSON body must be a manifest object, an array of them, or {"items": [...]}'
        raise ManifestError([file_issue(filename, message, 1)])
    strays = [
        ManifestIssue(
            file=filename,
            document=index,
            line=None,
            path="",
            message=f"item {index} of the array is not a manifest object",
        )
        for index, item in enumerate(value, start=1)
        if not isinstance(item, dict)
    ]
    if strays:
        raise ManifestError(strays)
    try:
        return "".join(f"---\n{_astral_escapes(json.dumps(item, indent=2))}\n" for item in value)
    except RecursionError as error:  # loads has a C stack, dumps with indent a Python one
        message = "invalid JSON: nested too deeply"
        raise ManifestError([file_issue(filename, message)]) from error


# A JSON escape of a character beyond U+FFFF is a surrogate pair (`\\ud83d\\ude00`), which
# YAML does not join: it reads two lone surrogates. Not after an escaped backslash.
_SURROGATE_PAIR = re.compile(
    r"(?<!\\)((?:\\\\)*)\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})", re.IGNORECASE
)


def _astral_escapes(text: str) -> str:
    """JSON text as YAML reads it alike: surrogate-pair escapes as YAML's `\\UXXXXXXXX`."""

    def joined(match: re.Match[str]) -> str:
        high, low = int(match.group(2), 16), int(match.group(3), 16)
        code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
        return f"{match.group(1)}\\U{code:08x}"

    return _SURROGATE_PAIR.sub(joined, text)


def _relative_paths(manifest: Manifest) -> list[tuple[str, str]]:
    """(field, path) of every host path of `manifest` that is not absolute."""
    paths: list[tuple[str, str]] = []
    if isinstance(manifest, Image):
        if manifest.spec.build is not None:
            paths.append(("spec.build.context", manifest.spec.build.context))
        if manifest.spec.load is not None:
            paths.append(("spec.load.path", manifest.spec.load.path))
    if isinstance(manifest, Secret | Config) and manifest.spec.file is not None:
        paths.append(("spec.file", manifest.spec.file))
    webhook = manifest.spec.webhook if isinstance(manifest, GitSource) else None
    if webhook is not None and webhook.secret_file is not None:
        paths.append(("spec.webhook.secretFile", webhook.secret_file))
    if isinstance(manifest, Container):
        paths += [
            (f"spec.volumes[{index}].hostPath", mount.host_path)
            for index, mount in enumerate(manifest.spec.volumes)
            if mount.host_path is not None
        ]
    return [(field, path) for field, path in paths if not path.startswith("/")]


def _require_absolute_paths(manifests: list[LoadedManifest]) -> None:
    issues = [
        ManifestIssue(
            file=loaded.file,
            document=loaded.document,
            line=loaded.line,
            path=field_path,
            message=(
                f"{value!r} is relative; through the API it must be absolute "
                "(the dockform CLI resolves it against the manifest's directory)"
            ),
            kind=loaded.kind,
            name=loaded.name,
        )
        for loaded in manifests
        for field_path, value in _relative_paths(loaded.manifest)
    ]
    if issues:
        raise ManifestError(issues)

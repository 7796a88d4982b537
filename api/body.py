"""Reading an apply or diff body: bounded bytes in, loaded manifests (with their text) out.

The body is YAML (one or more documents) or JSON: one manifest object, an array of them, or
a `{"items": [...]}` list. It is read in chunks and refused with 413 as soon as it passes the
limit, so a huge body never sits in memory; bytes that are not UTF-8 text are a 400 naming the
line. Every problem inside the manifests is a ManifestError (422) from the same loader the CLI
uses, so the messages match. Paths in Image manifests must be absolute here: the daemon has no
idea where the client's files were.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from dockform.api.errors import ApiError
from dockform.manifests.errors import ManifestError, ManifestIssue, file_issue
from dockform.manifests.loader import MAX_FILE_BYTES, LoadedManifest, load_text
from dockform.manifests.models import Image
from dockform.manifests.text import NotText, decode_manifest_text

REQUEST_FILE = "<request>"
FILENAME_HEADER = "x-dockform-filename"
DEFAULT_MAX_BODY_BYTES = MAX_FILE_BYTES

# A form upload (curl -F) wraps the file in a multipart envelope; say how to send it instead.
_REFUSED_TYPES = ("multipart/",)

REQUEST_BODY_DOC = {
    "description": "Manifests: YAML (multi-document) or JSON (an object, an array of "
    'objects, or {"items": [...]}). Image paths must be absolute. An empty body is an '
    "empty set (with prune and allowEmpty: delete everything the source owns).",
    "required": False,
    "content": {
        "application/yaml": {"schema": {"type": "string"}},
        "application/json": {
            "schema": {
                "oneOf": [
                    {"type": "object", "additionalProperties": True},
                    {"type": "array", "items": {"type": "object", "additionalProperties": True}},
                ]
            }
        },
        "text/plain": {"schema": {"type": "string"}},
    },
}


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


async def read_manifests(request: Request, max_bytes: int) -> ManifestBody:
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
        parse_manifests, data, _filename(request), content_type.endswith("json")
    )


def parse_manifests(data: bytes, filename: str, is_json: bool) -> ManifestBody:
    """The manifests in `data`; ApiError (400) or ManifestError (422) when there are none."""
    text = _decode(data, filename)
    if is_json:
        text = _json_as_yaml(text, filename)
    manifests = load_text(text, filename=filename)
    _require_absolute_paths(manifests)
    return ManifestBody(manifests=manifests, filename=filename, text=text)


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
        return text  # an empty body is an empty set, whatever its type says
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
        return text
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
        return "".join(f"---\n{json.dumps(item, indent=2)}\n" for item in value)
    except RecursionError as error:  # loads has a C stack, dumps with indent a Python one
        message = "invalid JSON: nested too deeply"
        raise ManifestError([file_issue(filename, message)]) from error


def _require_absolute_paths(manifests: list[LoadedManifest]) -> None:
    issues = []
    for loaded in manifests:
        manifest = loaded.manifest
        if not isinstance(manifest, Image):
            continue
        paths = []
        if manifest.spec.build is not None:
            paths.append(("spec.build.context", manifest.spec.build.context))
        if manifest.spec.load is not None:
            paths.append(("spec.load.path", manifest.spec.load.path))
        for field_path, value in paths:
            if not value.startswith("/"):
                issues.append(
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
                )
    if issues:
        raise ManifestError(issues)

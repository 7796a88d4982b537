"""`POST /v1/apply` and `POST /v1/diff`: one code path (store.apply), diff and dry-run write
nothing. The body is YAML or JSON manifests; relative paths must already be resolved."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request

from api.deps import StateDep
from api.errors import ApiError
from manifests.errors import ManifestError, ManifestIssue
from manifests.loader import LoadedManifest, load_text
from manifests.models import Image
from store.apply import ApplyRequest, ObjectResult, apply

router = APIRouter(prefix="/v1", tags=["apply"])

SOURCE_PATTERN = r"^(cli|dir:.{1,1024}|git:[a-z0-9]([-a-z0-9]*[a-z0-9])?)$"


async def read_manifests(request: Request, max_bytes: int) -> list[LoadedManifest]:
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > max_bytes:
            raise ApiError(413, f"request body is larger than {max_bytes} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ApiError(400, f"request body is not UTF-8 text: {error}") from error
    filename = request.headers.get("x-dockform-filename", "<request>")[:512]
    manifests = load_text(text, filename=filename)
    _require_absolute_paths(manifests)
    return manifests


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


def result_body(results: list[ObjectResult], dry_run: bool) -> dict[str, Any]:
    changed = any(result.action != "unchanged" for result in results)
    return {
        "dryRun": dry_run,
        "changed": changed,
        "results": [
            {
                "kind": result.kind,
                "name": result.name,
                "action": result.action,
                "generation": result.generation,
            }
            for result in results
        ],
    }


@router.post("/apply", summary="Apply manifests (YAML or JSON body)")
async def apply_manifests(
    request: Request,
    state: StateDep,
    dry_run: bool = Query(default=False, alias="dryRun"),
    prune: bool = Query(default=False),
    allow_empty: bool = Query(default=False, alias="allowEmpty"),
    force: bool = Query(default=False),
    source: str = Query(default="cli", pattern=SOURCE_PATTERN, max_length=1100),
) -> dict[str, Any]:
    manifests = await read_manifests(request, state.max_body_bytes)
    results = apply(
        state.store,
        ApplyRequest(
            manifests=manifests,
            source=source,
            prune=prune,
            allow_empty=allow_empty,
            force=force,
            dry_run=dry_run,
        ),
    )
    return result_body(results, dry_run)


@router.post("/diff", summary="What apply would change, with old and new specs")
async def diff_manifests(
    request: Request,
    state: StateDep,
    prune: bool = Query(default=False),
    force: bool = Query(default=True),
    source: str = Query(default="cli", pattern=SOURCE_PATTERN, max_length=1100),
) -> dict[str, Any]:
    manifests = await read_manifests(request, state.max_body_bytes)
    results = apply(
        state.store,
        ApplyRequest(
            manifests=manifests,
            source=source,
            prune=prune,
            allow_empty=True,
            force=force,
            dry_run=True,
        ),
    )
    body = result_body(results, True)
    for item, result in zip(body["results"], results, strict=True):
        item["old"] = result.old_spec
        item["new"] = result.new_spec
    return body

"""JSON Schema of one manifest document, for `dockform schema` and editors.

Derived from the pydantic models in `manifests.models`, so it cannot drift from what the loader
accepts; the rules pydantic expresses only as validators (exactly one image source, exactly one
mount source, bind-only mount fields) are added here so editors flag them too.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import TypeAdapter

from dockform.manifests.models import API_VERSION, AnyManifest

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

# Validators in models.py that a schema can state with oneOf over required keys.
_EXACTLY_ONE: dict[str, tuple[str, ...]] = {
    "ImageSpec": ("build", "pull", "load"),
    "VolumeMount": ("volume", "hostPath", "tmpfs"),
}
# Fields a definition's oneOf branch takes only with one key: elsewhere they must hold the
# given schema (models.VolumeMount refuses createHostPath, selinux, propagation on a volume
# or tmpfs).
_ONLY_WITH: dict[str, tuple[str, dict[str, Any]]] = {
    "VolumeMount": (
        "hostPath",
        {
            "createHostPath": {"const": False},
            "selinux": {"type": "null"},
            "propagation": {"type": "null"},
        },
    ),
}

# createHostPath and selinux go through the Engine's bind syntax (`src:dst:opts`), which
# splits on ':'; models.VolumeMount refuses a ':' in either path with them.
_NO_COLON = {"type": "string", "pattern": "^[^:]*$"}
_NO_COLON_FOR_BINDS: dict[str, Any] = {
    "if": {
        "anyOf": [
            {"required": ["createHostPath"], "properties": {"createHostPath": {"const": True}}},
            {"required": ["selinux"], "properties": {"selinux": {"type": "string"}}},
        ]
    },
    "then": {"properties": {"hostPath": _NO_COLON, "mountPath": _NO_COLON}},
}


def _present(definition: dict[str, Any], key: str) -> dict[str, Any]:
    """`key` given and not null: the fields are nullable, and `build: null` is no source."""
    field = definition.get("properties", {}).get(key, {})
    options = [option for option in field.get("anyOf", [field]) if option.get("type") != "null"]
    value = options[0] if len(options) == 1 else {"anyOf": options}
    return {"required": [key], "properties": {key: value}}


def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12): oneOf the kinds, discriminated by `kind`."""
    schema: dict[str, Any] = TypeAdapter(AnyManifest).json_schema(by_alias=True, mode="validation")
    definitions: dict[str, Any] = schema.get("$defs", {})
    for definition in definitions.values():
        # pydantic titles each property after its Python name ("Workingdir"); editors show
        # titles, and the camelCase key says it better.
        for property_schema in definition.get("properties", {}).values():
            property_schema.pop("title", None)
    for name, keys in _EXACTLY_ONE.items():
        definition = definitions.get(name)
        if definition is not None:
            definition["oneOf"] = [_present(definition, key) for key in keys]
    for name, (owner, fields) in _ONLY_WITH.items():
        definition = definitions.get(name)
        if definition is None:
            continue
        for branch, key in zip(definition["oneOf"], _EXACTLY_ONE[name], strict=True):
            if key != owner:
                branch["properties"].update(copy.deepcopy(fields))
    mount = definitions.get("VolumeMount")
    if mount is not None:
        mount["oneOf"][1].update(copy.deepcopy(_NO_COLON_FOR_BINDS))
    return {
        "$schema": SCHEMA_DIALECT,
        "title": f"dockform manifest ({API_VERSION})",
        "description": "One YAML document: apiVersion, kind, metadata and spec.",
        **schema,
    }

"""JSON Schema of one manifest document, for `dockform schema` and editors.

Derived from the pydantic models in `manifests.models`, so it cannot drift from what the loader
accepts; the rules pydantic expresses only as validators (exactly one image source, exactly one
mount source) are added here so editors flag them too.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from dockform.manifests.models import API_VERSION, AnyManifest

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

# Validators in models.py that a schema can state with oneOf over required keys.
_EXACTLY_ONE: dict[str, tuple[str, ...]] = {
    "ImageSpec": ("build", "pull", "load"),
    "VolumeMount": ("volume", "hostPath"),
    "SecretSpec": ("value", "file", "env"),
    "ConfigSpec": ("value", "file"),
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
    return {
        "$schema": SCHEMA_DIALECT,
        "title": f"dockform manifest ({API_VERSION})",
        "description": "One YAML document: apiVersion, kind, metadata and spec.",
        **schema,
    }

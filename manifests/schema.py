"""JSON Schema of one manifest document, for `dockform schema` and editors.

Derived from the pydantic models in `manifests.models`, so it cannot drift from what the loader
accepts: a value the schema allows is one the loader accepts, and the reverse, but for the rules
no JSON Schema can state (`manifests.errors.SEMANTIC_REASONS`: dependency cycles, one object
twice, a ulimit's soft above its hard). Most validators carry their rule into the schema as a
pattern or enum (`json_schema_extra`); the rules that span fields (exactly one image or mount
source or webhook secret, bind-only mount fields, count or deviceIds, no network attachments
with hostNetwork, a dependency's condition by its kind)
and the label-key grammar of every `labels` map are added here, so editors and API clients see
them too.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import TypeAdapter

from dockform.manifests.kinds import Kind
from dockform.manifests.labels import LABEL_KEY_PATTERN, RESERVED_PREFIX
from dockform.manifests.models import API_VERSION, DEPENDENCY_CONDITIONS, AnyManifest

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

# Validators in models.py that a schema can state with oneOf over required keys.
_EXACTLY_ONE: dict[str, tuple[str, ...]] = {
    "ImageSpec": ("build", "pull", "load"),
    "VolumeMount": ("volume", "hostPath", "tmpfs"),
    "SecretSpec": ("value", "file", "env"),
    "ConfigSpec": ("value", "file"),
    "GitSourceWebhook": ("secretRef", "secretFile"),
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
# Validators in models.py that refuse two fields together.
_NOT_BOTH: dict[str, tuple[str, str]] = {"GpuRequest": ("count", "deviceIds")}
# Every `labels` map (metadata, Network, Volume, Container) checks its keys with
# labels.check_label_keys: this grammar, and not the reserved prefix.
_LABEL_KEYS = {
    "maxLength": 253,
    "pattern": LABEL_KEY_PATTERN,
    "not": {"pattern": "^" + RESERVED_PREFIX.replace(".", "\\.")},
}
# ContainerSpec refuses network aliases and addresses with hostNetwork: true; an entry with
# nothing but a name is a plain name.
_HOST_NETWORK_RULE = {
    "anyOf": [
        {"not": {"required": ["hostNetwork"], "properties": {"hostNetwork": {"const": True}}}},
        {
            "properties": {
                "networks": {
                    "items": {
                        "anyOf": [
                            {"type": "string"},
                            {"type": "object", "required": ["name"], "maxProperties": 1},
                        ]
                    }
                }
            }
        },
    ]
}


# models.Dependency takes the conditions of its kind only (a Job's: Completed; a Container's,
# the default kind: Started or Healthy).
_CONDITION_OF_THE_KIND = {
    "anyOf": [
        {
            "required": ["kind"],
            "properties": {
                "kind": {"const": kind.value},
                "condition": {"enum": list(DEPENDENCY_CONDITIONS[kind])},
            },
        }
        if kind is not Kind.CONTAINER
        else {
            "properties": {
                "kind": {"const": kind.value},
                "condition": {"enum": list(DEPENDENCY_CONDITIONS[kind])},
            }
        }
        for kind in (Kind.CONTAINER, Kind.JOB)
    ]
}
# The definitions whose model is a ContainerSpec (a JobSpec is one, less restartPolicy and
# restartOnUnhealthy, which its schema leaves out and so refuses).
_CONTAINER_SPECS = ("ContainerSpec", "JobSpec")


def _present(definition: dict[str, Any], key: str) -> dict[str, Any]:
    """`key` given and not null: the fields are nullable, and `build: null` is no source."""
    field = definition.get("properties", {}).get(key, {})
    options = [option for option in field.get("anyOf", [field]) if option.get("type") != "null"]
    value = options[0] if len(options) == 1 else {"anyOf": options}
    return {"required": [key], "properties": {key: value}}


def _key_patterns_as_property_names(value: Any) -> None:
    """pydantic writes a map whose keys have a pattern as `patternProperties`, which lets keys
    that do not match through; the model refuses them: say so with `propertyNames`."""
    if isinstance(value, list):
        for item in value:
            _key_patterns_as_property_names(item)
        return
    if not isinstance(value, dict):
        return
    patterns = value.get("patternProperties")
    if isinstance(patterns, dict) and len(patterns) == 1 and "additionalProperties" not in value:
        ((pattern, item),) = patterns.items()
        del value["patternProperties"]
        value["propertyNames"] = {**value.get("propertyNames", {}), "pattern": pattern}
        value["additionalProperties"] = item
    for item in value.values():
        _key_patterns_as_property_names(item)


def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12): oneOf the kinds, discriminated by `kind`."""
    schema: dict[str, Any] = TypeAdapter(AnyManifest).json_schema(by_alias=True, mode="validation")
    _key_patterns_as_property_names(schema)
    definitions: dict[str, Any] = schema.get("$defs", {})
    for definition in definitions.values():
        properties = definition.get("properties", {})
        # pydantic titles each property after its Python name ("Workingdir"); editors show
        # titles, and the camelCase key says it better.
        for property_schema in properties.values():
            property_schema.pop("title", None)
        if "labels" in properties:
            properties["labels"]["propertyNames"] = dict(_LABEL_KEYS)
    for name, keys in _EXACTLY_ONE.items():
        definition = definitions.get(name)
        if definition is not None:
            definition["oneOf"] = [_present(definition, key) for key in keys]
            # Each branch also says the other sources are absent (or null): with fields that
            # fail the other branches for other reasons (bind-only fields), "one branch
            # matches" alone would let a second source through.
            for branch, key in zip(definition["oneOf"], keys, strict=True):
                branch["properties"].update(
                    {other: {"type": "null"} for other in keys if other != key}
                )
    for name, pair in _NOT_BOTH.items():
        definition = definitions.get(name)
        if definition is not None:
            definition["not"] = {
                "required": list(pair),
                "properties": {key: {"not": {"type": "null"}} for key in pair},
            }
    for name in _CONTAINER_SPECS:
        definitions[name].update(copy.deepcopy(_HOST_NETWORK_RULE))
    definitions["Dependency"].update(copy.deepcopy(_CONDITION_OF_THE_KIND))
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

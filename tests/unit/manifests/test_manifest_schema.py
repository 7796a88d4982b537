"""The JSON Schema: valid JSON, one document oneOf the kinds, and it agrees with the loader.

jsonschema is not a dependency, so `schema_errors` below checks the keywords the schema uses
(a strict subset of draft 2020-12); an unknown keyword fails the test instead of passing.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from dockform.manifests import Kind, json_schema, load_text

HANDLED = {
    "$schema", "$defs", "title", "description", "default", "discriminator",
    "$ref", "type", "const", "enum", "pattern", "minLength", "maxLength", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems", "maxProperties",
    "properties", "required", "additionalProperties", "propertyNames", "items", "anyOf", "oneOf",
    "if", "then",
}  # fmt: skip
TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def schema_errors(value: Any, schema: dict[str, Any], root: dict[str, Any]) -> list[str]:
    unknown = set(schema) - HANDLED
    assert not unknown, f"schema keyword the test validator does not know: {unknown}"
    if "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return schema_errors(value, target, root)
    kind = schema.get("type")
    if kind is not None:
        is_bool = isinstance(value, bool)
        if not isinstance(value, TYPES[kind]) or (is_bool and kind in ("integer", "number")):
            return [f"{value!r} is not of type {kind}"]
    errors: list[str] = []
    if "const" in schema and value != schema["const"]:
        errors.append(f"{value!r} != {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{value!r} not in {schema['enum']}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{value!r} does not match {schema['pattern']}")
        if len(value) > schema.get("maxLength", len(value)):
            errors.append(f"{value!r} is too long")
        if len(value) < schema.get("minLength", 0):
            errors.append(f"{value!r} is too short")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{value} < {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{value} > {schema['maximum']}")
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            errors.append(f"{value} <= {schema['exclusiveMinimum']}")
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            errors.append(f"{value} >= {schema['exclusiveMaximum']}")
    if "anyOf" in schema and all(schema_errors(value, s, root) for s in schema["anyOf"]):
        errors.append(f"{value!r} matches none of anyOf")
    if "if" in schema and not schema_errors(value, schema["if"], root):
        errors += schema_errors(value, schema.get("then", {}), root)
    if "oneOf" in schema:
        matches = sum(not schema_errors(value, s, root) for s in schema["oneOf"])
        if matches != 1:
            errors.append(f"{value!r} matches {matches} of oneOf")
    if isinstance(value, list):
        if len(value) > schema.get("maxItems", len(value)) or len(value) < schema.get(
            "minItems", 0
        ):
            errors.append("wrong number of items")
        for item in value:
            errors += schema_errors(item, schema.get("items", {}), root)
    if isinstance(value, dict):
        errors += [f"missing {key}" for key in schema.get("required", []) if key not in value]
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", {})
        for key, item in value.items():
            errors += schema_errors(key, schema.get("propertyNames", {}), root)
            if key in properties:
                errors += schema_errors(item, properties[key], root)
            elif extra is False:
                errors.append(f"unknown property {key}")
            else:
                errors += schema_errors(item, extra, root)
    return errors


def metadata(name: str) -> dict[str, Any]:
    return {"name": name, "labels": {"app": "shop"}}


VALID = [
    {"apiVersion": "dockform/v1", "kind": "Volume", "metadata": metadata("data")},
    {
        "apiVersion": "dockform/v1",
        "kind": "Image",
        "metadata": metadata("app"),
        "spec": {"ref": "app:dev", "build": {"context": "."}},
    },
    {
        "apiVersion": "dockform/v1",
        "kind": "Container",
        "metadata": metadata("web"),
        "spec": {
            "image": "app:dev",
            "env": {"A": "1"},
            "ports": [{"containerPort": 80, "hostPort": 8080, "hostIP": "0.0.0.0"}],
            "volumes": [
                {"volume": "data", "mountPath": "/data", "readOnly": True},
                {
                    "hostPath": "./conf",
                    "mountPath": "/conf",
                    "createHostPath": True,
                    "selinux": "z",
                    "propagation": "rprivate",
                },
                {"tmpfs": {"size": "64Mi", "mode": "1777"}, "mountPath": "/run"},
                {"tmpfs": {}, "mountPath": "/tmp"},
            ],
            "healthcheck": {"command": ["true"], "interval": "5s"},
            "dependsOn": [{"name": "db", "condition": "Healthy"}],
            "resources": {"memory": "256Mi", "cpus": 0.5},
        },
    },
]


def mount(fields: dict[str, Any]) -> dict[str, Any]:
    """A Container with one volume mount of `fields` (mountPath /m unless given)."""
    return {**VALID[2], "spec": {"image": "x", "volumes": [{"mountPath": "/m", **fields}]}}


INVALID = {
    "unknown field": {**VALID[0], "spek": {}},
    "wrong kind": {**VALID[0], "kind": "Pod"},
    "wrong api version": {**VALID[0], "apiVersion": "v1"},
    "bad name": {**VALID[0], "metadata": {"name": "Data_1"}},
    "missing ref": {**VALID[1], "spec": {"build": {}}},
    "two image sources": {**VALID[1], "spec": {"ref": "a", "build": {}, "pull": {}}},
    "snake case": {**VALID[2], "spec": {"image": "x", "working_dir": "/"}},
    "port out of range": {**VALID[2], "spec": {"image": "x", "ports": [{"containerPort": 0}]}},
    "mount with two sources": {
        **VALID[2],
        "spec": {"image": "x", "volumes": [{"volume": "a", "hostPath": "/a", "mountPath": "/a"}]},
    },
    "mount with tmpfs and volume": {
        **VALID[2],
        "spec": {"image": "x", "volumes": [{"volume": "a", "tmpfs": {}, "mountPath": "/a"}]},
    },
    "createHostPath on a volume": mount({"volume": "a", "createHostPath": True}),
    "selinux on a tmpfs": mount({"tmpfs": {}, "selinux": "z"}),
    "unknown selinux": mount({"hostPath": "/a", "selinux": "y"}),
    "unknown propagation": mount({"hostPath": "/a", "propagation": "rshare"}),
    "tmpfs mode not octal": mount({"tmpfs": {"mode": "0999"}}),
    "tmpfs mode a number": mount({"tmpfs": {"mode": 1777}}),
    "tmpfs size no size": mount({"tmpfs": {"size": "lots"}}),
    "hostPath under ~": mount({"hostPath": "~/data"}),
    "empty hostPath": mount({"hostPath": ""}),
    "colon in a created hostPath": mount({"hostPath": "/a:b", "createHostPath": True}),
    "colon in a relabelled mountPath": mount(
        {"hostPath": "/a", "selinux": "Z", "mountPath": "/a:b"}
    ),
}


def test_schema_is_draft_2020_12_json_with_a_title() -> None:
    schema = json.loads(json.dumps(json_schema()))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "dockform manifest (dockform/v1)"
    assert schema["discriminator"]["propertyName"] == "kind"
    assert sorted(ref["$ref"].rsplit("/", 1)[1] for ref in schema["oneOf"]) == sorted(Kind)


def test_every_object_forbids_extra_properties_and_uses_camel_case() -> None:
    definitions = json_schema()["$defs"]
    for name, definition in definitions.items():
        if definition.get("type") != "object":
            continue
        assert definition["additionalProperties"] is False, name
        for key in definition["properties"]:
            # Digits only inside a word, as in ipv4Address; never snake_case.
            assert re.fullmatch(r"[a-z][A-Za-z0-9]*", key), (name, key)
    assert "hostIP" in definitions["PortMapping"]["properties"]
    assert "reclaimPolicy" in definitions["VolumeSpec"]["properties"]


@pytest.mark.parametrize("document", VALID, ids=[str(doc["kind"]) for doc in VALID])
def test_valid_documents_pass_schema_and_loader(document: dict[str, Any]) -> None:
    schema = json_schema()
    assert schema_errors(document, schema, schema) == []
    assert len(load_text(json.dumps(document))) == 1


@pytest.mark.parametrize("document", list(INVALID.values()), ids=list(INVALID))
def test_invalid_documents_fail_schema_and_loader(document: dict[str, Any]) -> None:
    schema = json_schema()
    assert schema_errors(document, schema, schema) != []
    with pytest.raises(ValueError):
        load_text(json.dumps(document))

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
from dockform.manifests.errors import SEMANTIC_REASONS, ManifestError

HANDLED = {
    "$schema", "$defs", "title", "description", "default", "discriminator",
    "$ref", "type", "const", "enum", "pattern", "minLength", "maxLength", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems", "maxProperties",
    "properties", "required", "additionalProperties", "propertyNames", "items", "anyOf", "oneOf",
    "not",
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
        # ECMA's `$` (JSON Schema's) is the end of the text; Python's matches before a final
        # newline too. No pattern here escapes a `$`.
        if "pattern" in schema and not re.search(schema["pattern"].replace("$", r"\Z"), value):
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
    if "not" in schema and not schema_errors(value, schema["not"], root):
        errors.append(f"{value!r} matches what `not` refuses")
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
        if len(value) > schema.get("maxProperties", len(value)):
            errors.append("too many properties")
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


def container(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "dockform/v1",
        "kind": "Container",
        "metadata": {"name": "web"},
        "spec": {"image": "web:1", **spec},
    }


# What a validator of the models checks, the schema states too: each of these is refused by
# both (issue 16: the fuzz case found schema-valid bodies refused for each of them).
STATED = {
    "label key syntax": {**VALID[0], "metadata": {"name": "data", "labels": {"-a": "b"}}},
    "reserved label prefix": {**container(labels={"io.dockform.owner": "x"})},
    "NUL in an annotation key": {**VALID[0], "metadata": {"name": "d", "annotations": {"a\0": ""}}},
    "NUL in a build arg name": {
        **VALID[1],
        "spec": {"ref": "a", "build": {"context": ".", "args": {"A\0": "1"}}},
    },
    "NUL in a driverOpts key": {**VALID[0], "spec": {"driverOpts": {"o\0": "bind"}}},
    "env name with =": container(env={"A=B": "1"}),
    "empty env name": container(env={"": "1"}),
    "unknown capability": container(capAdd=["NET_BIND"]),
    "capability with a newline": container(capDrop=["CHOWN\n"]),
    "unknown ulimit": container(ulimits={"nofiles": 10}),
    "ulimit below -1": container(ulimits={"nofile": -5}),
    "sysctl name": container(sysctls={"Net.Core": "1"}),
    "extra host without address": container(extraHosts=["db.local"]),
    "extra host with a name for address": container(extraHosts=["db.local:somewhere"]),
    "dns not an address": container(dns=["8.8.8"]),
    "dns with a leading zero": container(dns=["10.0.0.01"]),
    "ipv4Address out of range": container(networks=[{"name": "a", "ipv4Address": "10.0.0.300"}]),
    "ipv6Address given IPv4": container(networks=[{"name": "a", "ipv6Address": "10.0.0.5"}]),
    "relative device": container(devices=["dev/ttyUSB0"]),
    "device permissions": container(devices=["/dev/a:/dev/a:rwx"]),
    "device mapping permissions twice": container(
        devices=[{"hostPath": "/d", "permissions": "rr"}]
    ),
    "securityOpt": container(securityOpt=["no-new-privs"]),
    "hostPath with ~": container(volumes=[{"hostPath": "~/data", "mountPath": "/data"}]),
    "relative tmpfs key": container(tmpfs={"run": "size=1m"}),
    "gpus count and deviceIds": container(gpus={"count": 1, "deviceIds": ["0"]}),
    "aliases with hostNetwork": container(
        hostNetwork=True, networks=[{"name": "a", "aliases": ["x"]}]
    ),
    "unicode blank in an image ref": container(image="web:1\u0085"),
    "logging option key with NUL": container(logging={"driver": "local", "options": {"m\0": "1"}}),
    "a Container dependency Completed": container(
        dependsOn=[{"name": "a", "condition": "Completed"}]
    ),
    "a Job dependency Started": container(
        dependsOn=[{"name": "a", "kind": "Job", "condition": "Started"}]
    ),
    "a Job dependency Healthy": container(
        dependsOn=[{"name": "a", "kind": "Job", "condition": "Healthy"}]
    ),
    "restartPolicy on a Job": {**container(restartPolicy="Never"), "kind": "Job"},
    "restartOnUnhealthy on a Job": {**container(restartOnUnhealthy=False), "kind": "Job"},
    "backoffLimit above 100": {**container(backoffLimit=101), "kind": "Job"},
    "aliases with hostNetwork on a Job": {
        **container(hostNetwork=True, networks=[{"name": "a", "aliases": ["x"]}]),
        "kind": "Job",
    },
}

# Edge cases the validators accept: the schema must not refuse them.
ACCEPTED = {
    "capabilities in any case, with CAP_ and blanks": container(
        capAdd=["cap_net_admin", " CHOWN\t", "all"]
    ),
    "ulimits as a number and a pair": container(
        ulimits={"nofile": -1, "core": {"soft": 0, "hard": 0}}
    ),
    "IPv6 forms": container(
        dns=["::", "1::", "::ffff:10.0.0.1", "fe80::1%eth0", "1:2:3:4:5:6:7::", "10.0.0.1"],
        networks=[{"name": "a", "ipv4Address": "10.0.0.5", "ipv6Address": "fd00::5"}],
    ),
    "extra hosts": container(extraHosts=["db.local:10.0.0.5", "v6:::1", "gw:host-gateway"]),
    "devices": container(devices=["/dev/a", "/dev/a:/dev/b", "/a:/b:mr", {"hostPath": "/"}]),
    "security opts": container(securityOpt=["no-new-privileges:true", "seccomp=/p", "label=x"]),
    "sysctls": container(sysctls={"net.ipv4.ip_unprivileged_port_start": 0, "kernel.shmmax": "1"}),
    "plain network entry with hostNetwork": container(hostNetwork=True, networks=[{"name": "a"}]),
    "env names": container(env={"a b": "1", "Ä": "2"}),
    "label keys": container(labels={"a": "1", "com.example/app-name_1": "2", "io.dockformx": "3"}),
    "tmpfs": container(tmpfs={"/run": "size=1m"}),
    "dependencies of both kinds": container(
        dependsOn=[
            {"name": "a"},
            {"name": "b", "kind": "Container", "condition": "Healthy"},
            {"name": "c", "kind": "Job"},
            {"name": "d", "kind": "Job", "condition": "Completed"},
        ]
    ),
    "a Job with its fields": {**container(backoffLimit=0, ttlAfterFinished="1h"), "kind": "Job"},
}  # fmt: skip


@pytest.mark.parametrize("document", list(STATED.values()), ids=list(STATED))
def test_a_rule_a_validator_checks_is_stated_in_the_schema(document: dict[str, Any]) -> None:
    schema = json_schema()
    assert schema_errors(document, schema, schema) != []
    with pytest.raises(ValueError):
        load_text(json.dumps(document))


@pytest.mark.parametrize("document", list(ACCEPTED.values()), ids=list(ACCEPTED))
def test_what_the_validators_accept_the_schema_allows(document: dict[str, Any]) -> None:
    schema = json_schema()
    assert schema_errors(document, schema, schema) == []
    assert len(load_text(json.dumps(document))) == 1


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (container(ulimits={"nofile": {"soft": 20, "hard": 10}}), "UlimitSoftAboveHard"),
        (container(dependsOn=[{"name": "web"}]), None),  # the store refuses it: DependencyCycle
    ],
)
def test_rules_no_json_schema_can_state_pass_the_schema(
    document: dict[str, Any], reason: str | None
) -> None:
    schema = json_schema()
    assert schema_errors(document, schema, schema) == []
    if reason is None:
        return
    with pytest.raises(ManifestError) as caught:
        load_text(json.dumps(document))
    assert [issue.reason for issue in caught.value.issues] == [reason]
    assert reason in SEMANTIC_REASONS


def test_no_map_key_pattern_is_left_as_pattern_properties() -> None:
    # pydantic writes a keyed pattern as patternProperties, which lets other keys through.
    assert "patternProperties" not in json.dumps(json_schema())


def test_a_second_mount_source_is_refused_beside_bind_only_fields() -> None:
    # selinux fails the volume branch for its own reason: the hostPath branch must still
    # refuse the volume beside it, as models.VolumeMount does.
    mount = {"hostPath": "/srv", "volume": "data", "selinux": "z", "mountPath": "/d"}
    document = container(volumes=[mount])
    schema = json_schema()
    assert schema_errors(document, schema, schema) != []
    with pytest.raises(ValueError):
        load_text(json.dumps(document))

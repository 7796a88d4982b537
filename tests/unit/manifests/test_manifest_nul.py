"""NUL characters: every string that can reach Docker, the OS or git is refused at load, with
file, line and field, however YAML spelled the NUL (`"\\0"`, `"\\x00"`, `!!binary`)."""

from __future__ import annotations

import pytest

from dockform.manifests import ManifestError, json_schema, load_text
from dockform.manifests.models import NUL_MESSAGE

CONTAINER = """\
apiVersion: dockform/v1
kind: Container
metadata:
  name: web
spec:
  image: busybox
  {field}
"""


def only_issue(text: str) -> str:
    with pytest.raises(ManifestError) as caught:
        load_text(text, "app.yaml")
    (issue,) = caught.value.issues
    return str(issue)


@pytest.mark.parametrize(
    ("field", "path"),
    [
        ("env: {SECRET: !!binary AGFi}", "spec.env.SECRET"),
        ('env: {SECRET: "a\\0b"}', "spec.env.SECRET"),
        ('env: {SECRET: "a\\x00b"}', "spec.env.SECRET"),
        ('command: [sh, "-c\\0"]', "spec.command[1]"),
        ('entrypoint: ["/bin/sh\\0"]', "spec.entrypoint[0]"),
        ('workingDir: "/srv\\0"', "spec.workingDir"),
        ('user: "root\\0"', "spec.user"),
        ('labels: {tier: "front\\0"}', "spec.labels.tier"),
        ('healthcheck: {command: ["true\\0"]}', "spec.healthcheck.command[0]"),
        ('volumes: [{hostPath: "/srv\\0", mountPath: /data}]', "spec.volumes[0].hostPath"),
        ('volumes: [{volume: data, mountPath: "/data\\0"}]', "spec.volumes[0].mountPath"),
        ('ports: [{containerPort: 80, hostIP: "127.0.0.1\\0"}]', "spec.ports[0].hostIP"),
    ],
)
def test_nul_in_a_container_string_is_refused_at_its_line(field: str, path: str) -> None:
    assert only_issue(CONTAINER.format(field=field)) == (
        f"app.yaml:7: document 1 (Container/web): {path}: {NUL_MESSAGE}"
    )


def test_golden_message() -> None:
    text = CONTAINER.format(field="env:\n    SECRET: !!binary AGFi")
    assert only_issue(text) == (
        "app.yaml:8: document 1 (Container/web): spec.env.SECRET: must not contain a NUL"
        " character (\\0): Docker and the OS cut strings there"
    )


def test_nul_in_a_key_is_refused_as_the_key() -> None:
    assert only_issue(CONTAINER.format(field='env: {"A\\0": x}')) == (
        f'app.yaml:7: document 1 (Container/web): spec.env["A\\u0000"]: {NUL_MESSAGE} (in the key)'
    )


def test_nul_in_the_image_is_refused() -> None:
    text = CONTAINER.replace("image: busybox", 'image: "busybox\\0"').format(field="")
    assert only_issue(text) == f"app.yaml:6: document 1 (Container/web): spec.image: {NUL_MESSAGE}"


HEAD = "apiVersion: dockform/v1\nkind: {kind}\nmetadata: {{name: {name}}}\n"


@pytest.mark.parametrize(
    ("kind", "spec", "path"),
    [
        ("Network", '{subnet: "10.0.0.0/24\\0"}', "spec.subnet"),
        ("Volume", '{driverOpts: {o: "bind\\0"}}', "spec.driverOpts.o"),
        ("Volume", '{driverOpts: {"o\\0": bind}}', 'spec.driverOpts["o\\u0000"]'),
        ("Image", '{ref: "a:1", build: {args: {A: "\\0"}}}', "spec.build.args.A"),
        ("GitSource", '{url: "https://x/r.git", branch: "main\\0"}', "spec.branch"),
        ("GitSource", '{url: "https://x/r.git\\0"}', "spec.url"),
    ],
)
def test_nul_in_other_kinds_is_refused(kind: str, spec: str, path: str) -> None:
    text = HEAD.format(kind=kind, name="x") + f"spec: {spec}\n"
    suffix = " (in the key)" if "u0000" in path else ""
    assert only_issue(text) == f"app.yaml:4: document 1 ({kind}/x): {path}: {NUL_MESSAGE}{suffix}"


def test_nul_in_an_annotation_is_refused() -> None:
    text = (
        'apiVersion: dockform/v1\nkind: Network\nmetadata:\n  name: n\n  annotations: {a: "\\0"}\n'
    )
    assert (
        only_issue(text)
        == f"app.yaml:5: document 1 (Network/n): metadata.annotations.a: {NUL_MESSAGE}"
    )


def test_strings_without_nul_still_load() -> None:
    (loaded,) = load_text(CONTAINER.format(field='env: {A: "tab\\tand unicode é"}'), "app.yaml")
    assert loaded.manifest.spec.env == {"A": "tab\tand unicode é"}  # type: ignore[union-attr]


def test_the_json_schema_says_no_nul() -> None:
    definitions = json_schema()["$defs"]
    assert definitions["ContainerSpec"]["properties"]["workingDir"]["anyOf"][0]["pattern"] == (
        "^[^\\x00]*$"
    )

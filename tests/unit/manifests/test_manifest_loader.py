"""Loader happy paths and the position (file, document, line, path) of every kind of issue."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dockform.manifests import (
    Container,
    GitSource,
    Image,
    ManifestError,
    ManifestIssue,
    Network,
    Volume,
    load_file,
    load_text,
)

ALL_KINDS = """\
# every kind, with a trailing separator
apiVersion: dockform/v1
kind: Image
metadata:
  name: app
spec:
  ref: app:dev
  build:
    context: ./src
---
apiVersion: dockform/v1
kind: Network
metadata:
  name: backend
---
apiVersion: dockform/v1
kind: Volume
metadata:
  name: data
spec:
  reclaimPolicy: Delete
---
apiVersion: dockform/v1
kind: Container
metadata:
  name: web
  labels:
    app: web
spec:
  image: app:dev
  env:
    MODE: prod
  ports:
    - containerPort: 80
      hostPort: 8080
      hostIP: 127.0.0.1
  networks: [backend]
  volumes:
    - volume: data
      mountPath: /data
  dependsOn:
    - name: db
      condition: Healthy
---
apiVersion: dockform/v1
kind: GitSource
metadata:
  name: infra
spec:
  url: https://example.invalid/infra.git
---
"""


def issues_of(text: str, filename: str = "app.yaml") -> list[ManifestIssue]:
    with pytest.raises(ManifestError) as caught:
        load_text(text, filename)
    return caught.value.issues


def only_issue(text: str, filename: str = "app.yaml") -> ManifestIssue:
    issues = issues_of(text, filename)
    assert len(issues) == 1, issues
    return issues[0]


def container(spec_lines: str, name: str = "web") -> str:
    """A Container document whose spec starts at line 5 (spec_lines are indented by 2)."""
    return (
        f"apiVersion: dockform/v1\nkind: Container\nmetadata:\n  name: {name}\nspec:\n{spec_lines}"
    )


# --- happy paths -------------------------------------------------------------------------------


def test_every_kind_loads_with_document_index_and_line() -> None:
    loaded = load_text(ALL_KINDS, "all.yaml")

    assert [(item.kind, item.name) for item in loaded] == [
        ("Image", "app"),
        ("Network", "backend"),
        ("Volume", "data"),
        ("Container", "web"),
        ("GitSource", "infra"),
    ]
    assert [item.document for item in loaded] == [1, 2, 3, 4, 5]
    assert [item.line for item in loaded] == [2, 11, 16, 23, 45]
    assert {item.file for item in loaded} == {"all.yaml"}
    image, network, volume, web, git = (item.manifest for item in loaded)
    assert isinstance(image, Image) and image.spec.build is not None
    assert image.spec.build.context == "./src"  # no base_dir: left as written
    assert isinstance(network, Network) and network.spec.driver == "bridge"
    assert isinstance(volume, Volume) and volume.spec.reclaim_policy == "Delete"
    assert isinstance(web, Container)
    assert web.spec.ports[0].host_port == 8080
    assert web.spec.depends_on[0].condition == "Healthy"
    assert isinstance(git, GitSource) and git.spec.branch == "main"


def test_json_input_loads() -> None:
    document = {
        "apiVersion": "dockform/v1",
        "kind": "Volume",
        "metadata": {"name": "data"},
        "spec": {"driverOpts": {"type": "tmpfs"}},
    }
    loaded = load_text(json.dumps(document, indent=2))
    assert loaded[0].manifest == Volume.model_validate(document)
    assert loaded[0].file == "<stdin>"


def test_empty_text_and_empty_documents_give_nothing() -> None:
    assert load_text("") == []
    assert load_text("# only a comment\n---\n---\n...\n") == []


def test_document_numbers_count_empty_documents() -> None:
    text = "---\n---\n" + container("  image: x\n")
    loaded = load_text(text)
    assert (loaded[0].document, loaded[0].line) == (2, 3)


def test_aliases_and_merge_keys_work() -> None:
    text = """\
apiVersion: dockform/v1
kind: Container
metadata:
  name: web
  labels: &common
    app: shop
spec:
  image: x
  labels: *common
  env:
    <<: {A: "1", B: "2"}
    B: override
"""
    (loaded,) = load_text(text)
    assert isinstance(loaded.manifest, Container)
    assert loaded.manifest.spec.labels == {"app": "shop"}
    assert loaded.manifest.spec.env == {"A": "1", "B": "override"}


# --- field errors: path and line ---------------------------------------------------------------


def test_issue_string_names_file_line_document_kind_name_and_path() -> None:
    text = ALL_KINDS.replace("hostPort: 8080", "hostPort: eighty")
    issue = only_issue(text)
    assert issue == ManifestIssue(
        file="app.yaml",
        document=4,
        line=35,
        path="spec.ports[0].hostPort",
        message="Input should be a valid integer, unable to parse string as an integer",
        kind="Container",
        name="web",
    )
    assert str(issue) == (
        "app.yaml:35: document 4 (Container/web): spec.ports[0].hostPort: "
        "Input should be a valid integer, unable to parse string as an integer"
    )


def test_unknown_field_points_at_its_key_and_suggests_the_right_one() -> None:
    issue = only_issue(container("  image: x\n  env: {}\n  restartPolcy: Never\n"))
    assert (issue.line, issue.path) == (8, "spec.restartPolcy")
    assert issue.message == "unknown field (did you mean restartPolicy?)"


def test_snake_case_spelling_is_unknown_and_names_the_camel_case_field() -> None:
    issue = only_issue(container("  image: x\n  working_dir: /srv\n"))
    assert (issue.line, issue.path) == (7, "spec.working_dir")
    assert issue.message == "unknown field (did you mean workingDir?)"


def test_unknown_field_without_a_close_match_lists_known_fields() -> None:
    text = container("  image: x\n  ports:\n    - containerPort: 80\n      zzz: 1\n")
    issue = only_issue(text)
    assert (issue.line, issue.path) == (9, "spec.ports[0].zzz")
    assert issue.message == "unknown field; known fields: containerPort, hostPort, hostIP, protocol"


def test_unknown_top_level_field() -> None:
    issue = only_issue(container("  image: x\n") + "status: {}\n")
    assert (issue.line, issue.path) == (7, "status")
    assert issue.message == "unknown field; known fields: apiVersion, metadata, kind, spec"


def test_missing_field_points_at_the_parent_mapping() -> None:
    text = container("  image: x\n  ports:\n    - hostPort: 80\n      protocol: udp\n")
    issue = only_issue(text)
    assert (issue.line, issue.path) == (8, "spec.ports[0].containerPort")
    assert issue.message == "required field is missing"


def test_missing_spec_points_at_the_document_start() -> None:
    issue = only_issue(
        "# header\napiVersion: dockform/v1\nkind: Container\nmetadata: {name: web}\n"
    )
    assert (issue.document, issue.line, issue.path) == (1, 2, "spec")
    assert (issue.kind, issue.name) == ("Container", "web")


def test_validator_errors_lose_the_value_error_prefix() -> None:
    text = """\
apiVersion: dockform/v1
kind: Image
metadata: {name: app}
spec:
  ref: app:dev
  build: {}
  pull: {}
"""
    issue = only_issue(text)
    assert (issue.line, issue.path) == (4, "spec")
    assert (
        issue.message
        == "an Image needs exactly one source of build, pull or load (got build, pull)"
    )


def test_nested_validator_error_points_at_the_list_item() -> None:
    text = container("  image: x\n  volumes:\n    - mountPath: /data\n")
    issue = only_issue(text)
    assert (issue.line, issue.path) == (8, "spec.volumes[0]")
    assert issue.message == "a volume mount needs exactly one of volume, hostPath or tmpfs"


def test_dict_value_error_points_at_the_key_and_quotes_odd_keys() -> None:
    text = container('  image: x\n  labels:\n    ok: "1"\n    io.dockform.kind: x\n')
    issue = only_issue(text)
    assert (issue.line, issue.path) == (7, "spec.labels")
    assert "reserved for dockform" in issue.message
    text = container("  image: x\n  env:\n    A: a\n    my.var: 3\n")
    issue = only_issue(text)
    assert (issue.line, issue.path) == (9, 'spec.env["my.var"]')
    assert issue.message == (
        "Input should be a valid string (YAML reads this as a number; put it in quotes)"
    )


def test_error_inside_merged_anchor_points_at_the_anchor_definition() -> None:
    text = """\
apiVersion: dockform/v1
kind: Container
metadata: {name: web}
spec:
  image: x
  ports:
    - &base
      containerPort: 80
      hostPort: 81
      typo: 1
    - <<: *base
      containerPort: 90
"""
    issues = issues_of(text)
    assert [(issue.line, issue.path) for issue in issues] == [
        (10, "spec.ports[0].typo"),
        (10, "spec.ports[1].typo"),
    ]


def test_all_errors_of_all_documents_are_reported_in_line_order() -> None:
    text = (
        container("  image: x\n  ports: [{containerPort: 0}]\n  restartPolicy: Sometimes\n")
        + "---\n"
        + container("  image: two words\n", name="second")
    )
    issues = issues_of(text)
    assert [(issue.document, issue.line, issue.path, issue.name) for issue in issues] == [
        (1, 7, "spec.ports[0].containerPort", "web"),
        (1, 8, "spec.restartPolicy", "web"),
        (2, 15, "spec.image", "second"),
    ]
    assert issues[1].message == "Input should be 'Always', 'OnFailure', 'Never' or 'UnlessStopped'"


def test_issues_per_document_are_capped() -> None:
    ports = "".join(f"    - containerPort: {70000 + n}\n" for n in range(80))
    issues = issues_of(container("  image: x\n  ports:\n" + ports))
    assert len(issues) == 51
    assert issues[-1].message == "and 30 more problems"
    assert issues[-1].line == 1


# --- document-level errors ---------------------------------------------------------------------


def test_wrong_api_version() -> None:
    issue = only_issue(container("  image: x\n").replace("dockform/v1", "dockform/v2"))
    assert (issue.line, issue.path, issue.message) == (1, "apiVersion", "must be dockform/v1")


def test_missing_kind_lists_known_kinds() -> None:
    issue = only_issue("apiVersion: dockform/v1\nmetadata: {name: web}\nspec: {}\n")
    assert (issue.line, issue.path, issue.kind, issue.name) == (1, "kind", None, "web")
    assert issue.message == (
        "missing field kind; "
        "known kinds: Config, Container, GitSource, Image, Job, Network, Secret, Volume"
    )


def test_unknown_kind_suggests_the_canonical_spelling() -> None:
    issue = only_issue("apiVersion: dockform/v1\nmetadata: {name: web}\nkind: containers\n")
    assert (issue.line, issue.path) == (3, "kind")
    assert issue.message == (
        "unknown kind 'containers' (did you mean Container?); "
        "known kinds: Config, Container, GitSource, Image, Job, Network, Secret, Volume"
    )
    issue = only_issue("kind: [1]\n")
    assert issue.message.startswith("kind must be a string; known kinds: ")


@pytest.mark.parametrize(
    ("text", "got"),
    [
        ("- a\n- b\n", "a list"),
        ("just text\n", "a string"),
        ("42\n", "a number"),
        ("!!set {a}\n", "a value of type set"),
    ],
)
def test_document_must_be_a_mapping(text: str, got: str) -> None:
    issue = only_issue("---\n" + text)
    assert (issue.document, issue.line, issue.path) == (1, 2, "")
    assert issue.message.endswith(f"(got {got})")


# --- YAML errors -------------------------------------------------------------------------------


def test_syntax_error_names_line_and_column_and_keeps_earlier_documents_issues() -> None:
    text = "kind: Nope\n---\nmetadata:\n  name: x\n   bad: indent\n"
    issues = issues_of(text)
    assert [(issue.document, issue.line, issue.path) for issue in issues] == [
        (1, 1, "kind"),
        (2, 5, ""),
    ]
    assert issues[1].message.startswith("invalid YAML: ")
    assert "(column " in issues[1].message


def test_duplicate_key_is_an_error() -> None:
    issue = only_issue(container("  image: x\n  image: y\n"))
    assert (issue.document, issue.line) == (1, 7)
    assert issue.message == "duplicate key 'image' (first at line 6)"


def test_undefined_alias_is_an_error_and_later_documents_still_load() -> None:
    issues = issues_of(container("  image: *nowhere\n") + "---\nkind: Bad\n")
    assert [(issue.document, issue.line, issue.message[:14]) for issue in issues] == [
        (1, 6, "alias *nowhere"),
        (2, 8, "unknown kind '"),
    ]


def test_python_tags_are_refused_not_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = container(f'  image: !!python/object/apply:os.system ["touch {marker}"]\n')
    issue = only_issue(text)
    assert (issue.document, issue.line) == (1, 6)
    assert "python/object/apply:os.system" in issue.message
    assert not marker.exists()


@pytest.mark.parametrize(
    "value",
    ["1" * 5000, "2023-02-30"],
    ids=["integer-over-digit-limit", "impossible-date"],
)
def test_scalars_python_refuses_become_issues(value: str) -> None:
    issue = only_issue(container(f"  image: x\n  user: {value}\n"))
    assert (issue.document, issue.line) == (1, 1)
    assert issue.message.startswith("invalid YAML value: ")


# --- base_dir ----------------------------------------------------------------------------------

IMAGE_BUILD = """\
apiVersion: dockform/v1
kind: Image
metadata: {name: app}
spec:
  ref: app:dev
  build: {context: ../src, dockerfile: Dockerfile.dev}
---
apiVersion: dockform/v1
kind: Image
metadata: {name: saved}
spec:
  ref: saved:1
  load: {path: images/./saved.tar}
---
apiVersion: dockform/v1
kind: Image
metadata: {name: fixed}
spec:
  ref: fixed:1
  build: {context: /opt/ctx/../ctx}
"""


def test_base_dir_makes_image_paths_absolute_and_normalised() -> None:
    built, loaded, fixed = (item.manifest for item in load_text(IMAGE_BUILD, "x", "/m/app"))
    assert isinstance(built, Image) and built.spec.build is not None
    assert built.spec.build.context == "/m/src"
    assert built.spec.build.dockerfile == "Dockerfile.dev"  # relative to the context, as Docker
    assert isinstance(loaded, Image) and loaded.spec.load is not None
    assert loaded.spec.load.path == "/m/app/images/saved.tar"
    assert isinstance(fixed, Image) and fixed.spec.build is not None
    assert fixed.spec.build.context == "/opt/ctx"


def test_relative_base_dir_is_made_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (built, _loaded, _fixed) = load_text(IMAGE_BUILD, "x", "sub")
    assert isinstance(built.manifest, Image) and built.manifest.spec.build is not None
    assert built.manifest.spec.build.context == str(tmp_path / "src")


def test_load_file_resolves_against_the_file_directory(tmp_path: Path) -> None:
    folder = tmp_path / "deploy"
    folder.mkdir()
    path = folder / "images.yaml"
    path.write_text(IMAGE_BUILD)
    built = load_file(str(path))[0]
    assert built.file == str(path)
    assert isinstance(built.manifest, Image) and built.manifest.spec.build is not None
    assert built.manifest.spec.build.context == os.path.join(str(tmp_path), "src")


def test_load_file_reports_unreadable_paths(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.yaml")
    with pytest.raises(ManifestError) as caught:
        load_file(missing)
    assert caught.value.issues == [
        ManifestIssue(missing, 0, None, "", "cannot read: No such file or directory")
    ]

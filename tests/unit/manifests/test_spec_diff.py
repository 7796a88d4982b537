"""manifests.spec_diff: the fields two specs differ in."""

from __future__ import annotations

from dockform.manifests.spec_diff import changed_fields


def test_maps_lists_and_values_name_their_paths() -> None:
    old = {"image": "a", "env": {"A": "1", "B": "2"}, "ports": [{"containerPort": 80}], "x": [1]}
    new = {"image": "b", "env": {"A": "1", "C": "3"}, "ports": [{"containerPort": 81}], "x": [1, 2]}

    assert changed_fields(old, new) == [
        "spec.env.B",
        "spec.env.C",
        "spec.image",
        "spec.ports[0].containerPort",
        "spec.x",
    ]


def test_equal_specs_differ_in_nothing_and_none_is_a_whole_change() -> None:
    spec = {"image": "a", "env": {"A": "1"}}
    assert changed_fields(spec, dict(spec)) == []
    assert changed_fields(None, spec) == ["spec"]


def test_an_empty_field_on_one_side_only_is_no_change() -> None:
    assert changed_fields({"image": "a"}, {"image": "a", "secrets": [], "init": False}) == []
    assert changed_fields({"image": "a"}, {"image": "a", "secrets": [{"name": "x"}]}) == [
        "spec.secrets"
    ]

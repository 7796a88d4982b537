"""Label keys and `key=value` pairs: the one grammar for manifests, the store, the API and the
CLI."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from dockform.manifests.labels import LabelSyntaxError, is_label_key, parse_labels
from dockform.manifests.models import Metadata


@pytest.mark.parametrize("key", ["app", "app.kubernetes.io/name", "a_b-c", "x", "9"])
def test_label_keys_of_the_manifest_shape(key: str) -> None:
    assert is_label_key(key)
    assert Metadata(name="web", labels={key: "v"}).labels == {key: "v"}


@pytest.mark.parametrize("key", ["", "-app", "app.", 'bad"key', "app\n", "a b", "x" * 254])
def test_label_keys_refused(key: str) -> None:
    assert not is_label_key(key)
    with pytest.raises(ValidationError, match="label key"):
        Metadata(name="web", labels={key: "v"})


def test_the_dockform_prefix_is_reserved() -> None:
    assert is_label_key("io.dockform.owner")
    with pytest.raises(ValidationError, match="reserved"):
        Metadata(name="web", labels={"io.dockform.owner": "me"})


def test_pairs_repeat_or_share_a_text_with_commas() -> None:
    assert parse_labels(["app=web", "tier=front, env = prod"]) == {
        "app": "web",
        "tier": "front",
        "env": "prod",
    }
    assert parse_labels(["app=a", "app=b"]) == {"app": "b"}
    assert parse_labels(["empty="]) == {"empty": ""}
    assert parse_labels(["k=a=b"]) == {"k": "a=b"}
    assert parse_labels([]) == {}


@pytest.mark.parametrize("text", ["novalue", "=web", " =web", "app=web,", "app=web,,tier=x"])
def test_a_pair_without_key_or_equals_is_named(text: str) -> None:
    with pytest.raises(LabelSyntaxError, match=r"--label '.*' must look like key=value"):
        parse_labels([text], "--label")


def test_a_long_pair_is_shortened_in_the_message() -> None:
    with pytest.raises(LabelSyntaxError) as caught:
        parse_labels(["x" * 10_000])
    assert len(str(caught.value)) < 200 and str(caught.value).startswith("label selector")

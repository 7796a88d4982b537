"""Kind names: the Kind enum, its spellings, and the one table from kind to models."""

from __future__ import annotations

from typing import get_args

import pytest

from dockform.manifests import Kind, UnknownKindError, canonical_kind, plural
from dockform.manifests.models import KIND_MODELS, SPEC_MODELS, ContainerSpec, GitSourceSpec


def test_every_kind_has_its_models_and_the_document_says_its_kind() -> None:
    assert list(KIND_MODELS) == list(Kind) == list(SPEC_MODELS)
    for kind, document in KIND_MODELS.items():
        assert document.__name__ == kind
        assert get_args(document.model_fields["kind"].annotation) == (kind,)
    assert SPEC_MODELS[Kind.CONTAINER] is ContainerSpec
    assert SPEC_MODELS["GitSource"] is GitSourceSpec


def test_a_kind_is_its_name() -> None:
    kind: str = Kind.GIT_SOURCE  # as code that stores or sends kinds sees it
    assert kind == "GitSource" and f"{kind}" == "GitSource" and kind.lower() == "gitsource"
    assert {"Container": 1}[Kind.CONTAINER] == 1
    assert KIND_MODELS["Volume"] is KIND_MODELS[Kind.VOLUME]


@pytest.mark.parametrize("text", ["containers", "Container", "container", " CONTAINERS "])
def test_any_spelling_gives_the_kind(text: str) -> None:
    assert canonical_kind(text) is Kind.CONTAINER
    assert plural(canonical_kind(text)) == "containers"


def test_an_unknown_kind_names_the_known_ones() -> None:
    with pytest.raises(
        UnknownKindError, match="known kinds: configs, containers, gitsources, images"
    ):
        canonical_kind("widgets")

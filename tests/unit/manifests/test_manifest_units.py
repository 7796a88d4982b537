"""Durations and memory sizes: the one grammar that manifests validate and the CLI's --timeout
and the reconcilers parse."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from dockform.manifests.models import Healthcheck, Resources
from dockform.manifests.units import parse_duration, parse_memory


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("120s", 120),
        ("2m", 120),
        ("1m30s", 90),
        ("1.5h", 5400),
        ("500ms", 0.5),
        ("0s", 0),
        ("1h2m3s4ms", 3723.004),
    ],
)
def test_durations_with_units_parse_and_validate(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)
    assert Healthcheck(command=["true"], interval=text).interval == text


def test_a_bare_number_is_seconds_for_the_cli_but_not_in_a_manifest() -> None:
    assert parse_duration("90") == 90
    assert parse_duration(" 2.5 ") == 2.5
    with pytest.raises(ValidationError, match="interval"):
        Healthcheck(command=["true"], interval="90")


@pytest.mark.parametrize("text", ["", "2 minutes", "m", "1x", "-5s", "1m 30s", ".5s", "1.s"])
def test_durations_refused_name_what_and_the_forms(text: str) -> None:
    with pytest.raises(ValueError, match=r"timeout .* must look like 500ms, 10s, 2m, 1m30s"):
        parse_duration(text, "timeout")
    with pytest.raises(ValidationError):
        Healthcheck(command=["true"], interval=text)


@pytest.mark.parametrize(
    ("text", "size"),
    [("256Mi", 256 * 1024**2), ("1G", 10**9), ("1.5k", 1500), ("100", 100), ("3b", 3)],
)
def test_memory_sizes_parse_and_validate(text: str, size: int) -> None:
    assert parse_memory(text) == size
    assert Resources(memory=text).memory == text


@pytest.mark.parametrize("text", ["", "1x", "1 Mi", "Mi", "-1G", "1KiB"])
def test_memory_sizes_refused(text: str) -> None:
    with pytest.raises(ValueError, match="invalid memory size"):
        parse_memory(text)
    with pytest.raises(ValidationError):
        Resources(memory=text)

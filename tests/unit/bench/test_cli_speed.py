"""bench/cli_speed's manifests are what it claims, and the report judges its figures."""

from __future__ import annotations

from bench import report
from bench.cli_speed import APPLY_OBJECTS, GATE, waiting_containers
from dockform.manifests.loader import load_text


def test_the_apply_file_holds_valid_containers_that_wait_for_an_undeclared_gate() -> None:
    loaded = load_text(waiting_containers(APPLY_OBJECTS))
    assert len(loaded) == APPLY_OBJECTS
    assert {item.kind for item in loaded} == {"Container"}
    assert GATE not in {item.name for item in loaded}
    for item in loaded:
        assert [dependency.name for dependency in item.manifest.spec.depends_on] == [GATE]


def test_the_report_judges_the_three_cli_figures() -> None:
    results = {
        "cli": {"version_s": 0.12, "apply_n": 300, "apply_s": 0.41, "get_n": 1000, "get_s": 0.2}
    }
    verdicts = report.verdicts(results)
    assert verdicts["cli.version_s"]["verdict"] == "meets"
    assert verdicts["cli.apply_s"]["verdict"] == "misses"
    assert verdicts["cli.get_s"]["verdict"] == "meets"

"""Each case keeps the host's load before and after it; a load above the core count marks the
case noisy in the table, and samples are kept (binned where there are thousands)."""

from __future__ import annotations

from bench import report
from bench.stats import histogram


def test_a_load_above_the_cores_marks_the_case_noisy() -> None:
    assert report.case_load((1.5, 1.0, 0.5), (1.9, 1.2, 0.6), 2)["noisy"] is False
    assert report.case_load((1.5, 1.0, 0.5), (2.5, 1.2, 0.6), 2)["noisy"] is True
    assert report.case_load((4.0, 3.0, 2.0), (1.0, 1.0, 1.0), 2)["noisy"] is True


def test_the_table_marks_each_figure_of_a_noisy_case_and_says_why() -> None:
    results = {
        "cli": {
            "version_s": 0.1,
            "apply_n": 300,
            "apply_s": 0.2,
            "get_n": 1000,
            "get_s": 0.2,
            "load": report.case_load((5.2, 4.0, 3.0), (4.8, 4.1, 3.0), 2),
        },
        "drift": {
            "samples": 10,
            "p50_s": 0.4,
            "p99_s": 0.5,
            "floor_p50_s": 0.39,
            "load": report.case_load((0.5, 0.5, 0.5), (0.6, 0.5, 0.5), 2),
        },
    }
    table = report.text_table(results)
    assert "meets (noisy)" in table and "reference (noisy)" in table
    drift_rows = [line for line in table.splitlines() if line.startswith("drift.")]
    assert drift_rows and not any("noisy" in line for line in drift_rows)
    assert "(noisy) cli: load average 5.20 before, 4.80 after, on 2 cores" in table
    assert report.verdicts(results)["cli.version_s"]["verdict"] == "meets (noisy)"
    assert "cli.apply_n" not in report.verdicts(results)


def test_histogram_counts_every_sample_per_tenth_of_a_millisecond() -> None:
    counted = histogram([0.00101, 0.00109, 0.0021, 0.0125])
    assert counted == {"1": 2, "2.1": 1, "12.5": 1}
    assert sum(counted.values()) == 4

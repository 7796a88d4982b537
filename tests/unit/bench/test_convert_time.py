"""bench/convert's generated project has the size and shape it claims."""

from __future__ import annotations

import yaml

from bench.convert_time import project_text


def test_generated_project_has_the_asked_number_of_services() -> None:
    project = yaml.safe_load(project_text(15))
    assert len(project["services"]) == 15
    assert {"db", "cache", "web0", "worker1", "job2"} <= set(project["services"])

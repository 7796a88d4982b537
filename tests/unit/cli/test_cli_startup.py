"""The CLI's start-up stays light (bench/cli_speed): `version` and `get` load none of the heavy
libraries, typer's parameter coercion included (cli.params), and still parse what they did."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dockform.cli.main import app

HEAVY = (
    "pydantic",
    "httpx",
    "rich",
    "sqlalchemy",
    "docker",
    "fastapi",
    "dockform.manifests.models",
)


@pytest.mark.parametrize(
    "args", [["version"], ["get", "containers", "-l", "app=web", "-o", "wide"]]
)
def test_commands_load_no_heavy_library(tmp_path: Path, args: list[str]) -> None:
    code = (
        "import sys\n"
        "from dockform.cli.entry import main\n"
        f"sys.argv = ['dockform', *{args!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r} or m in {HEAVY!r}),"
        " file=sys.stderr)\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parents[3]),
        "DOCKFORM_HOST": f"unix://{tmp_path / 'absent.sock'}",
    }
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.stderr.strip().splitlines()[-1] == "[]", done.stderr


def test_values_typer_refuses_keep_its_message(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["events", "--limit", "5000"])
    assert result.exit_code == 2
    assert "Invalid value for '--limit': Input should be less than or equal to 1000" in (
        result.output
    )
    result = runner.invoke(app, ["logs", "web", "--tail", "many"])
    assert result.exit_code == 2
    assert "--tail" in result.output

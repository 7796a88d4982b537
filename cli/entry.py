"""The `dockform` command's entry point (`python -m dockform` too).

`dockform convert` goes straight to `cli.convert_cmd`, an offline command whose start-up is
most of its time (bench/convert): it skips loading the rest of the CLI (the API client, rich
rendering). Everything else, `convert --help` listed among the commands included, is
`cli.main`.
"""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:2] == ["convert"]:
        from dockform.cli.convert_cmd import main as convert_main

        convert_main(sys.argv[2:])
        return
    from dockform.cli.main import main as cli_main

    cli_main()

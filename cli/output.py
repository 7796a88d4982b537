"""Where the CLI prints: stdout and stderr, plain text without loading rich.

Loading rich costs a command about 60 ms, more than most commands' own work
(bench/cli_speed). The consoles the commands print through write a plain string themselves,
exactly as rich would with markup, emoji and highlighting off and soft wrap on (tested);
anything else (a rich `Text`, a table, a live display, a string with a tab or a control
character that rich expands or strips) goes to a rich `Console`, made on first use.
"""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from rich.console import Console

# What rich changes in a plain string: tabs (expanded) and the control codes it strips.
_REWRITTEN_BY_RICH = re.compile(r"[\t\x07\x08\x0b\x0c\r]")


class Output:
    """A console: `print` as rich's, `is_terminal`, and `rich` for what needs the real one."""

    def __init__(self, stderr: bool = False) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    @property
    def file(self) -> TextIO:
        # Looked up on each print, as rich does: test runners swap sys.stdout.
        return sys.stderr if self._stderr else sys.stdout

    @property
    def rich(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(
                stderr=self._stderr, highlight=False, soft_wrap=True, markup=False, emoji=False
            )
        return self._console

    @property
    def is_terminal(self) -> bool:
        return self.rich.is_terminal

    def print(self, *objects: Any, sep: str = " ", end: str = "\n") -> None:
        if all(isinstance(item, str) for item in objects):
            text = sep.join(objects) + end
            if not _REWRITTEN_BY_RICH.search(text):
                stream = self.file
                stream.write(text)
                stream.flush()
                return
        self.rich.print(*objects, sep=sep, end=end)


console = Output()
err_console = Output(stderr=True)

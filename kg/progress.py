"""A progress bar (documents/s, ETA) on a terminal; silent when stderr is not a terminal."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
from rich.progress import Progress as RichProgress


class Progress:
    def __init__(self, enabled: bool = True, total: int | None = None):
        self.console = Console(stderr=True)
        self.enabled = enabled and sys.stderr.isatty()
        self._bar = None
        self.total = total

    def __enter__(self) -> Progress:
        if self.enabled:
            self._bar = RichProgress(TextColumn("building"), BarColumn(), MofNCompleteColumn(),
                                     TextColumn("{task.fields[rate]}"),
                                     TimeRemainingColumn(), console=self.console, transient=True)
            self._bar.__enter__()
            self._task = self._bar.add_task("build", total=self.total, rate="")
        return self

    def advance(self, _doc=None) -> None:
        if self._bar is not None:
            self._bar.advance(self._task)
            task = self._bar.tasks[0]
            if task.speed:
                self._bar.update(self._task, rate=f"{task.speed:.1f} docs/s")

    def error(self, message: str) -> None:
        print(f"kg: error: {message}", file=sys.stderr)

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)

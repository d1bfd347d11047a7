"""A progress bar on a terminal: documents done, documents/s and ETA; silent when stderr is not a terminal.

When the total is unknown (a stream on stdin) it shows the count and the rate only. Error lines are
printed above the bar (never through it), and always, even when the bar is off.
"""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TextColumn, TimeRemainingColumn
from rich.progress import Progress as RichProgress

__all__ = ["Progress"]


class Progress:
    """``with Progress() as p: p.set_total(n); p.advance(); p.error(msg)``."""

    def __init__(self, enabled: bool = True, total: int | None = None):
        self.console = Console(stderr=True, highlight=False)
        self.enabled = enabled and sys.stderr.isatty()
        self.total = total
        self.done = 0
        self.errors = 0
        self._bar: RichProgress | None = None
        self._task = None
        self._t0 = time.perf_counter()

    def __enter__(self) -> Progress:
        self._t0 = time.perf_counter()
        if self.enabled:
            self._bar = RichProgress(SpinnerColumn(), TextColumn("building"), BarColumn(), MofNCompleteColumn(),
                                     TextColumn("{task.fields[rate]}"), TimeRemainingColumn(),
                                     console=self.console, transient=True)
            self._bar.__enter__()
            self._task = self._bar.add_task("build", total=self.total, rate="")
        return self

    def set_total(self, total: int | None) -> None:
        """The number of documents expected, or None for an open-ended stream (count and rate only)."""
        self.total = total
        if self._bar is not None:
            self._bar.update(self._task, total=total)

    @property
    def rate(self) -> float:
        elapsed = time.perf_counter() - self._t0
        return self.done / elapsed if elapsed > 0 else 0.0

    def advance(self, _doc=None) -> None:
        self.done += 1
        if self._bar is not None:
            self._bar.update(self._task, advance=1, rate=f"{self.rate:.1f} docs/s")

    def error(self, message: str) -> None:
        """Print one error line; a failed input counts as done, so the bar still reaches its total."""
        self.errors += 1
        self.advance()
        line = f"kg: error: {message}"
        if self._bar is not None:
            self._bar.console.print(line, markup=False, highlight=False, soft_wrap=True)
        else:
            print(line, file=sys.stderr)

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)
            self._bar = None

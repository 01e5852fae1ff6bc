"""Rich progress bars for long commands, on a terminal only.

The library reports progress through :mod:`saring.progress`; this module draws it. When standard
error is not a terminal (logs, cron, CI, a pipe) nothing is drawn and the output stays exactly
as before, so scripts and log files never see bars or control codes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from saring.progress import SILENT, Reporter, reporting


def on_terminal(console: Console) -> bool:
    """True when ``console`` writes to an interactive terminal (not merely one Rich was told
    to pretend is there by ``FORCE_COLOR``: CI logs must stay plain)."""
    isatty = getattr(console.file, "isatty", None)
    return bool(isatty and isatty()) and not console.is_dumb_terminal


class RichReporter:
    """One progress bar per stage, created when the stage first reports (a pulsing bar until
    its size is known)."""

    def __init__(self, bar: Progress) -> None:
        self._bar = bar
        self._tasks: dict[str, TaskID] = {}
        self._totals: dict[str, int] = {}
        self._lock = threading.Lock()

    def _task(self, stage: str) -> TaskID:
        if stage not in self._tasks:
            self._tasks[stage] = self._bar.add_task(stage, total=None)
        return self._tasks[stage]

    def add(self, stage: str, total: int) -> None:
        with self._lock:
            task = self._task(stage)
            if total:
                self._totals[stage] = self._totals.get(stage, 0) + total
                self._bar.update(task, total=self._totals[stage])

    def advance(self, stage: str, done: int = 1) -> None:
        with self._lock:
            self._bar.advance(self._task(stage), done)

    def finish(self, stage: str) -> None:
        """Mark a stage of unknown size as done."""
        with self._lock:
            total = self._totals.get(stage) or 1
            self._bar.update(self._task(stage), total=total, completed=total)


@contextmanager
def shown_progress(console: Console | None = None, force: bool = False) -> Iterator[Reporter]:
    """Show the progress of the work done inside the block, if ``console`` is a terminal.

    Args:
        console: where to draw (default: standard error, so standard output stays clean for
            ``saring score ... -o -`` and ``saring query --csv``).
        force: draw even when ``console`` is not a terminal (tests).
    """
    console = console or Console(stderr=True)
    if not (force or on_terminal(console)):
        yield SILENT
        return
    columns = (SpinnerColumn(), TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        reporter = RichReporter(bar)
        with reporting(reporter):
            yield reporter

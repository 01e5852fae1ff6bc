"""Progress of long work: the library reports it, whoever runs the library decides what to show.

Library code calls ``progress.current().add(stage, total)`` when it learns how much work of a
kind lies ahead and ``.advance(stage)`` as pieces finish. Nothing is shown unless the caller
installs a reporter with :func:`reporting`: the CLI installs a Rich progress display when it
writes to a terminal (``saring.cli.progress_display``); the Prefect flows, the desk and
the tests install nothing, so they stay quiet.

The reporter lives in a context variable rather than in every signature, because the stages
that report (fetching, extracting, scoring) sit several calls below the commands that start
them, and the flows pass their own task functions in between. Worker threads started with
``contextvars.copy_context()`` see the caller's reporter; plain thread pools (the fetcher's)
do not, so code that reports from such a thread takes ``current()`` first and closes over it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol

__all__ = ["EXTRACTED", "FETCHED", "SCORED", "SOURCES", "Reporter", "Tally", "current", "reporting"]

# The stages saring reports, in the order a run reaches them (also the labels shown).
SOURCES = "sources read"
FETCHED = "pages fetched"
EXTRACTED = "pages extracted"
SCORED = "items scored"


class Reporter(Protocol):
    """Receives progress; must be safe to call from several threads."""

    def add(self, stage: str, total: int) -> None:
        """``total`` more units of ``stage`` are now known to lie ahead."""

    def advance(self, stage: str, done: int = 1) -> None:
        """``done`` units of ``stage`` have finished."""


class _Silent:
    def add(self, stage: str, total: int) -> None:
        pass

    def advance(self, stage: str, done: int = 1) -> None:
        pass


SILENT: Reporter = _Silent()
_CURRENT: ContextVar[Reporter] = ContextVar("saring_progress", default=SILENT)


def current() -> Reporter:
    """The reporter installed by the caller, or one that ignores everything."""
    return _CURRENT.get()


@contextmanager
def reporting(reporter: Reporter) -> Iterator[Reporter]:
    """Send the progress of everything run inside the block (in this context) to ``reporter``."""
    token = _CURRENT.set(reporter)
    try:
        yield reporter
    finally:
        _CURRENT.reset(token)


class Tally:
    """A reporter that only counts: totals and finished units per stage (thread-safe)."""

    def __init__(self) -> None:
        self.totals: dict[str, int] = {}
        self.done: dict[str, int] = {}
        self._lock = threading.Lock()

    def add(self, stage: str, total: int) -> None:
        with self._lock:
            self.totals[stage] = self.totals.get(stage, 0) + total

    def advance(self, stage: str, done: int = 1) -> None:
        with self._lock:
            self.done[stage] = self.done.get(stage, 0) + done

"""Scoring and place finding in a helper process while an ingest run downloads.

The ingest process downloads the pages, stores them and feeds the extraction pool from threads
that share one interpreter lock. Scoring and place finding (pure functions of the text, about
1 ms a page) ran there too, and made that process the run's bottleneck (``benchmarks/RESULTS.md``).
A helper process does that work on another core: the ingest process only sends the texts and
stores what comes back.

The helper starts from saring's fork server (:func:`saring.collect.extract.worker_context`),
not by forking the ingest process: forking a process whose threads may be inside C code is
unsafe (a forked helper crashed once in CI, in garbage collection, most likely for that reason).
The helper loads the models itself (or receives the scorer it is given), so a fresh run's ingest
process does not spend seconds of its interpreter lock on them, and it is kept for the
process's later runs while the models are the same.

Two cores or more. Elsewhere, or once the helper fails, the same work runs in the ingest process.
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

LOGGER = logging.getLogger(__name__)

T = TypeVar("T")

_SCORER: Any = None
"""In the helper: the scorer it scores with."""


def _start(scorer: Any, model_dir: Path | None, owner: int) -> None:
    global _SCORER
    from saring.collect.extract import exit_with

    exit_with(owner)  # a run killed mid-way must not leave its helper behind
    # The helper reports through its results; a log record or warning from here would land on
    # stderr, in the middle of a run's progress display.
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    if scorer is None:
        from saring.judge.classifier.score import load_scorer

        scorer = load_scorer(model_dir)
    _SCORER = scorer
    # The place finder compiles when first asked (about 0.3 s), not here: a run of a few dozen
    # pages, as most scheduled ones are, asks the helper for scores only, and its end waited for
    # that compile (a fresh process, 60 new pages: median 2.96 -> 2.43 s, 8 runs each).


def _version() -> str:
    return _SCORER.model_version


def _score(texts: list[str], outlets: tuple[str, ...]) -> list:
    return _SCORER.with_outlets(outlets).score(texts)


def _places(rows: list[tuple[str | None, str | None]]) -> list:
    from saring.judge.places import find_places

    return [find_places(title, text) for title, text in rows]


def _story_counts(texts: list[str]) -> Any:
    from saring.judge.stories import term_counts

    return term_counts(texts)


_KEPT: list[tuple[tuple, ProcessPoolExecutor, Any]] = []
"""The helper kept for this process's next run: (what it scores with, its pool, the scorer given)."""
_KEEPING = threading.Lock()


def _helper(scorer: Any) -> ProcessPoolExecutor:
    """The helper for ``scorer`` (None: the current shipped or promoted models), kept from an
    earlier run if it scores with the same, else started now (it loads in the background)."""
    if scorer is not None:  # the scorer is kept too, so its id names it
        key, model_dir = ("given", id(scorer), scorer.model_version), None
    else:
        from saring.judge.classifier.score import model_directory, model_version

        model_dir = model_directory()
        key = ("loaded", str(model_dir), model_version(model_dir))
    with _KEEPING:
        if _KEPT and _KEPT[0][0] == key:
            return _KEPT[0][1]
        _drop_kept()
        from saring.collect.extract import worker_context

        pool = ProcessPoolExecutor(1, mp_context=worker_context(), initializer=_start,
                                   initargs=(scorer, model_dir, os.getpid()))
        pool.submit(int)  # starts the helper now; the first call waits until it is ready
        _KEPT.append((key, pool, scorer))
        return pool


def _drop_kept(pool: ProcessPoolExecutor | None = None) -> None:
    """Stop the kept helper (only if it is ``pool``, when given). Call with _KEEPING held."""
    if _KEPT and (pool is None or _KEPT[0][1] is pool):
        _KEPT.pop()[1].shutdown(wait=False, cancel_futures=True)


def kept_helper_pid() -> int | None:
    """The process id of the helper kept for later runs, if one runs (benchmarks read its memory)."""
    with _KEEPING:
        pids = list(getattr(_KEPT[0][1], "_processes", None) or ()) if _KEPT else []
    return pids[0] if pids else None


def stop_helper() -> None:
    """Stop the helper kept for later runs (it also stops when this process exits)."""
    with _KEEPING:
        _drop_kept()


class ScoringChild:
    """A helper process scoring with ``scorer`` (None: it loads the current models) and finding
    places. Use as a context manager, one per run; the helper starts at :meth:`start` or the
    first call (a run on unchanged feeds has nothing to score and starts nothing).

    :attr:`scorer` scores there with the interface of a scorer (for
    :func:`saring.pipeline.ingest.score_and_save`); :meth:`find_places` finds places there, and
    :meth:`story_counts` counts the terms that story grouping compares.
    One thread uses it (the run's scoring lane).
    """

    def __init__(self, scorer: Any = None) -> None:
        self._given = scorer
        self._here = scorer  # the scorer of this process, loaded only if the helper fails
        self._pool: ProcessPoolExecutor | None = None
        self._startable = (os.cpu_count() or 1) >= 2
        self._version: str | None = None
        self.scorer = _ChildScorer(self, ())

    def __enter__(self) -> ScoringChild:
        return self

    def __exit__(self, *exc: object) -> None:
        self._startable = False
        self._pool = None  # the helper stays for the next run

    @property
    def helper_pid(self) -> int | None:
        """The helper's process id; None when the work runs in this process."""
        return self.call(os.getpid, here=lambda: None)

    def start(self) -> None:
        """Start the helper (or take the one kept from an earlier run) and return at once."""
        if not self._startable:
            return
        self._startable = False  # once, whatever happens
        try:
            self._pool = _helper(self._given)
        except Exception as exc:  # noqa: BLE001 - the work then runs here, as before
            LOGGER.warning("scoring stays in the ingest process (no helper process: %s)", exc)

    @property
    def model_version(self) -> str:
        """The version of the models the helper scores with."""
        if self._version is None:
            self._version = self._given.model_version if self._given is not None else self.call(
                _version, here=lambda: self.scorer_here().model_version)
        return self._version

    def scorer_here(self) -> Any:
        """The scorer in this process (loading the current models the first time)."""
        if self._here is None:
            from saring.judge.classifier.score import load_scorer

            self._here = load_scorer()
        return self._here

    def call(self, fn: Callable[..., T], *args: Any, here: Callable[[], T]) -> T:
        """``fn(*args)`` in the helper; ``here()`` in this process when there is no helper or it
        failed (then it is stopped: the rest of the run works here)."""
        self.start()
        pool = self._pool
        if pool is not None:
            try:
                return pool.submit(fn, *args).result()
            except Exception as exc:  # noqa: BLE001 - here() does the same work, or raises the same
                LOGGER.warning("the scoring helper process failed (%s); the run scores in its own", exc)
                self._pool = None
                with _KEEPING:
                    _drop_kept(pool)
        return here()

    def find_places(self, rows: Sequence[tuple[str | None, str | None]]) -> list:
        """:func:`saring.judge.places.find_places` of each ``(title, text)``."""
        rows = list(rows)
        return self.call(_places, rows, here=lambda: _places(rows))

    def story_counts(self, texts: Sequence[str]) -> Any:
        """:func:`saring.judge.stories.term_counts` of ``texts`` in the helper; None without one
        (the run's end then counts them, as it counts any text not counted here)."""
        return self.call(_story_counts, list(texts), here=lambda: None)


class _ChildScorer:
    """A scorer's stand-in that scores in the helper."""

    def __init__(self, child: ScoringChild, outlets: tuple[str, ...]) -> None:
        self._child, self._outlets = child, outlets

    @property
    def model_version(self) -> str:
        return self._child.model_version

    def with_outlets(self, hosts: Sequence[str]) -> _ChildScorer:
        return _ChildScorer(self._child, tuple(hosts))

    def score(self, texts: Sequence[str | None]) -> list:
        texts = list(texts)
        child = self._child
        return child.call(_score, texts, self._outlets,
                          here=lambda: child.scorer_here().with_outlets(self._outlets).score(texts))

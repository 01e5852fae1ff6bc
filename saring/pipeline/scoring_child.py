"""Scoring and place finding in a forked child process while an ingest run downloads.

The ingest process downloads the pages, stores them and feeds the extraction pool from threads
that share one interpreter lock. Scoring and place finding (pure functions of the text, about
1 ms a page) ran there too, and made that process the run's bottleneck (``benchmarks/RESULTS.md``).
A child forked once the models are loaded inherits them (no second load; memory is shared until
written) and does that work on another core: the ingest process only sends the texts and stores
what comes back.

Linux only (fork is unsafe in a threaded process on macOS, and Windows has none), with two cores
or more. Elsewhere, or once the child fails, the same work runs in the ingest process, as before.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

LOGGER = logging.getLogger(__name__)

T = TypeVar("T")

_INHERITED: Any = None
"""The scorer a child is forked with (set only while it forks)."""
_FORKING = threading.Lock()


def _quiet() -> None:
    # The child reports through its results. Nothing may log or print here: an inherited log
    # handler (Prefect's sends records through a thread the fork did not copy) or stream may
    # hold a lock that another thread of the parent held when it forked.
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")


def _score(texts: list[str], outlets: tuple[str, ...]) -> list:
    return _INHERITED.with_outlets(outlets).score(texts)


def _places(rows: list[tuple[str | None, str | None]]) -> list:
    from saring.judge.places import find_places

    return [find_places(title, text) for title, text in rows]


def _story_counts(texts: list[str]) -> Any:
    from saring.judge.stories import term_counts

    return term_counts(texts)


class ScoringChild:
    """A forked child holding ``scorer`` and the compiled place finder (compile it first, see
    :func:`saring.judge.places.finder`). Use as a context manager; the child is forked at the
    first call (a run on unchanged feeds has nothing to score and forks nothing).

    :attr:`scorer` scores there with the interface of the scorer it wraps (for
    :func:`saring.pipeline.ingest.score_and_save`); :meth:`find_places` finds places there, and
    :meth:`story_counts` counts the terms that story grouping compares.
    One thread uses it (the run's scoring lane).
    """

    def __init__(self, scorer: Any) -> None:
        self._inherits = scorer
        self._pool: ProcessPoolExecutor | None = None
        self._forkable = sys.platform == "linux" and (os.cpu_count() or 1) >= 2
        self.scorer = _ChildScorer(self, scorer, ())

    def __enter__(self) -> ScoringChild:
        return self

    def __exit__(self, *exc: object) -> None:
        self._forkable = False
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def _fork(self) -> ProcessPoolExecutor | None:
        global _INHERITED
        self._forkable = False  # once, whatever happens
        with _FORKING:
            _INHERITED = self._inherits
            pool = None
            try:
                pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"),
                                           initializer=_quiet)
                pool.submit(int).result()  # forks now, while _INHERITED is this scorer
                return pool
            except Exception as exc:  # noqa: BLE001 - the work then runs here, as before
                if pool is not None:  # a child that started but does not answer is not left behind
                    pool.shutdown(wait=False, cancel_futures=True)
                LOGGER.warning("scoring stays in the ingest process (no helper process: %s)", exc)
                return None
            finally:
                _INHERITED = None

    def call(self, fn: Callable[..., T], *args: Any, here: Callable[[], T]) -> T:
        """``fn(*args)`` in the child; ``here()`` in this process when there is no child or it
        failed (then the child is dropped: the rest of the run works here)."""
        if self._forkable:
            self._pool = self._fork()
        pool = self._pool
        if pool is not None:
            try:
                return pool.submit(fn, *args).result()
            except Exception as exc:  # noqa: BLE001 - here() does the same work, or raises the same
                LOGGER.warning("the scoring helper process failed (%s); the run scores in its own", exc)
                self._pool = None
                pool.shutdown(wait=False, cancel_futures=True)
        return here()

    def find_places(self, rows: Sequence[tuple[str | None, str | None]]) -> list:
        """:func:`saring.judge.places.find_places` of each ``(title, text)``."""
        rows = list(rows)
        return self.call(_places, rows, here=lambda: _places(rows))

    def story_counts(self, texts: Sequence[str]) -> Any:
        """:func:`saring.judge.stories.term_counts` of ``texts`` in the child; None without one
        (the run's end then counts them, as it counts any text not counted here)."""
        return self.call(_story_counts, list(texts), here=lambda: None)


class _ChildScorer:
    """A scorer's stand-in that scores in the child."""

    def __init__(self, child: ScoringChild, scorer: Any, outlets: tuple[str, ...]) -> None:
        self._child, self._scorer, self._outlets = child, scorer, outlets

    @property
    def model_version(self) -> str:
        return self._scorer.model_version

    def with_outlets(self, hosts: Sequence[str]) -> _ChildScorer:
        return _ChildScorer(self._child, self._scorer, tuple(hosts))

    def score(self, texts: Sequence[str | None]) -> list:
        texts = list(texts)
        return self._child.call(_score, texts, self._outlets,
                                here=lambda: self._scorer.with_outlets(self._outlets).score(texts))

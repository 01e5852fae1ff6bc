"""Extract an article's main text and metadata from its HTML with trafilatura."""

from __future__ import annotations

import codecs
import logging
import multiprocessing
import os
import re
import select
import sys
import threading
import time
import unicodedata
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime
from pickle import PicklingError
from typing import TypeVar

import trafilatura
from charset_normalizer import from_bytes

from saring.limits import MAX_AUTHOR_CHARS, MAX_TITLE_CHARS
from saring.textclean import fix_mojibake

LOGGER = logging.getLogger(__name__)
T = TypeVar("T")

MIN_TEXT_CHARS = 200
FULL_CHECK_BELOW = 1000
"""Characters: a shorter text is extracted again with trafilatura's full comparison (readability
and jusText as fallbacks), which can rescue a page its own algorithm read badly. Above it the
comparison kept trafilatura's own text on all 199 pages measured (``benchmarks/RESULTS.md``) and
cost 40 % of the extraction time."""


@dataclass(frozen=True)
class Extracted:
    """The readable part of a page. ``text`` is None when extraction failed."""

    text: str | None
    title: str | None = None
    published_at: datetime | None = None
    author: str | None = None
    language: str | None = None
    error: str | None = None


def decode_html(data: bytes, declared: str | None = None) -> str:
    """Bytes to text: UTF-8 or the declared charset if it decodes cleanly, else a detected one;
    then UTF-8 that the site had encoded twice is decoded right (:func:`~saring.textclean.fix_mojibake`).

    UTF-8 goes first because pages often declare Latin-1 while sending UTF-8, and strict
    UTF-8 decoding almost never succeeds on text that is really something else. Mojibake is
    fixed here, in the whole page: trafilatura drops the C1 controls that "”" becomes ("â€\x9d").
    """
    return fix_mojibake(_decode(data, declared))


def _decode(data: bytes, declared: str | None) -> str:
    for encoding in ("utf-8", _whatwg(declared), declared):
        if encoding:
            try:
                return data.decode(encoding)
            except (LookupError, UnicodeDecodeError):
                continue
    if _declares_utf8(data, declared):  # as browsers read it, not guessed from its other bytes
        return data.decode("utf-8", errors=_WINDOWS_BYTE)
    best = from_bytes(data[:200_000]).best()
    if best is not None and best.encoding:
        return data.decode(best.encoding, errors="replace")
    return data.decode("utf-8", errors="replace")


# <meta charset="utf-8"> or <meta http-equiv="Content-Type" content="text/html; charset=utf-8">
_META_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([-\w.:]+)", re.I)


def _declares_utf8(data: bytes, declared: str | None) -> bool:
    """Whether the server (else the page's own <meta>, in its first bytes) says UTF-8."""
    if not declared and (meta := _META_CHARSET.search(data[:2048])):
        declared = meta.group(1).decode("ascii", "replace")
    try:
        return bool(declared) and codecs.lookup(declared).name == "utf-8"
    except (LookupError, ValueError):  # an unknown name, or one with a NUL in it
        return False


def _as_windows_1252(error: UnicodeError) -> tuple[str, int]:
    # A byte that is not UTF-8 in a UTF-8 page: most often a quote pasted from Word into an old
    # post stored in Windows-1252 ("Jum\x92at"); one such byte made charset detection read the
    # whole page as Mac Roman, every quote and dash garbled.
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return bytes(error.object[error.start:error.end]).decode("cp1252", errors="replace"), error.end


_WINDOWS_BYTE = "saring-windows-1252"
codecs.register_error(_WINDOWS_BYTE, _as_windows_1252)


def _whatwg(declared: str | None) -> str | None:
    """Windows-1252 for a declared Latin-1 or ASCII, as browsers read it (the WHATWG Encoding
    Standard): such pages hold Windows quotes and dashes, which strict Latin-1 makes control codes."""
    try:
        name = codecs.lookup(declared).name if declared else None
    except LookupError:
        return None
    return "cp1252" if name in ("iso8859-1", "ascii") else None


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def extract_article(html: str | bytes, url: str | None = None, charset: str | None = None,
                    metadata: bool = True) -> Extracted:
    """Run trafilatura on one page; never raises.

    A page whose main text is shorter than ``MIN_TEXT_CHARS`` counts as failed, so
    the caller keeps the feed summary instead of a cookie banner.

    Args:
        metadata: also find the page's title, date and author. The caller skips this when
            the feed entry already gives a title and a date: it is a third of the work.
    """
    if isinstance(html, bytes):
        html = decode_html(html, charset)
    if not html.strip():
        return Extracted(text=None, error="the page is empty")
    try:
        doc = _bare_extraction(html, url, metadata, fast=True)
        if doc is None or len(doc.text or "") < FULL_CHECK_BELOW:
            doc = _bare_extraction(html, url, metadata, fast=False)
    except Exception as exc:  # trafilatura/lxml raise many kinds on hostile markup
        LOGGER.warning("extraction crashed on %s: %s", url, exc)
        return Extracted(text=None, error=f"extraction failed ({exc.__class__.__name__})")
    if doc is None:
        return Extracted(text=None, error="no article text found on the page")
    # NFC as trafilatura's own string outputs are (its "python" output skips that step).
    text = unicodedata.normalize("NFC", doc.text or "").strip()
    meta = dict(
        title=(doc.title or "")[:MAX_TITLE_CHARS] or None,  # a theme may write the whole text there
        published_at=_date(doc.date),
        author=(doc.author or "")[:MAX_AUTHOR_CHARS] or None,
        language=doc.language or _html_lang(html),
    )
    if len(text) < MIN_TEXT_CHARS:
        return Extracted(text=None, error=f"article text too short ({len(text)} characters)", **meta)
    return Extracted(text=text, **meta)


def _bare_extraction(html: str, url: str | None, metadata: bool, fast: bool):
    # bare_extraction, not extract(output_format="json"): the same text without building
    # and re-parsing a JSON string and without the content fingerprint saring never reads.
    return trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=metadata,
        include_comments=False,
        # Tables stay (trafilatura's default): on news pages they hold running text, vote
        # counts and schedules; dropping them cost 1.3 points of token F1 on the benchmark.
        include_tables=True,
        favor_precision=True,
        fast=fast,
    )


# The root element's lang / xml:lang. A regex over the opening <html> tag, not a second parse of
# the page: parsing again cost a fifth of the extraction time.
_HTML_LANG = re.compile(r"""<html\b[^>]*?\s(?:xml:)?lang\s*=\s*["']?\s*([A-Za-z]+)""", re.IGNORECASE)


def _html_lang(html: str) -> str | None:
    match = _HTML_LANG.search(html, 0, 20_000)
    return match.group(1).lower() if match else None


Page = tuple[bytes, str | None, str | None, bool]
"""What the pool extracts: (html bytes, url, declared charset, find the page's metadata)."""


WORKER_NICENESS = 10
"""How much lower the pool's workers run than the process that started them (Unix ``nice``).

While pages arrive, every core is busy, and the ingest process and its scoring helper wait for
CPU like the workers. Whatever is left undone when the last page arrives then runs at the end:
left-over extraction runs on every worker at once, left-over scoring on one core. So the
workers take the CPU the others leave: side by side on 1,200 pages the pipeline ran 200 pages/s
against 180 at the same priority (``benchmarks/RESULTS.md``). On an idle machine the priority
changes nothing."""


def _start_worker(owner: int) -> None:
    exit_with(owner)
    try:
        os.nice(WORKER_NICENESS)
    except (AttributeError, OSError):  # no nice (Windows) or not allowed: same priority, still correct
        pass


def exit_with(owner: int) -> None:
    """In a helper process: exit as soon as the process ``owner`` (the one using it) ends.

    A pool's worker waits for work until its owner says stop. An owner that is killed (the OOM
    killer, a cancelled flow run) never says it: its workers, and the fork server they keep
    open, would stay forever, each holding hundreds of MB.
    """
    def watch() -> None:
        try:
            handle = os.pidfd_open(owner)  # Linux: readable once the owner has ended
        except ProcessLookupError:
            os._exit(0)
        except (AttributeError, OSError):  # elsewhere: look every second
            while _alive(owner):
                time.sleep(1.0)
        else:
            select.select([handle], [], [])
        os._exit(0)  # nothing to save: the owner's store is what counts

    threading.Thread(target=watch, name="exit-with-owner", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _extract_args(args: Page) -> Extracted:
    return extract_article(*args)


def _extract_batch(pages: Sequence[Page]) -> list[Extracted]:
    return [extract_article(*page) for page in pages]


BATCH_PAGES = 4
"""Pages sent to a worker together: each task costs the ingest process a few thread handovers
and a pickling, and that process, not the workers, limits a run (``benchmarks/RESULTS.md``)."""
BATCH_WAIT_S = 0.02
"""A page waits at most this long for others to fill its batch."""


def _stop(pool: ProcessPoolExecutor) -> None:
    """Shut ``pool`` down; a broken one (a worker died) loses its other workers first.

    A broken pool stops its workers itself, but one it started at that moment may be left
    waiting for work forever, and shutting down waits for every worker: kill them instead.
    """
    if getattr(pool, "_broken", False):
        with pool._shutdown_lock:  # type: ignore[attr-defined]  # a worker being started is in the list after
            workers = list((pool._processes or {}).values())  # type: ignore[attr-defined]
        for worker in workers:
            worker.kill()
    pool.shutdown(cancel_futures=True)


def worker_context() -> multiprocessing.context.BaseContext:
    """How saring's helper processes start (this pool's, the scoring helper's): forked from a
    server process, not spawned.

    Not fork: the ingest process runs threads. Not spawn: each spawned worker starts a fresh
    interpreter and imports trafilatura again, every run. The fork server imports it once
    and lives as long as this process, so a worker starts in milliseconds, for every later
    run too. A worker still runs the parent's main module (as spawn does): saring's entry
    points import their heavy modules lazily for that reason; one started with ``-m`` (such
    as Prefect's engine) is imported once by the server too.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    preload = [__name__, "saring.collect.kinds"]  # kinds: large feeds are parsed there too
    main_name = getattr(getattr(sys.modules["__main__"], "__spec__", None), "name", None)
    if main_name and not main_name.endswith("__main__"):  # a worker skips a package's __main__
        preload.append(main_name)
    context.set_forkserver_preload(preload)  # no effect once the server runs
    return context


class Extractor:
    """Extract many pages: in this process for a few, in a process pool for many.

    trafilatura is CPU-bound and holds the GIL, so threads do not help; a pool of one
    process per core does. The pool starts (:meth:`start`) when a run meets its first large
    batch (or a large feed to parse, :meth:`run`) and is shared by every source of the run.
    Use as a context manager.
    """

    def __init__(self, workers: int | None = None, pool_threshold: int = 16) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.pool_threshold = pool_threshold
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._waiting: list[tuple[Page, Future[Extracted]]] = []  # submitted, not yet sent
        self._running = 0  # tasks sent to the pool and not ended (see has_room)
        self._wake = threading.Condition(self._lock)
        self._closed = False

    def __enter__(self) -> Extractor:
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._closed = True
            self._wake.notify_all()
        if self._pool is not None:
            self._send(self._take())
            _stop(self._pool)

    def start(self) -> None:
        """Start the pool's workers in the background and return at once.

        Starting them takes a moment (the first time in a process, the fork server imports
        trafilatura): the downloads go on meanwhile, and :attr:`ready` says when submitting
        no longer waits for it.
        """
        with self._lock:
            if self._pool is not None:
                return
            self._pool = ProcessPoolExecutor(self.workers, mp_context=worker_context(),
                                             initializer=_start_worker, initargs=(os.getpid(),))
            # Every worker at the first task, none later. CPython (3.11-3.13) otherwise starts a
            # worker while a task waits, and one started while another dies is never told to
            # stop: leaving the pool then waited for it forever (a CI run hung on it).
            self._pool._safe_to_dynamically_spawn_children = False  # type: ignore[attr-defined]
        threading.Thread(target=self._warm, args=(self._pool,), name="extraction-pool-start",
                         daemon=True).start()
        threading.Thread(target=self._send_late, name="extraction-batches", daemon=True).start()

    def _warm(self, pool: ProcessPoolExecutor) -> None:
        try:
            pool.submit(os.getpid).result()  # the first task starts every worker
        except Exception as exc:  # a broken pool: each page's future fails and is redone in-process
            LOGGER.warning("the extraction pool did not start: %s", exc)
        finally:
            self._ready.set()

    @property
    def ready(self) -> bool:
        """True once the pool's workers run (submitting no longer waits for their start)."""
        return self._ready.is_set()

    def _ensure_pool(self) -> ProcessPoolExecutor:
        self.start()
        assert self._pool is not None
        return self._pool

    def wants_pool(self, n_pages: int) -> bool:
        return self.workers >= 2 and n_pages >= self.pool_threshold

    def submit(self, page: Page) -> Future[Extracted]:
        """Start extracting one page in the pool (pages arrive one by one from the fetcher).

        Pages go to a worker :data:`BATCH_PAGES` at a time, or after :data:`BATCH_WAIT_S`.
        Once a worker died (the OOM killer, a page that crashed the parser) the pool takes
        nothing more: the future then fails, and the caller extracts the page in its own
        process as for any failed future, instead of losing the page and its source's others.
        """
        self._ensure_pool()
        future: Future[Extracted] = Future()
        with self._lock:
            self._waiting.append((page, future))
            batch = self._take_locked() if len(self._waiting) >= BATCH_PAGES else []
        self._send(batch)
        return future

    def _take(self) -> list[tuple[Page, Future[Extracted]]]:
        with self._lock:
            return self._take_locked()

    def _take_locked(self) -> list[tuple[Page, Future[Extracted]]]:
        batch, self._waiting = self._waiting, []
        return batch

    def _send_late(self) -> None:
        """Send the pages that waited :data:`BATCH_WAIT_S` without filling a batch."""
        while True:
            with self._lock:
                if self._closed:
                    return
                self._wake.wait(BATCH_WAIT_S)
                batch = self._take_locked()
            self._send(batch)

    def _send(self, batch: list[tuple[Page, Future[Extracted]]]) -> None:
        if not batch:
            return
        futures = [future for _, future in batch]
        try:
            task = self._submit(_extract_batch, [page for page, _ in batch])
        except (BrokenProcessPool, RuntimeError) as exc:  # RuntimeError: shut down meanwhile
            for future in futures:
                future.set_exception(exc)
            return

        def settle(task: Future[list[Extracted]]) -> None:
            try:
                results = task.result()
            except BaseException as exc:  # noqa: BLE001 - each page's caller redoes it in-process
                for future in futures:
                    future.set_exception(exc)
                return
            for future, result in zip(futures, results, strict=True):
                future.set_result(result)

        task.add_done_callback(settle)

    def _submit(self, fn: Callable[..., T], *args: object) -> Future[T]:
        task = self._ensure_pool().submit(fn, *args)
        with self._lock:
            self._running += 1
        task.add_done_callback(self._ended)
        return task

    def _ended(self, _task: Future) -> None:
        with self._lock:
            self._running -= 1

    @property
    def has_room(self) -> bool:
        """True when a task sent to the pool now would start at once (a worker is free, or the
        pool has not started): a task sent to a busy pool waits behind its pages."""
        with self._lock:
            return self._running < self.workers

    def run(self, fn: Callable[..., T], *args: object) -> T:
        """``fn(*args)`` in the pool (started if it was not), waiting for it: for CPU-bound work
        of a run other than extraction, such as parsing a large feed. ``fn`` must be a function
        of its arguments only (it runs in another process). Here, in this thread, on one core or
        when the pool cannot take it (a worker died); what ``fn`` itself raises is raised."""
        if self.workers < 2:
            return fn(*args)
        try:
            task = self._submit(fn, *args)
        except (BrokenProcessPool, RuntimeError) as exc:  # RuntimeError: shut down meanwhile
            return self._here(fn, args, exc)
        try:
            return task.result()
        except (BrokenProcessPool, PicklingError) as exc:
            return self._here(fn, args, exc)

    @staticmethod
    def _here(fn: Callable[..., T], args: tuple, exc: Exception) -> T:
        LOGGER.warning("extraction pool failed (%s); running %s in-process", exc, fn.__name__)
        return fn(*args)

    def extract_many(self, pages: Sequence[Page]) -> list[Extracted]:
        """``pages`` as :data:`Page`; results keep their order."""
        if not self.wants_pool(len(pages)):
            return [extract_article(*page) for page in pages]
        return list(self._ensure_pool().map(_extract_args, pages, chunksize=4))

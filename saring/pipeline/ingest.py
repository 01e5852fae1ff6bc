"""Ingest: one source at a time, feed -> new items -> pages -> articles, then scores.

Every failure is caught per source (or per item) and recorded; the run carries on.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from saring import progress
from saring.collect.extract import Extracted, Extractor, Page, extract_article
from saring.collect.feeds import UNTITLED, FeedItem
from saring.collect.fetch import Fetcher, Response
from saring.collect.kinds import parse_source
from saring.collect.urls import canonical_url, url_key
from saring.config import Config, Source, StorySettings
from saring.errors import FeedError, FetchError, MalformedURLError, SaringError, SourceConfigError
from saring.judge.places import locate
from saring.judge.stories import CountedTexts
from saring.limits import cap_text
from saring.pipeline.link import link_items
from saring.storage.database import Store, utcnow
from saring.textclean import item_text

LOGGER = logging.getLogger(__name__)

ROWS_PER_HANDOVER = 100
"""Extracted pages handed over together to be stored (and then scored) during the downloads.
About 13 ms of each save is fixed: 1,200 rows cost 0.62 s of the ingest process's CPU stored 25 at
a time, 0.16 s 100 at a time (side by side, machine CPU per page 8.7 -> 8.2 ms)."""
# The scoring lane scores once this many articles are stored, looking every LANE_POLL_S seconds.
# On 2 cores its helper competes with the extraction pool: a 300-page run took 1,109 ms with 100
# (median of 9, interleaved), 996 ms with 200, 1,024 with 400; 1,200 pages 3,198 / 3,111 / 3,100 ms.
LANE_BATCH = 200
LANE_POLL_S = 0.2
SCORE_BATCH = 500
"""Scores stored in one transaction."""

POOL_FEED_BYTES = 8_000
"""A feed this large is parsed in the extraction pool, on another core, when a worker is free (a
busy pool would make it wait behind pages). Parsing costs about 1 ms per KB under the ingest
process's interpreter lock: six 200-entry feeds (45 KB) parsed side by side held the run's first
0.4 s on one core while the pool waited for pages. Side by side, warm runs: 1,200 pages in six
45 KB feeds, pages/s over the limit's 0.749 -> 0.764 (medians of 26); 300 pages in six 11 KB
feeds, full ingest over fetch + extract 1.405 -> 1.364 (medians of 24)."""
FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"


@dataclass(frozen=True)
class SourceResult:
    """What happened to one source in one run (a row of ``run_sources``)."""

    source_id: str
    status: str  # ok | not_modified | failed
    http_status: int | None = None
    items_in_feed: int = 0
    new_items: int = 0
    extracted: int = 0
    failed: int = 0
    skipped: int = 0
    error: str | None = None
    warning: str | None = None
    duration_s: float = 0.0


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    results: list[SourceResult]
    scored: int
    scoring_error: str | None = None

    @property
    def ok(self) -> bool:
        """True when at least one source worked."""
        return any(r.status != "failed" for r in self.results)

    @property
    def status(self) -> str:
        failed = sum(r.status == "failed" for r in self.results)
        if not failed:
            return "ok"
        return "failed" if failed == len(self.results) else "partial"



def save_factchecks(store: Store, rows: list[dict[str, Any]]) -> int:
    """Upsert fact-checks; returns how many were not stored before (was ``Store.save_factchecks``)."""
    from saring.judge.factcheck import upsert_factchecks

    ids = [r["factcheck_id"] for r in rows]
    with store.lock:
        known = {r[0] for r in store.cur.execute(
            "SELECT factcheck_id FROM factchecks WHERE factcheck_id IN (SELECT unnest(?))", [ids]).fetchall()}
        upsert_factchecks(store.cur, rows)
    return len(set(ids) - known)

def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


def _article_row(item: FeedItem, source: Source, page: Response | FetchError | None,
                 extracted: Extracted | None) -> dict:
    """Build an ``articles`` row: the page's main text, or the feed summary with the reason."""
    row = dict(item_id=url_key(item.url), final_url=None, http_status=None, text=None,
               text_source="summary", title=item.title, published_at=item.published_at,
               author=item.author, language=None, extraction_error=None, fetched_at=utcnow())
    if page is None:
        row.update(text=item.summary or None, extraction_error=None if not source.options.fetch_articles
                   else "page not fetched")
        return row
    if isinstance(page, FetchError) or extracted is None:
        row.update(text=item.summary or None, extraction_error=str(page))
        return row
    row.update(final_url=page.url, http_status=page.status, language=extracted.language)
    if _sent_home(item.link, page.url):
        row.update(text=item.summary or None, language=None,
                   extraction_error=f"{page.url}: the article's address redirects to the site's home page "
                                    "(taken down or behind a login?)")
    elif extracted.text:
        row.update(text=extracted.text, text_source="page",
                   title=extracted.title or item.title,
                   published_at=item.published_at or extracted.published_at,
                   author=extracted.author or item.author)
    else:
        row.update(text=item.summary or None, extraction_error=extracted.error)
    return row


def _sent_home(link: str, final_url: str) -> bool:
    """Whether an article's address redirected to its site's home page: the headlines there are
    not the article's text. (``/?p=123``, a WordPress article's plain address, is no home page.)"""
    try:
        final = urlsplit(canonical_url(final_url))
    except MalformedURLError:
        return False
    return final.path == "/" and not final.query and urlsplit(link).path not in ("", "/")


@dataclass(frozen=True)
class FeedPlan:
    """A feed read and its new items recorded (state 'seen'); their pages are still to fetch."""

    source: Source
    result: SourceResult
    items: list[FeedItem]
    response: Response | None  # None: the feed failed (its failure is recorded already)
    started: float


def read_feed(source: Source, store: Store, fetcher: Fetcher,
              extractor: Extractor | None = None) -> FeedPlan | SourceResult:
    """Download and parse one feed and record its new items.

    Returns a finished :class:`SourceResult` when there is nothing more to do (failure,
    304), else a :class:`FeedPlan` for :func:`build_articles` and :func:`store_articles`.
    ``extractor``: the run's, whose pool parses a feed of :data:`POOL_FEED_BYTES` or more
    (when a worker is free).
    """
    started = time.monotonic()
    result = SourceResult(source_id=source.id, status="ok")
    etag, last_modified = store.feed_state(source.id)
    try:
        # The feed address, and wherever it redirects, obeys options.allow_private like
        # every link inside it: a feed URL may be mistyped or taken over.
        response = fetcher.get(source.url, allow_private=source.options.allow_private, etag=etag,
                               last_modified=last_modified, accept=FEED_ACCEPT)
    except FetchError as exc:
        store.record_feed_fetch(source.id, "failed", str(exc))
        return _failed_feed(source, store, replace(result, status="failed", error=str(exc)), started)
    if response.not_modified:
        left = _left_behind(store, source, [])
        if left:  # the feed has not changed since, but a stopped run left items to store
            return FeedPlan(source, replace(result, status="not_modified", http_status=304), left,
                            response, started)
        store.record_feed_fetch(source.id, "not_modified", None)
        return replace(result, status="not_modified", http_status=304,
                       duration_s=time.monotonic() - started)
    try:
        args = ("rss" if source.is_factcheck else source.kind, response.content, response.url,
                response.headers.get("content-type"), source.options.model_dump(), source.options.max_items)
        if extractor is not None and len(response.content) >= POOL_FEED_BYTES and extractor.has_room:
            feed = extractor.run(parse_source, *args)
            if feed.warning:  # logged by the parser in a worker, where no log is kept
                LOGGER.warning("%s: %s", response.url, feed.warning)
        else:
            feed = parse_source(*args)
    except FeedError as exc:
        # Forget validators so the next run re-downloads instead of trusting a 304.
        store.record_feed_fetch(source.id, "failed", str(exc), keep_validators=False)
        return _failed_feed(source, store, replace(result, status="failed", http_status=response.status,
                                                   error=str(exc)), started)
    if source.is_factcheck:
        return _store_factchecks(source, feed, response, store, result, started)
    now = utcnow()
    by_id = {url_key(it.url): it for it in feed.items}
    done = store.known_item_ids(list(by_id))
    mine = store.claim_items(source.id, [k for k in by_id if k not in done])
    fresh = [it for k, it in by_id.items() if k in mine]
    store.add_items([
        dict(item_id=url_key(it.url), url=it.url, link=it.link, source_id=source.id, title=it.title,
             summary=it.summary, published_at=it.published_at, author=it.author, guid=it.guid,
             first_seen_at=now, state="seen", kind=source.kind,
             channel=getattr(it, "channel", None) or source.name,
             outlet_host=getattr(it, "outlet_host", None))
        for it in fresh
    ])
    left = _left_behind(store, source, list(by_id))
    result = replace(result, http_status=response.status, items_in_feed=len(feed.items),
                     skipped=feed.skipped, warning=feed.warning)
    return FeedPlan(source, result, fresh + left, response, started)


def _failed_feed(source: Source, store: Store, result: SourceResult,
                 started: float) -> FeedPlan | SourceResult:
    """A feed that failed: its result, or, when a stopped run left items to store, a plan for
    those (a feed down for days must not cost the items it listed before it broke)."""
    left = [] if source.is_factcheck else _left_behind(store, source, [])
    if left:
        return FeedPlan(source, result, left, None, started)
    return replace(result, duration_s=time.monotonic() - started)


def _left_behind(store: Store, source: Source, in_feed: list[str]) -> list[FeedItem]:
    """Items a stopped run recorded but never stored: a busy feed may have dropped them since,
    so they are fetched from what was recorded (:data:`saring.storage.database.LEFT_BEHIND_DAYS`)."""
    items = [FeedItem(**row) for row in store.left_behind(source.id, in_feed, source.options.max_items)]
    mine = store.claim_items(source.id, [url_key(it.url) for it in items])
    return [it for it in items if url_key(it.url) in mine]


def _store_factchecks(source: Source, feed, response: Response, store: Store,
                      result: SourceResult, started: float) -> SourceResult:
    """A fact-checker's feed: its entries go to the fact-check registry, not to the digest."""
    new = save_factchecks(store, [
        dict(factcheck_id=url_key(it.url), source_id=source.id, url=it.url, title=it.title,
             text=it.summary, published_at=it.published_at)
        for it in feed.items
    ])
    store.record_feed_fetch(source.id, "ok", None, etag=response.etag, last_modified=response.last_modified)
    return replace(result, http_status=response.status, items_in_feed=len(feed.items), new_items=new,
                   skipped=feed.skipped, warning=feed.warning,
                   duration_s=round(time.monotonic() - started, 3))


def build_articles(source: Source, items: Sequence[FeedItem], fetcher: Fetcher,
                   extractor: Extractor | None = None,
                   on_rows: Callable[[list[dict]], None] | None = None) -> list[dict]:
    """Fetch and extract the pages of ``items``: network and CPU only, no database.

    This is the part that fans out (threads here, Dask workers in the scale-out flow).
    Returns the items' rows; with ``on_rows``, rows whose page is extracted are handed to it
    in batches while the other pages still download (so they can be stored and scored
    meanwhile), and only the rest are returned.
    """
    extractor = extractor or Extractor(workers=1)
    if not (source.options.fetch_articles and items):
        return [_article_row(it, source, None, None) for it in items]
    started: dict[str, Future[Extracted]] = {}
    report = progress.current()  # taken here: the fetcher's threads do not see this context
    metadata: dict[str, bool] = {}
    for it in items:  # one page may stand for several entries: find its metadata if any lacks it
        metadata[it.link] = metadata.get(it.link, False) or needs_page_metadata(it)
    report.add(progress.FETCHED, len(metadata))

    by_link: dict[str, list[FeedItem]] = {}
    for it in items:
        by_link.setdefault(it.link, []).append(it)
    pages_seen: dict[str, Response] = {}
    extracted_links: list[str] = []  # in the order their extraction ended (appended by the pool)
    handed: set[str] = set()
    handing = threading.Lock()

    def rows_of(links: Sequence[str], page_of: dict, text_of: dict) -> list[dict]:
        return [_article_row(it, source, page_of[link], text_of[link])
                for link in links for it in by_link[link]]

    def hand_over_done() -> None:
        """Rows of the pages extracted so far, to ``on_rows`` once there are enough of them."""
        with handing:
            links = [link for link in extracted_links[:] if link not in handed]
            if len(links) < ROWS_PER_HANDOVER:
                return
            handed.update(links)
            done = {link: _finish(started[link], pages_seen[link], metadata[link]) for link in links}
            rows = rows_of(links, pages_seen, done)
            report.advance(progress.EXTRACTED, len(links))
        on_rows(rows)

    def on_arrival(link: str, page: Response | FetchError) -> None:
        report.advance(progress.FETCHED)
        if isinstance(page, Response):
            report.add(progress.EXTRACTED, 1)
            # Overlap extraction with the downloads still running, once the pool runs: until
            # then a submit would hold this download thread while the workers start.
            if streaming and extractor.ready:
                pages_seen[link] = page
                started[link] = extractor.submit(_page_args(page, metadata[link]))
                if on_rows is not None:
                    started[link].add_done_callback(lambda _, link=link: extracted_links.append(link))
        if on_rows is not None and streaming:
            hand_over_done()

    streaming = extractor.wants_pool(len(items))
    if streaming:
        extractor.start()  # in the background, while the pages download
    pages = fetcher.get_many(list(metadata), allow_private=source.options.allow_private, on_result=on_arrival)
    if streaming:
        for link, page in pages.items():  # the pages that arrived before the pool ran
            if isinstance(page, Response) and link not in started:
                started[link] = extractor.submit(_page_args(page, metadata[link]))
        texts = {}
        waiting: list[str] = []
        for link, future in started.items():  # no download thread is left: no lock needed
            if link in handed:
                continue
            texts[link] = _finish(future, pages[link], metadata[link])
            report.advance(progress.EXTRACTED)
            waiting.append(link)
            if on_rows is not None and len(waiting) >= ROWS_PER_HANDOVER:
                on_rows(rows_of(waiting, pages, texts))
                handed.update(waiting)
                waiting = []
    else:
        ok = [(link, p) for link, p in pages.items() if isinstance(p, Response)]
        found = extractor.extract_many([_page_args(p, metadata[link]) for link, p in ok])
        texts = dict(zip([link for link, _ in ok], found, strict=True))
        report.advance(progress.EXTRACTED, len(ok))
    return [_article_row(it, source, pages.get(it.link), texts.get(it.link))
            for it in items if it.link not in handed]  # rows handed over are not returned again


def needs_page_metadata(item: FeedItem) -> bool:
    """Whether to find the page's own title, date and author: only when the entry lacks a real
    title (none, or just an address, as for a link shared in the tipline) or a date. Finding
    them is a third of the extraction's work; the entry's own are used when it has them."""
    return not (item.published_at and item.title and item.title not in (UNTITLED, item.link, item.url))


def _finish(future: Future[Extracted], page: Response, metadata: bool) -> Extracted:
    """The pool's result, or the same extraction here if the pool broke (a worker was killed)."""
    try:
        return future.result()
    except Exception as exc:  # BrokenProcessPool and friends: the page itself is not at fault
        LOGGER.warning("extraction pool failed (%s); extracting %s in-process", exc, getattr(page, "url", ""))
        return extract_article(*_page_args(page, metadata))


def _page_args(page: Response, metadata: bool) -> Page:
    return page.content, page.url, page.charset, metadata


def store_articles(plan: FeedPlan, rows: list[dict], store: Store,
                   stored: Sequence[dict] = ()) -> SourceResult:
    """Write a feed's articles (one transaction; ``stored``: its rows already written) and close
    its result."""
    store.save_articles(rows)
    if plan.response is not None:  # a failed feed's failure stays its last status
        store.record_feed_fetch(plan.source.id, "ok", None, etag=plan.response.etag,
                                last_modified=plan.response.last_modified)
    result = _counted(plan, [*stored, *rows])
    LOGGER.info("%s: %d in feed, %d new, %d extracted, %d without page text", plan.source.id,
                result.items_in_feed, result.new_items, result.extracted, result.failed)
    return result


def _counted(plan: FeedPlan, rows: Sequence[dict]) -> SourceResult:
    """The feed's result with these stored rows counted."""
    return replace(plan.result, new_items=len(rows), extracted=sum(r["text_source"] == "page" for r in rows),
                   failed=sum(1 for r in rows if r["extraction_error"]),
                   duration_s=round(time.monotonic() - plan.started, 3))


def ingest_source(source: Source, store: Store, fetcher: Fetcher,
                  extractor: Extractor | None = None) -> SourceResult:
    """Fetch one feed and store its new items and articles. Never raises for bad input.

    Safe to run for several sources at once in threads: the network and extraction work
    runs in parallel, the database calls take the store's lock.
    """
    plan = read_feed(source, store, fetcher, extractor)
    if isinstance(plan, SourceResult):
        return plan
    stored: list[dict] = []

    def store_now(rows: list[dict]) -> None:  # each batch is its own transaction
        store.save_articles(rows)
        stored.extend(rows)

    try:
        rest = build_articles(source, plan.items, fetcher, extractor, on_rows=store_now)
        return store_articles(plan, rest, store, stored)
    except Exception as exc:
        if not stored:
            raise
        # Batches stored before the failure stay stored (the rest stay 'seen' and are fetched
        # again next run): the run's record must count them, not say 0 new items.
        failed = _failed_result(source, store, exc)
        return replace(_counted(plan, stored), status=failed.status, error=failed.error)


def score_rows(item_ids: Sequence[str], titles: Sequence[str | None], texts: Sequence[str | None],
               scorer) -> list[dict]:
    """``scores`` rows for these articles (title and text scored together, at most
    :data:`saring.limits.MAX_TEXT_CHARS` characters: one huge text must not stall a run)."""
    now = utcnow()
    joined = [cap_text(item_text(t, x)) for t, x in zip(titles, texts, strict=True)]
    return [
        dict(item_id=item_id, model_version=scorer.model_version,
             election_score=float(s.election_score), hoax_score=float(s.hoax_score),
             election_terms=list(s.election_terms), hoax_terms=list(s.hoax_terms), scored_at=now)
        for item_id, s in zip(item_ids, scorer.score(joined), strict=True)
    ]


def score_pending(store: Store, scorer=None, batch_size: int | None = None,
                  among: Sequence[str] | None = None, again: Sequence[str] = (),
                  served: bool = False) -> int:
    """Score every stored article (or those ``among`` these ids) that has no score from the
    current model, and the articles ``again`` even if they have one. Returns how many.

    ``served``: also those whose served score is another version's (see :meth:`Store.unscored`).
    """
    # scikit-learn's import and the models' loading take seconds: only when there is something to score
    from saring.judge.classifier.score import load_scorer, model_version

    frame = store.unscored(scorer.model_version if scorer is not None else model_version(), among, served)
    if again:
        pending = set(frame["item_id"])
        frame = pd.concat([frame, store.article_texts([i for i in again if i not in pending])],
                          ignore_index=True)
    if frame.empty:
        return 0
    scorer = scorer or load_scorer()
    return score_and_save(store, scorer.with_outlets(store.outlet_hosts()), list(frame["item_id"]),
                          list(frame["title"]), list(frame["text"]), batch_size)


def score_and_save(store: Store, scorer, item_ids: Sequence[str], titles: Sequence[str | None],
                   texts: Sequence[str | None], batch_size: int | None = None,
                   saved: Callable[[int], None] | None = None) -> int:
    """Score these articles with ``scorer`` (already :meth:`with_outlets`) and store the scores,
    ``batch_size`` at a time; ``saved`` is told each batch stored (a later one may fail)."""
    progress.current().add(progress.SCORED, len(item_ids))
    batch_size = batch_size or SCORE_BATCH
    for start in range(0, len(item_ids), batch_size):
        chunk = slice(start, start + batch_size)
        save_scored(store, score_rows(item_ids[chunk], titles[chunk], texts[chunk], scorer), saved)
    return len(item_ids)


def save_scored(store: Store, rows: list[dict], saved: Callable[[int], None] | None = None) -> None:
    """Store :func:`score_rows`' rows, counted in the run's progress; ``saved`` is told how many."""
    store.save_scores(rows)
    progress.current().advance(progress.SCORED, len(rows))
    if saved is not None:
        saved(len(rows))


class ScoringLane:
    """Scores stored articles and finds their places while the run still downloads.

    Both used to wait for the slowest source and then run alone on one core, after seconds of
    model loading; here they overlap the downloads and the extraction pool, and
    :func:`finish_ingest` does only what is left. The lane takes the rows as they are saved
    (it does not read them back: the store's lock is busy with the saves) and does the work in a
    helper process (:mod:`saring.pipeline.scoring_child`), so the ingest process, which limits
    the run, only stores the results. Any failure here only means the end scores more: it is
    logged, and the end's scoring reports its own.
    """

    def __init__(self, store: Store, scorer=None, batch: int | None = None,
                 every: float | None = None) -> None:
        self.store, self.scorer = store, scorer
        self.batch = LANE_BATCH if batch is None else batch
        self.every = LANE_POLL_S if every is None else every
        self.scored = 0  # articles scored here; the run summary adds what the end scores
        self.counted = CountedTexts()  # story term counts, so the end's grouping does not count them
        self._saved: list[tuple[str, str | None, str | None]] = []  # (item_id, title, text)
        self._done = 0  # rows of _saved taken for scoring
        self._taking = threading.Lock()
        self._wanted = threading.Event()  # the run has new items: worth starting the helper
        self._woken = threading.Event()  # new items, stored articles or the run's end
        self._stop = threading.Event()
        self._last = False
        self._thread = threading.Thread(target=contextvars.copy_context().run, args=(self._run,),
                                        name="saring-scoring", daemon=True)

    def __enter__(self) -> ScoringLane:
        self.store.on_articles_saved.append(self._take)
        self.store.on_items_added.append(self._expect)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.join()

    def finish(self) -> None:
        """No more articles come: score the ones left in the helper, a batch at a time, store
        their scores once none is left (:meth:`_score_last`), and stop.

        Their places and story terms are left to the end of the run, which finds them
        meanwhile, then helps with the scoring (:meth:`help`); :meth:`join` waits for the lane.
        """
        self._last = True
        self._stop.set()
        self._woken.set()

    def join(self) -> None:
        self._stop.set()
        self._woken.set()
        self._thread.join()
        if self._take in self.store.on_articles_saved:
            self.store.on_articles_saved.remove(self._take)
        if self._expect in self.store.on_items_added:
            self.store.on_items_added.remove(self._expect)

    def help(self) -> None:
        """Score rows left to the lane here, in this thread, until none is left: at the end of a
        run the lane's helper process has the scoring of the last rows to itself, on one core."""
        if self.scorer is None:  # only the helper has the models: it scores what is left
            return
        scorer = None  # a run on unchanged feeds asks nothing more of the store
        try:
            while rows := self._next(self.batch):
                scorer = scorer or self.scorer.with_outlets(self.store.outlet_hosts())
                self._score(scorer, rows)
        except Exception as exc:  # noqa: BLE001 - like the lane's: the end's scoring reports it
            LOGGER.warning("scoring the last articles stopped (%s); the run scores them at its end", exc)

    def _take(self, rows: Sequence[dict]) -> None:
        # The text as scoring reads it back (articles.title/text; the feed's title and summary
        # are already in the row when the page gave none).
        self._saved.extend((r["item_id"], r.get("title"), r.get("text")) for r in rows)
        self._expect(rows)

    def _expect(self, _items: Sequence[dict]) -> None:
        self._wanted.set()
        self._woken.set()

    def _next(self, most: int | None = None) -> list[tuple[str, str | None, str | None]]:
        """The next rows to score (at most ``most``), taken: no one else scores them."""
        with self._taking:
            rows = self._saved[self._done:self._done + most if most else None]
            self._done += len(rows)
            return rows

    def _score(self, scorer, rows: list[tuple[str, str | None, str | None]]) -> None:
        ids, titles, texts = (list(c) for c in zip(*rows, strict=True))
        score_and_save(self.store, scorer, ids, titles, texts, saved=self._count)

    def _count(self, scored: int) -> None:
        # per stored batch: when a later batch fails, the end does not score these again
        with self._taking:
            self.scored += scored

    def _run(self) -> None:
        from saring.pipeline.scoring_child import ScoringChild

        try:
            # A run that finds nothing new starts no helper: loading the models in a fresh
            # process (as each scheduled run starts) took 2-3 s of CPU, against 0.1 s for the
            # rest of such a run.
            self._woken.wait()
            if not self._wanted.is_set():
                return
            # the work in another process, on another core; it loads the models there
            with ScoringChild(self.scorer) as child:
                child.start()
                scorer = None  # a run on unchanged feeds asks nothing more of the store
                while not self._stop.wait(self.every):
                    if len(self._saved) - self._done >= self.batch:
                        scorer = scorer or child.scorer.with_outlets(self.store.outlet_hosts())
                        rows = self._next()
                        self._score(scorer, rows)
                        # Once the run's end has begun (finish), its linking finds these places
                        # and counts these terms itself: doing it here too was wasted, and the end
                        # waited for it (300 pages: 0.1-0.6 s, the helper's first place lookup).
                        if not self._stop.is_set():
                            self._locate_and_count(child, rows)
                if self._last and len(self._saved) > self._done:
                    self._score_last(scorer or child.scorer.with_outlets(self.store.outlet_hosts()))
        except Exception as exc:  # noqa: BLE001 - the end of the run scores again and reports
            LOGGER.warning("scoring during the downloads stopped (%s); the run scores at its end", exc)

    def _score_last(self, scorer) -> None:
        """Score the rows left, batch by batch, and only then store the scores: the end of the run
        links under the store's lock meanwhile, and a batch waiting for the lock to store its
        scores left the helper idle while the end scored the next batch itself (:meth:`help`)."""
        held: list[list[dict]] = []
        try:
            while rows := self._next(self.batch):
                ids, titles, texts = (list(c) for c in zip(*rows, strict=True))
                progress.current().add(progress.SCORED, len(ids))
                held.append(score_rows(ids, titles, texts, scorer))
        finally:  # what was scored is stored, even when a later batch failed
            for scored in held:
                save_scored(self.store, scored, self._count)

    def _locate_and_count(self, child, rows: list[tuple[str, str | None, str | None]]) -> None:
        # the text as story grouping reads it back (the article's title and text)
        joined = [f"{title or ''}\n{text or ''}" for _, title, text in rows]
        if (counts := child.story_counts(joined)) is not None:
            self.counted.add([item_id for item_id, _, _ in rows], joined, counts)
        # places are a pure function of the text, like scores (last: storing them waits for the lock)
        locate(self.store.cur, rows, find=child.find_places, lock=self.store.lock)


def check_only(config: Config, only: list[str], path: object) -> None:
    """Refuse ``only`` naming a source that is not in ``config`` (at ``path``) or is switched off:
    the run would read the others and say 'ok', and that source would be believed read."""
    known = {s.id: s for s in config.sources}
    missing = [i for i in only if i not in known]
    if missing:
        raise SourceConfigError(f"only: no source {', '.join(map(repr, missing))} in {path}")
    off = [i for i in only if not known[i].enabled]
    if off:
        raise SourceConfigError(f"only: source {', '.join(map(repr, off))} is switched off "
                                f"(enabled: false) in {path}; nothing was read")


def run_ingest(
    config: Config,
    store: Store,
    scorer=None,
    only: Sequence[str] | None = None,
    ingest_one: Callable[..., SourceResult] | None = None,
) -> RunSummary:
    """Ingest the enabled sources (or just ``only``), score new articles, publish the snapshot.

    Args:
        ingest_one: how to ingest one source; the Prefect flow passes a task wrapping
            :func:`safe_ingest_source` so each source shows up as a task run.
    """
    ingest_one = ingest_one or safe_ingest_source
    run_id = new_run_id()
    relink = store.sync_sources(config.sources, complete=True)
    store.start_run(run_id, "ingest")
    sources = [s for s in config.enabled_sources if only is None or s.id in only]
    report = progress.current()
    report.add(progress.SOURCES, len(sources))
    futures: list[Future[SourceResult]] = []
    with ScoringLane(store, scorer) as lane:
        try:
            with Fetcher(config.fetch) as fetcher, Extractor() as extractor:
                def one(source: Source) -> SourceResult:
                    result = ingest_one(source, store, fetcher, extractor)
                    report.advance(progress.SOURCES)
                    return result

                # Sources run side by side so one slow site does not hold up the rest; each
                # thread gets a copy of the caller's context (Prefect's flow-run context).
                with ThreadPoolExecutor(max_workers=config.fetch.source_workers) as pool:
                    futures = [pool.submit(contextvars.copy_context().run, one, s) for s in sources]
                    try:
                        results = [f.result() for f in futures]
                    except BaseException:
                        # Stopped (timeout, cancel): no queued source starts; the running ones end.
                        pool.shutdown(wait=False, cancel_futures=True)
                        raise
            store.flush_feed_fetches()
            lane.finish()
        except BaseException as exc:
            # The flow's timeout or a Ctrl-C while the feeds were read: the sources read by then
            # are the run's outcome (else 'running' until the next run took it for a killed one).
            read = [f.result() for f in futures if f.done() and not f.cancelled() and f.exception() is None]
            store.interrupt_run(run_id, read, f"{sum(r.new_items for r in read)} new items; interrupted "
                                f"while reading the sources: {exc.__class__.__name__}: {exc}")
            raise
        return finish_ingest(store, run_id, results, scorer, config.stories.window_days, config.digest,
                             rescore=relink, lane=lane)


def safe_ingest_source(source: Source, store: Store, fetcher: Fetcher,
                       extractor: Extractor | None = None) -> SourceResult:
    """:func:`ingest_source`, turning any unexpected error into a failed result."""
    try:
        return ingest_source(source, store, fetcher, extractor)
    except Exception as exc:  # one source's surprise must not stop the others
        return _failed_result(source, store, exc)


def _failed_result(source: Source, store: Store, exc: Exception) -> SourceResult:
    """A source that failed on ``exc``, also recorded as the source's last status (the digest's
    health section reads it: it must not still say the previous run's 'ok')."""
    if isinstance(exc, SaringError):
        error = str(exc)
    else:
        LOGGER.error("unexpected error in source %s", source.id, exc_info=exc)
        error = f"unexpected error: {exc.__class__.__name__}: {exc}"
    try:
        store.record_feed_fetch(source.id, "failed", error)
    except Exception as again:  # noqa: BLE001 - a full disk fails this too; the run records the error
        LOGGER.warning("could not record the failure of source %s: %s", source.id, again)
    return SourceResult(source_id=source.id, status="failed", error=error)


def finish_ingest(store: Store, run_id: str, results: list[SourceResult], scorer=None,
                  stories_window: float = StorySettings().window_days, risk=None,
                  scored_before: int = 0, rescore: Sequence[str] = (),
                  lane: ScoringLane | None = None) -> RunSummary:
    """Match what is new to fact-checks, group stories, score it, close the run, publish the snapshot.

    ``scored_before``: articles of this run already scored while it downloaded (the summary counts them).
    ``rescore``: stored articles to score again (:meth:`Store.sync_sources` names them).
    ``lane``: the run's scoring lane, scoring its last articles (:meth:`ScoringLane.finish`)
    while this links; its scores and story term counts are used.
    """
    try:
        started_at = store.link_since(run_id)
        links = link_items(store, since=started_at, stories_window=stories_window, risk=risk,
                           counted=lane.counted if lane is not None else None)
        if lane is not None:
            lane.help()
            lane.join()
            scorer, scored_before = scorer or lane.scorer, scored_before + lane.scored
        scoring_error = None
        try:
            scored = score_pending(store, scorer, again=rescore)
        except SaringError as exc:  # articles stay stored; the next run scores them
            LOGGER.error("scoring failed: %s", exc)
            scored, scoring_error = 0, str(exc)
        except Exception as exc:  # a broken model install must not lose the run's record
            LOGGER.exception("scoring crashed")
            scored, scoring_error = 0, f"unexpected error: {exc.__class__.__name__}: {exc}"
    except BaseException as exc:
        # The flow's timeout or a Ctrl-C, most often here: the sources were read, and the health
        # section and the digest must know it (else 'running' for ever, its sources' outcomes lost).
        store.interrupt_run(run_id, results, f"{sum(r.new_items for r in results)} new items; "
                            f"interrupted while linking and scoring: {exc.__class__.__name__}: {exc}")
        raise
    scored += scored_before
    summary = RunSummary(run_id=run_id, results=results, scored=scored, scoring_error=scoring_error)
    message = f"{sum(r.new_items for r in results)} new items, {scored} scored"
    if scoring_error:
        message += f"; scoring failed: {scoring_error}"
    for step, error in links.items():
        message += f"; {step} failed: {error}"
    store.finish_run(run_id, summary.status, results, message=message)
    store.publish_snapshot()
    return summary

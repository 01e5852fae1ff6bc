"""Same story, many outlets: group near-duplicate items into stories.

Items whose TF-IDF cosine similarity is at least :data:`STORY_THRESHOLD` and whose
``first_seen_at`` are at most ``window_days`` apart (and their publication dates too, where
both are known: see :func:`published_stamps`) are linked, unless their titles name different
places (:func:`places_apart`); linked items form one story
(union-find, so A~B and B~C puts A, B, C together). A story's id is its earliest item's id
(ties: the smaller item id), so ids are deterministic and stay put when later items join.

Also holds the DDL of the analysts' views over stories, fact-check matches and tipline items.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
from scipy import sparse

from saring.collect.urls import canonical_url
from saring.errors import MalformedURLError
from saring.judge.factcheck import make_vectorizer
from saring.storage.database import rows_table
from saring.textclean import plain_words

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfVectorizer

# Chosen on real pairs with measure_story_threshold() on the Pratiwi et al. (2017) articles
# (450 real articles, 9 viral claims x 50; same claim = same story), *after* union-find
# clustering, because chaining is what can merge unrelated stories. Rule: the highest threshold
# whose clustering still puts >= 80 % of same-claim pairs together, chosen on training claims,
# measured on held-out claims (3-fold GroupKFold over topic_id).
#   per-fold thresholds 0.25 / 0.20 / 0.21; held-out pairwise precision 1.00 / 1.00 / 1.00,
#   recall 0.31 / 0.91 / 0.79. On all 450 articles the rule gives 0.22 (precision 1.00, recall 0.87).
# Higher than the fact-check threshold (0.14) because clustering chains links: one weak link can
# merge two stories. Pratiwi's negatives are unrelated claims, easier than two different election
# stories, so treat precision 1.00 as an upper bound.
STORY_THRESHOLD = 0.22
# Hash buckets of the kept term counts (story_vectors): with 2**30 buckets, two of a window's
# ~50,000 distinct terms share one about once per window (2**20 gave ~1,000 false overlaps),
# and a term id still fits an INTEGER.
N_FEATURES = 2 ** 30
# A text of fewer distinct words (and links) than this is short: at STORY_THRESHOLD two shared
# words ("mohon dicek", "surat suara") would already make two of them one story. Two short texts
# are one story only with the same words and links (one different of <= 9 gives at most 8/9).
SHORT_TERMS = 10
SHORT_SAME = 0.9
# A text of fewer distinct words than this is brief (a post, a forward, a title-only item): the
# 0.22 above was measured on articles. On real short posts (IDNHoaxCorpus, 150 claims x up to 6
# tweets, same claim = same story, after chaining) pairs at 0.22 put different claims together
# half of the time (precision 0.48); a brief text pairing only at 0.5 gives 0.985 (recall 0.05),
# with the cut at 20/30/40 words 0.946/0.985/0.994 (tests/test_stories.py measures it).
BRIEF_TERMS = 30
BRIEF_SAME = 0.5
_LINK = re.compile(r"https?://\S+")
_LINK_END = ".,;:!?)]}>'\""


def _link_word(url: str) -> str:
    url = url.rstrip(_LINK_END)
    try:
        url = canonical_url(url)
    except (MalformedURLError, ValueError):
        pass
    return "tautan" + hashlib.sha1(url.encode()).hexdigest()[:12]


def story_words(text: str | None) -> str:
    """:func:`plain_words`, plus one word per distinct link: "Ada yang kirim ini ke grup, mohon
    dicek <link>" is about its link, and without it every such forward reads the same."""
    links = sorted({_link_word(u) for u in _LINK.findall(text or "")})
    return " ".join([plain_words(text), *links])


def story_vectorizer() -> TfidfVectorizer:
    """:func:`make_vectorizer` reading texts as :func:`story_words`."""
    return make_vectorizer().set_params(preprocessor=story_words)


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _as_utc(value: Any) -> datetime:
    if value is None:
        return datetime.min.replace(tzinfo=UTC)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).astimezone(UTC)


def published_stamps(published: Sequence[Any], seen: Sequence[datetime]) -> np.ndarray:
    """Publication times as POSIX seconds, NaN where unknown.

    A source's first run lists its backlog: articles published months apart are first seen
    together. A date more than a day after the item was first seen is a feed's mistake, so
    unknown too.
    """
    out = np.full(len(seen), np.nan)
    for k, (when, first) in enumerate(zip(published, seen, strict=True)):
        if when is not None and (stamp := _as_utc(when)) <= first + timedelta(days=1):
            out[k] = stamp.timestamp()
    return out


def title_places(title: str | None) -> frozenset[str]:
    """The codes of the provinces and kabupaten/kota a title names."""
    from saring.judge.places import finder

    return frozenset(p.code for p in finder().find(title or ""))


def places_apart(one: frozenset[str], other: frozenset[str]) -> bool:
    """Whether two titles name different places: each names one, and no place of one is, holds or
    lies in a place of the other ("35", Jawa Timur, holds "35.79", Kota Batu).

    Every KPU kabupaten/kota holds the same events in the same week (the national schedule): two
    towns' reports of one kind of event are alike enough to be one story, and are two.
    """
    if not one or not other:
        return False
    return not any(a == b or a.startswith(b + ".") or b.startswith(a + ".") for a in one for b in other)


def _apart_by_title(titles: Callable[[int], str | None]) -> Callable[[int, int], bool]:
    """``places_apart`` of rows' titles, each title read once."""
    seen: dict[int, frozenset[str]] = {}

    def places(i: int) -> frozenset[str]:
        if i not in seen:
            seen[i] = title_places(titles(i))
        return seen[i]

    return lambda a, b: places_apart(places(a), places(b))


def cluster(sims: Any, times: Sequence[datetime] | None, threshold: float,
            window: timedelta | None) -> list[int]:
    """Union-find over pairs at or above ``threshold`` (and within ``window``); a root per row.

    ``sims`` may be a dense array or a SciPy sparse matrix (kept sparse: a month of items
    would not fit in memory as a dense n x n array).
    """
    n = sims.shape[0]
    uf = _UnionFind(n)
    if sparse.issparse(sims):
        upper = sparse.triu(sims >= threshold, k=1).tocoo()
        rows, cols = upper.row, upper.col
    else:
        rows, cols = np.nonzero(np.triu(sims >= threshold, k=1))
    for a, b in zip(rows.tolist(), cols.tolist(), strict=True):
        if window is not None and times is not None and abs(times[a] - times[b]) > window:
            continue
        uf.union(a, b)
    return [uf.find(i) for i in range(n)]


def group_stories(rows: Sequence[tuple[str, str | None, Any, str | None]], window_days: float = 3,
                  threshold: float = STORY_THRESHOLD) -> dict[str, str]:
    """Group ``(item_id, text, first_seen_at, source_id[, published_at])`` rows into stories.

    Returns ``{item_id: story_id}`` for every row; a story id is the id of its earliest item
    (by ``first_seen_at``, then item id). An item with no near-duplicate is its own story.
    """
    if not rows:
        return {}
    order = sorted(range(len(rows)), key=lambda i: (_as_utc(rows[i][2]), rows[i][0]))
    rows = [rows[i] for i in order]
    ids = [r[0] for r in rows]
    times = [_as_utc(r[2]) for r in rows]
    texts = [r[1] or "" for r in rows]
    vec = story_vectorizer()
    try:
        matrix = vec.fit_transform(texts)
    except ValueError:  # every text empty or stop words only
        return {i: i for i in ids}
    uf = _UnionFind(len(rows))
    published = published_stamps([r[4] if len(r) > 4 else None for r in rows], times)
    apart = _apart_by_title(lambda i: texts[i].split("\n", 1)[0])  # the text is "title\ntext"
    for a, b in similar_pairs(matrix, times, threshold, timedelta(days=window_days), published=published):
        if not apart(a, b):
            uf.union(a, b)
    # Rows are sorted by time, and a root is the smallest index of its set: the earliest item.
    return {ids[i]: ids[uf.find(i)] for i in range(len(rows))}


def similar_pairs(matrix: Any, times: Sequence[datetime], threshold: float, window: timedelta,
                  query: np.ndarray | None = None, block: int = 256,
                  per_row: int = 25, published: np.ndarray | None = None) -> list[tuple[int, int]]:
    """Pairs of rows at or above ``threshold`` and within ``window`` of each other (first seen,
    and published where ``published`` (:func:`published_stamps`) knows both dates).

    Without ``query``: every pair (i, j), i < j, of rows sorted by time. With ``query`` (row
    indices, any order): pairs (q, j) of those rows with any other row. Computed a block of
    rows at a time, keeping at most ``per_row`` best partners per row: a burst of
    near-identical items (syndicated copies) would otherwise need n x n pairs of memory; a
    few partners each keep them one story. Two short rows (:data:`SHORT_TERMS`) pair only when
    alike at :data:`SHORT_SAME`, a brief one (:data:`BRIEF_TERMS`) at :data:`BRIEF_SAME`.
    """
    matrix = sparse.csr_matrix(matrix)
    terms = np.diff(matrix.indptr)
    short, brief = terms < SHORT_TERMS, terms < BRIEF_TERMS
    stamps = np.array([t.timestamp() for t in times])
    span = window.total_seconds()
    ordered = query is None
    query = np.arange(len(stamps)) if query is None else np.asarray(query)
    pairs: list[tuple[int, int]] = []
    for start in range(0, len(query), block):
        chosen = query[start:start + block]
        if ordered:  # time-sorted rows: only later rows inside the window can pair
            lo, hi = int(chosen[0]), int(np.searchsorted(stamps, stamps[chosen[-1]] + span, side="right"))
        else:
            lo, hi = 0, len(stamps)
        sims = (matrix[chosen] @ matrix[lo:hi].T).tocoo()
        rows, cols, vals = chosen[sims.row], sims.col + lo, sims.data
        keep = (cols > rows) if ordered else (cols != rows)
        keep &= (vals >= threshold) & (np.abs(stamps[cols] - stamps[rows]) <= span)
        if published is not None:  # NaN (a date unknown) compares False: kept
            keep &= ~(np.abs(published[cols] - published[rows]) > span)
        keep &= ~(short[rows] & short[cols]) | (vals >= SHORT_SAME)
        keep &= ~(brief[rows] | brief[cols]) | (vals >= BRIEF_SAME)
        rows, cols, vals = rows[keep], cols[keep], vals[keep]
        order = np.lexsort((-vals, rows))
        rows, cols = rows[order], cols[order]
        rank = np.arange(len(rows)) - np.searchsorted(rows, rows, side="left")
        pairs.extend(zip(rows[rank < per_row].tolist(), cols[rank < per_row].tolist(), strict=True))
    return pairs


def assign_stories(con: duckdb.DuckDBPyConnection, days: float = 30, window_days: float = 3,
                   threshold: float = STORY_THRESHOLD, now: datetime | None = None) -> int:
    """(Re)group the items first seen in the last ``days`` days and upsert ``stories``.

    Idempotent: running it twice gives the same table. Items older than ``days`` keep the
    story they were given. Returns the number of items assigned.
    """
    since = (now or datetime.now(UTC)) - timedelta(days=days)
    rows = con.execute(
        "SELECT o.item_id, coalesce(o.title, '') || '\n' || coalesce(o.text, ''), o.first_seen_at, "
        "o.source_id, i.published_at FROM item_overview o JOIN items i USING (item_id) "
        "WHERE o.first_seen_at >= ? ORDER BY o.first_seen_at, o.item_id", [since]).fetchall()
    mapping = group_stories(rows, window_days=window_days, threshold=threshold)
    if not mapping:
        return 0
    _upsert_stories(con, mapping)
    return len(mapping)


def term_counts(texts: Sequence[str]) -> sparse.csr_matrix:
    """Hashed term counts of ``texts``: the story TF-IDF's tokens (same preprocessing, token
    pattern and stop words as :func:`story_vectorizer`), before any weighting."""
    if not texts:
        return sparse.csr_matrix((0, N_FEATURES), dtype=np.float32)
    return _hasher().transform([t or "" for t in texts]).tocsr()


def tfidf_from_counts(counts: sparse.spmatrix) -> sparse.csr_matrix:
    """The TF-IDF that ``story_vectorizer().fit_transform`` gives for the same rows (sublinear
    tf, smoothed idf over these rows, l2 norm; columns in another order), from their
    :func:`term_counts` (equal up to hash collisions, see :data:`N_FEATURES`)."""
    m = sparse.csr_matrix(counts, dtype=np.float64, copy=True)
    m.sum_duplicates()
    # Only the terms present matter: columns renumbered 0..k-1 (the hash space is huge).
    _, columns = np.unique(m.indices, return_inverse=True)
    m = sparse.csr_matrix((m.data, columns.ravel(), m.indptr),
                          shape=(m.shape[0], int(columns.max(initial=-1)) + 1))
    idf = np.log((1.0 + m.shape[0]) / (1.0 + np.bincount(m.indices, minlength=m.shape[1]))) + 1.0
    m.data = (np.log(m.data) + 1.0) * idf[m.indices]
    from sklearn.preprocessing import normalize  # scikit-learn only when there is text to group

    return normalize(m, copy=False).astype(np.float32)


class CountedTexts:
    """Term counts of texts counted before the grouping, by item id.

    An ingest run counts its articles' terms as they are stored, in its scoring helper process,
    instead of all at once at its end, on one core (:func:`add_to_stories` takes them). Each is
    kept with the hash of the text it was counted from: a text that differs at grouping time is
    counted again, so what comes out is always :func:`term_counts` of the text grouped.
    """

    def __init__(self) -> None:
        self._rows: dict[str, tuple[int, sparse.csr_matrix, int]] = {}

    def add(self, item_ids: Sequence[str], texts: Iterable[str], counts: sparse.csr_matrix) -> None:
        """Keep ``counts`` (:func:`term_counts` of ``texts``, row by row) for ``item_ids``."""
        for k, (item_id, text) in enumerate(zip(item_ids, texts, strict=True)):
            self._rows[item_id] = (hash(text), counts, k)

    def kept(self, item_id: str, text: str) -> tuple[sparse.csr_matrix, int] | None:
        """Where ``text``'s counts are kept (matrix, row), if they were counted from this text."""
        got = self._rows.get(item_id)
        return (got[1], got[2]) if got is not None and got[0] == hash(text) else None

    def counts(self, item_ids: Sequence[str], texts: Sequence[str]) -> sparse.csr_matrix:
        """:func:`term_counts` of ``texts``: the kept rows where their text is unchanged, the
        others counted now."""
        kept = [self.kept(item_id, text) for item_id, text in zip(item_ids, texts, strict=True)]
        fresh = [k for k, got in enumerate(kept) if got is None]
        if len(fresh) == len(texts):
            return term_counts(texts)
        now, row_of = term_counts([texts[k] for k in fresh]), {k: j for j, k in enumerate(fresh)}
        rows = [got or (now, row_of[k]) for k, got in enumerate(kept)]
        spans = [(m, m.indptr[r], m.indptr[r + 1]) for m, r in rows]
        indptr = np.concatenate([[0], np.cumsum([hi - lo for _, lo, hi in spans])])
        return sparse.csr_matrix(
            (np.concatenate([m.data[lo:hi] for m, lo, hi in spans]).astype(np.float32, copy=False),
             np.concatenate([m.indices[lo:hi] for m, lo, hi in spans]), indptr),
            shape=(len(texts), N_FEATURES))


@lru_cache(maxsize=1)
def _hasher() -> HashingVectorizer:
    from sklearn.feature_extraction.text import HashingVectorizer

    tfidf = story_vectorizer()
    return HashingVectorizer(preprocessor=tfidf.preprocessor, token_pattern=tfidf.token_pattern,
                             stop_words=tfidf.stop_words, ngram_range=tfidf.ngram_range,
                             n_features=N_FEATURES, alternate_sign=False, norm=None, dtype=np.float32)


_TEXT = "coalesce(a.title, i.title, '') || '\n' || coalesce(a.text, i.summary, '')"


def _texts(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> list[tuple[str, str, Any, str | None]]:
    """``(item_id, text, first_seen_at, story_id)`` of ``ids`` (text as grouping reads it)."""
    if not ids:
        return []
    # Each table filtered by the ids before the joins, with a constant list: DuckDB then reads
    # the texts of these rows only (a join, or IN (subquery) past 50 ids, reads every text).
    return con.execute(
        f"""SELECT i.item_id, {_TEXT}, i.first_seen_at, s.story_id
            FROM (SELECT * FROM items WHERE list_contains($ids, item_id)) i
            LEFT JOIN (SELECT item_id, title, text FROM articles WHERE list_contains($ids, item_id)) a
                USING (item_id)
            LEFT JOIN (SELECT item_id, story_id FROM stories WHERE list_contains($ids, item_id)) s
                USING (item_id)
            ORDER BY i.first_seen_at, i.item_id""", {"ids": list(ids)}).fetchall()


def _store_vectors(con: duckdb.DuckDBPyConnection, rows: Sequence[tuple[str, Any]],
                   counts: sparse.csr_matrix) -> None:
    """Keep the term counts of ``rows`` (``(item_id, first_seen_at)``), once per item."""
    if not rows:
        return
    import pyarrow as pa

    # Each row's terms and counts as Arrow lists over the matrix's own arrays: no list per row.
    indptr = counts.indptr[:len(rows) + 1]
    lo, hi = int(indptr[0]), int(indptr[-1])
    offsets = pa.array((indptr - lo).astype(np.int32))
    frame = pa.table({
        "item_id": [r[0] for r in rows], "first_seen_at": [_as_utc(r[1]) for r in rows],
        "terms": pa.ListArray.from_arrays(offsets, pa.array(counts.indices[lo:hi].astype(np.int32))),
        "counts": pa.ListArray.from_arrays(offsets, pa.array(counts.data[lo:hi].astype(np.float32)))})
    con.register("_vectors", frame)
    try:
        con.execute("INSERT OR IGNORE INTO story_vectors (item_id, first_seen_at, terms, counts) "
                    "SELECT item_id, first_seen_at, terms, counts FROM _vectors")
    finally:
        con.unregister("_vectors")


def _without_vectors(con: duckdb.DuckDBPyConnection, lo: datetime, hi: datetime | None) -> list[tuple]:
    """``(item_id, first_seen_at)`` of the items seen in [lo, hi] that have no stored vector.
    Both tables are read only inside the time range (their rows arrive in time order, so
    DuckDB skips the rest by its min/max statistics)."""
    upper = "AND first_seen_at <= $hi" if hi is not None else ""
    return con.execute(
        f"""SELECT item_id, first_seen_at FROM items WHERE first_seen_at >= $lo {upper}
            AND item_id NOT IN (SELECT item_id FROM story_vectors WHERE first_seen_at >= $lo {upper})
            ORDER BY first_seen_at, item_id""",
        {"lo": lo, "hi": hi} if hi is not None else {"lo": lo}).fetchall()


def _published(con: duckdb.DuckDBPyConnection, lo: datetime, hi: datetime) -> dict[str, Any]:
    """The feed's publication date of the items seen in [lo, hi] that have one (read inside the
    time range only, like :func:`_without_vectors`)."""
    return dict(con.execute("SELECT item_id, published_at FROM items WHERE first_seen_at >= ? "
                            "AND first_seen_at <= ? AND published_at IS NOT NULL", [lo, hi]).fetchall())


def _titles(con: duckdb.DuckDBPyConnection, ids: Sequence[str], lo: datetime, hi: datetime) -> dict[str, str]:
    """The feed titles of ``ids``, all seen in [lo, hi] (read inside the time range only: the
    page's title would mean reading the articles table whole)."""
    if not ids:
        return {}
    return dict(con.execute(
        "SELECT item_id, coalesce(title, '') FROM items WHERE first_seen_at >= ? AND first_seen_at <= ? "
        "AND list_contains(?, item_id)", [lo, hi, list(ids)]).fetchall())


def _with_story(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> dict[str, str]:
    if not ids:
        return {}
    return dict(con.execute("SELECT item_id, story_id FROM stories WHERE list_contains(?, item_id)",
                            [list(ids)]).fetchall())


def _window_vectors(con: duckdb.DuckDBPyConnection, lo: datetime,
                    hi: datetime) -> tuple[list[tuple[str, datetime, str]], sparse.csr_matrix]:
    """The grouped items seen in [lo, hi]: ``(item_id, first_seen_at, story_id)`` rows and their
    stored term counts, in time order."""
    table = con.sql(
        """SELECT item_id, first_seen_at, terms, counts FROM story_vectors
           WHERE first_seen_at >= ? AND first_seen_at <= ? ORDER BY first_seen_at, item_id""",
        params=[lo, hi]).to_arrow_table()
    ids = table.column("item_id").to_pylist()
    stories = _with_story(con, ids)  # an item whose story was dropped is left out, as before v9
    keep = [k for k, item_id in enumerate(ids) if item_id in stories]
    if len(keep) < len(ids):
        table = table.take(keep)
    rows = [(item_id, _as_utc(t), stories[item_id]) for item_id, t in
            zip(table.column("item_id").to_pylist(), table.column("first_seen_at").to_pylist(), strict=True)]
    if not rows:
        return [], sparse.csr_matrix((0, N_FEATURES), dtype=np.float32)
    terms = table.column("terms").combine_chunks()
    counts = table.column("counts").combine_chunks()
    offsets = terms.offsets.to_numpy()
    indices = terms.values.to_numpy()[offsets[0]:offsets[-1]]
    data = counts.values.to_numpy()[offsets[0]:offsets[-1]]
    matrix = sparse.csr_matrix((data, indices, offsets - offsets[0]), shape=(len(rows), N_FEATURES))
    return rows, matrix


def add_to_stories(con: duckdb.DuckDBPyConnection, window_days: float = 3,
                   threshold: float = STORY_THRESHOLD, horizon_days: float = 30,
                   counted: CountedTexts | None = None) -> int:
    """Give every item of the last ``horizon_days`` that has no story yet one, without
    regrouping the others (so a run killed before this step is caught up by the next).

    Each new item is compared with the items inside its time window only (new x window,
    not window x window as :func:`assign_stories`). The window's items are not re-read or
    re-vectorised: every grouped item's hashed term counts are kept (``story_vectors``,
    written when it gets its story) and the window's TF-IDF is rebuilt from them
    (:func:`tfidf_from_counts`), so a run's cost follows what it added, not the stored texts.
    A new item that joins an existing story takes its id; one that bridges two stories
    merges them under the older story's id. ``counted``: term counts already counted (see
    :class:`CountedTexts`). Returns the number of new items.
    """
    window = timedelta(days=window_days)
    unvectored = _without_vectors(con, datetime.now(UTC) - timedelta(days=horizon_days), None)
    grouped = _with_story(con, [r[0] for r in unvectored])
    new_ids = [r[0] for r in unvectored if r[0] not in grouped]
    if not new_ids:
        return 0
    new = [r for r in _texts(con, new_ids) if r[3] is None]
    if not new:
        return 0
    earliest = min(_as_utc(r[2]) for r in new)
    latest = max(_as_utc(r[2]) for r in new)
    lo, hi = earliest - window, latest + window
    # Items grouped before their vectors were kept (schema v9, or by assign_stories) get them now.
    keep_vectors(con, lo, hi, skip={r[0] for r in new})
    context, context_counts = _window_vectors(con, lo, hi)
    new_counts = (counted or CountedTexts()).counts([r[0] for r in new], [r[1] for r in new])
    rows = context + [(r[0], _as_utc(r[2]), None) for r in new]
    matrix = tfidf_from_counts(sparse.vstack([context_counts, new_counts], format="csr"))
    uf = _UnionFind(len(rows))
    first_of_story: dict[str, int] = {}
    for i, row in enumerate(rows):  # keep existing stories together
        if row[2] is not None:
            uf.union(first_of_story.setdefault(row[2], i), i)
    query = np.arange(len(context), len(rows))
    times = [r[1] for r in rows]
    dates = _published(con, lo, hi)
    published = published_stamps([dates.get(r[0]) for r in rows], times)
    pairs = similar_pairs(matrix, times, threshold, window, query=query, published=published)
    titles = _titles(con, sorted({rows[i][0] for pair in pairs for i in pair}), lo, hi)
    apart = _apart_by_title(lambda i: titles.get(rows[i][0]))
    for a, b in pairs:
        if not apart(a, b):
            uf.union(a, b)
    members: dict[int, list[int]] = {}
    for i in range(len(rows)):
        members.setdefault(uf.find(i), []).append(i)
    bridged = {sid for group in members.values()
               if len(olds := {rows[i][2] for i in group if rows[i][2] is not None}) > 1 for sid in olds}
    began = _story_starts(con, bridged)
    assign: dict[str, str] = {}
    folded: dict[str, str] = {}
    for group in members.values():
        old_ids = [rows[i][2] for i in group if rows[i][2] is not None]
        story = (min(old_ids, key=lambda sid: (began.get(sid, datetime.max.replace(tzinfo=UTC)), sid))
                 if old_ids else rows[group[0]][0])
        for i in group:
            if rows[i][2] != story:
                assign[rows[i][0]] = story
        for other in set(old_ids) - {story}:  # a bridge: fold the younger story into the older
            folded[other] = story
    if folded:  # all folded stories' items at once (one query per bridge read the table each time)
        merged = con.execute("SELECT item_id, story_id FROM stories WHERE list_contains(?, story_id)",
                             [sorted(folded)]).fetchall()
        assign.update({item_id: folded[old] for item_id, old in merged})
    _upsert_stories(con, assign)
    _store_vectors(con, [(r[0], r[2]) for r in new], new_counts)
    return len(new)


def keep_vectors(con: duckdb.DuckDBPyConnection, lo: datetime, hi: datetime | None = None,
                 skip: set[str] = frozenset(), batch: int = 5000) -> int:
    """Store the term counts of the grouped items seen in [lo, hi] that have none yet (items
    grouped before schema v9 or by :func:`assign_stories`); returns how many were stored."""
    missing = [r[0] for r in _without_vectors(con, lo, hi) if r[0] not in skip]
    done = 0
    for start in range(0, len(missing), batch):
        rows = [r for r in _texts(con, missing[start:start + batch]) if r[3] is not None]
        _store_vectors(con, [(r[0], r[2]) for r in rows], term_counts([r[1] for r in rows]))
        done += len(rows)
    return done


def _story_starts(con: duckdb.DuckDBPyConnection, story_ids: set[str]) -> dict[str, datetime]:
    """When each story began: its first item may lie outside the run's window (then the
    window's time order alone would pick the younger story when a bridge merges two). Only
    asked for the stories that a bridge merges."""
    if not story_ids:
        return {}
    members = dict(con.execute("SELECT item_id, story_id FROM stories WHERE list_contains(?, story_id)",
                               [sorted(story_ids)]).fetchall())
    began: dict[str, datetime] = {}
    seen_at = con.execute("SELECT item_id, first_seen_at FROM items WHERE list_contains(?, item_id)",
                          [list(members)]).fetchall()
    for item_id, seen in seen_at:
        sid = members[item_id]
        began[sid] = min(began.get(sid, datetime.max.replace(tzinfo=UTC)), _as_utc(seen))
    return began


def _upsert_stories(con: duckdb.DuckDBPyConnection, mapping: dict[str, str]) -> None:
    if not mapping:
        return
    now = datetime.now(UTC)
    frame = rows_table([{"item_id": item_id, "story_id": story_id, "assigned_at": now}
                        for item_id, story_id in mapping.items()])
    con.register("_stories", frame)  # one set-based upsert: executemany is row by row
    try:
        con.execute(
            "INSERT INTO stories (item_id, story_id, assigned_at) "
            "SELECT item_id, story_id, assigned_at FROM _stories ON CONFLICT (item_id) DO UPDATE SET "
            "story_id = excluded.story_id, assigned_at = CASE WHEN stories.story_id = excluded.story_id "
            "THEN stories.assigned_at ELSE excluded.assigned_at END")
    finally:
        con.unregister("_stories")


def measure_story_threshold(texts: Sequence[str], groups: Sequence[Any], n_folds: int = 3,
                            min_recall: float = 0.8) -> dict[str, Any]:
    """Pick the story threshold on real same-claim groups, judged after union-find clustering.

    Returns the threshold chosen on all data with its pairwise precision/recall, and per fold
    the threshold chosen on training claims with its held-out precision/recall.
    """
    from sklearn.model_selection import GroupKFold

    from saring.judge.factcheck import _pair_sims

    texts, groups = list(texts), np.asarray(groups)
    grid = np.round(np.arange(0.05, 0.61, 0.01), 3)

    def prf(sims: np.ndarray, g: np.ndarray, t: float) -> tuple[float, float]:
        roots = np.asarray(cluster(sims, None, t, None))
        iu = np.triu_indices(len(g), k=1)
        same, truth = roots[iu[0]] == roots[iu[1]], g[iu[0]] == g[iu[1]]
        tp = float(np.sum(same & truth))
        return tp / max(float(same.sum()), 1.0), tp / max(float(truth.sum()), 1.0)

    def choose(sims: np.ndarray, g: np.ndarray) -> float:
        best = float(grid[0])
        for t in grid:
            if prf(sims, g, float(t))[1] >= min_recall:
                best = float(t)
        return best

    folds = []
    for train, test in GroupKFold(n_splits=n_folds).split(texts, groups=groups):
        t = choose(_pair_sims([texts[i] for i in train]), groups[train])
        p, r = prf(_pair_sims([texts[i] for i in test]), groups[test], t)
        folds.append(dict(threshold=t, precision=round(p, 3), recall=round(r, 3)))
    sims = _pair_sims(texts)
    t = choose(sims, groups)
    p, r = prf(sims, groups, t)
    return dict(threshold=t, precision=round(p, 3), recall=round(r, 3), folds=folds)

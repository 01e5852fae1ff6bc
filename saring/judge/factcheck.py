"""Fact-check registry: verdict labels, storage, and matching new items to published fact-checks.

Fact-checkers (TurnBackHoax/Mafindo, cekfakta.com, Komdigi, AFP Indonesia...) put the verdict in
the title ("[SALAH] ...", "[HOAKS] ...", "HOAKS: ...": :mod:`saring.collect.verdicts` reads it).
Their feeds are ingested into ``factchecks``; every item is compared with them by TF-IDF cosine
similarity and a match above :data:`MATCH_THRESHOLD` is stored in ``factcheck_matches``, so the
digest can answer a rumour with the fact-check's link.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pandas as pd

from saring.collect.urls import page_key
from saring.collect.verdicts import verdict_from_title
from saring.storage.database import transaction as in_transaction
from saring.textclean import item_text, plain_words

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer

# Chosen on real pairs with measure_threshold(texts, groups, min_recall=0.8) on the Pratiwi et al.
# (2017) hoax dataset (classifiers/data/pratiwi2017_hoax/pratiwi2017_hoax_train.csv: 450 real
# Indonesian articles, 9 viral claims x 50 articles, grouped by topic_id). Two articles about the
# same claim are a positive pair (11,025), about different claims a negative (90,000).
# Rule: the highest cosine that still finds >= 80 % of the same-claim pairs ("precision at >= 0.8
# recall"), chosen on training claims and measured on held-out claims with a 3-fold GroupKFold
# over topic_id (no claim both picks and measures the threshold):
#   per-fold thresholds 0.14 / 0.125 / 0.125; held-out precision 1.00 / 1.00 / 1.00,
#   recall 0.50 / 0.81 / 0.78; pooled held-out precision 1.00, recall 0.70, F1 0.82.
#   On all 450 articles the rule gives 0.14 (precision 1.00, recall 0.81).
# The F1-best threshold would be 0.09 (held-out P 0.995, R 0.92), but Pratiwi's negatives are
# *unrelated* claims (e.g. the catfish-cancer claim vs. other viral topics), far easier than an
# election fact-check vs. other election news, so the stricter precision-first value is used.
# Similarities depend on the corpus the vectorizer is fitted on: see fit_index.
MATCH_THRESHOLD = 0.14
BACKGROUND_ITEMS = 1000
"""How many of the most recently seen items weigh the words beside the fact-checks (see fit_index)."""

# A short Indonesian stop list: words that make every two texts look alike.
STOPWORDS = frozenset("""
yang dan di ke dari ini itu dengan untuk pada adalah dalam tidak akan juga atau ada oleh sebagai
karena bahwa sudah saat telah bisa para kata mereka kami kita saya anda ia dia lebih namun tersebut
hal jika maka agar seperti hanya masih bagi serta antara setelah hingga yaitu yakni pun lagi tak
belum harus dapat kepada tentang sangat dua satu tiga baru kini banyak sejumlah nya lah kah the of
and to in is a an for on
""".split())


def verdict_label(verdict: str | None, title: str | None) -> str | None:
    """The verdict to show beside a fact-check's title; None when there is none or the title
    already says it ("[HOAKS] ..." is not "[HOAKS]: [HOAKS] ...")."""
    if not verdict or verdict_from_title(title) == verdict.upper():
        return None
    return verdict


def make_vectorizer() -> TfidfVectorizer:
    """The TF-IDF settings used for matching and for stories (thresholds were measured with them)."""
    # Imported here: scikit-learn takes a second to import, and a run with nothing new needs none of it.
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(preprocessor=plain_words, token_pattern=r"(?u)\b[a-z][a-z0-9]{2,}\b",
                           stop_words=sorted(STOPWORDS), sublinear_tf=True, ngram_range=(1, 1),
                           dtype=np.float32)


@dataclass
class FactCheckIndex:
    """TF-IDF index over fact-checks; ``match`` returns the most similar ones per text."""

    threshold: float = MATCH_THRESHOLD

    def fit(self, factchecks: Sequence[tuple[str, str | None, str | None]],
            extra_texts: Iterable[str] = (), urls: Sequence[str | None] | None = None) -> FactCheckIndex:
        """Index ``(factcheck_id, title, text)`` rows. ``extra_texts`` (e.g. the items to be
        matched) only widen the vocabulary and document frequencies. ``urls`` (one per row) make
        rows with one :func:`~saring.collect.urls.page_key` one page, matched once."""
        self.ids = [fid for fid, _, _ in factchecks]
        self.pages = [page_key(u) if u else f"id:{fid}"
                      for fid, u in zip(self.ids, urls or [None] * len(self.ids), strict=True)]
        docs = [f"{title or ''}\n{text or ''}" for _, title, text in factchecks]
        self.vectorizer = make_vectorizer()
        if not docs:
            self.matrix = None
            return self
        corpus = docs + list(extra_texts)
        self.vectorizer.fit(corpus)
        self.n_docs = len(corpus)
        self.matrix = self.vectorizer.transform(docs)
        return self

    def match(self, texts: Sequence[str | None], top_k: int = 3,
              threshold: float | None = None) -> list[list[tuple[str, float]]]:
        """Per text, up to ``top_k`` ``(factcheck_id, similarity)`` at or above the threshold,
        best first, one per page (the best of its copies)."""
        limit = self.threshold if threshold is None else threshold
        if getattr(self, "matrix", None) is None or not texts:
            return [[] for _ in texts]
        sims = (self._weigh(texts) @ self.matrix.T).toarray()
        out = []
        for row in sims:
            above = np.flatnonzero((row >= limit) & (row > 0))
            found, pages = [], set()
            for j in above[np.argsort(-row[above], kind="stable")]:
                if len(found) == top_k:
                    break
                if self.pages[j] not in pages:
                    pages.add(self.pages[j])
                    found.append((self.ids[j], round(float(row[j]), 4)))
            out.append(found)
        return out

    def _weigh(self, texts: Sequence[str | None]) -> Any:
        """The texts' TF-IDF rows, with the words the fitted corpus never saw counted as seen in
        one document (not dropped): a text outside the fit is weighed as if it were in it, so its
        similarity does not depend on which other texts were fitted with it."""
        from scipy.sparse import csr_matrix

        vec = self.vectorizer
        analyse, vocab, idf = vec.build_analyzer(), vec.vocabulary_, vec.idf_
        unseen_idf = np.log((1 + self.n_docs) / 2) + 1  # smooth idf of a word in one document
        data, indices, indptr = [], [], [0]
        for text in texts:
            counts: dict[str, int] = {}
            for word in analyse(text or ""):
                counts[word] = counts.get(word, 0) + 1
            squares = 0.0
            for word, n in counts.items():
                tf = 1 + np.log(n)  # sublinear_tf
                j = vocab.get(word)
                w = tf * (unseen_idf if j is None else idf[j])
                squares += w * w
                if j is not None:
                    indices.append(j)
                    data.append(w)
            norm = np.sqrt(squares) or 1.0
            data[indptr[-1]:] = [w / norm for w in data[indptr[-1]:]]
            indptr.append(len(indices))
        return csr_matrix((np.asarray(data, dtype=np.float32), indices, indptr),
                          shape=(len(texts), len(vocab)))


def background_texts(con: duckdb.DuckDBPyConnection, limit: int = BACKGROUND_ITEMS) -> list[str]:
    """What the models read (:func:`~saring.textclean.item_text`) of the ``limit`` most recently
    seen stored items (ties by id)."""
    rows = con.execute(
        """WITH r AS (SELECT item_id, title, summary, first_seen_at FROM items
                      ORDER BY first_seen_at DESC, item_id LIMIT ?)
           SELECT r.item_id, coalesce(a.title, r.title), coalesce(a.text, r.summary)
           FROM r LEFT JOIN articles a USING (item_id) ORDER BY r.first_seen_at DESC, r.item_id""",
        [limit]).fetchall()
    return [item_text(title, text) for _, title, text in rows]


def fit_index(con: duckdb.DuckDBPyConnection, threshold: float = MATCH_THRESHOLD) -> FactCheckIndex:
    """The index every matcher uses (runs, ``saring factcheck match``, ``saring check``): the stored
    fact-checks, with the words weighed on them plus the most recent stored items.

    The background is bounded and the same whichever items are then matched: fitted on a run's
    own items, one article matched in a big run and not when it came alone in an hourly one, and
    the digest and ``saring check`` disagreed on the same text. Without a background, every shared
    everyday word of a handful of fact-checks would look significant.
    """
    # Copies of one page tie, and the first listed is kept (match): the https one, then the one
    # its feed lists now (seen last), not the one whose id (a hash) sorts first.
    rows = con.execute(
        "SELECT factcheck_id, title, text, url FROM factchecks "
        "ORDER BY url ILIKE 'https://%' DESC, first_seen_at DESC NULLS LAST, factcheck_id").fetchall()
    background = background_texts(con) if rows else []
    # one page stored under its http and https (or www and bare) address is matched once
    return FactCheckIndex(threshold=threshold).fit([r[:3] for r in rows], extra_texts=background,
                                                   urls=[r[3] for r in rows])


# ------------------------------------------------------------------------------------- store

MATCHED_COLUMNS = ("url", "title", "text", "verdict")
"""What matching and the risk floor read of a fact-check."""


# One fact-check listed by two feeds (a fact-checker's main and category feeds) under different
# titles: the other feed's entry replaces the stored one only when it has a verdict the stored one
# lacks, or, both with or both without one, is published later. Else whichever feed was read last
# won, and the verdict flipped (and re-matched 30 days) from run to run.
_REPLACES = """(factchecks.source_id IS NOT DISTINCT FROM excluded.source_id
    OR (excluded.verdict IS NOT NULL AND factchecks.verdict IS NULL)
    OR ((excluded.verdict IS NULL) = (factchecks.verdict IS NULL)
        AND excluded.published_at > coalesce(factchecks.published_at, '-infinity'::TIMESTAMPTZ)))"""


def upsert_factchecks(con: duckdb.DuckDBPyConnection, rows: Sequence[dict[str, Any]]) -> int:
    """Insert or update fact-checks (keys as in ``factchecks``; ``factcheck_id`` required, e.g.
    ``saring.collect.urls.url_key(url)``). ``verdict`` defaults to :func:`verdict_from_title`; a row
    already stored keeps its ``first_seen_at``, and gets ``changed_at`` when one of
    :data:`MATCHED_COLUMNS` changed; a row stored from another source is kept unless the new one
    has a verdict it lacks or is published later. Returns the number of rows given."""
    if not rows:
        return 0
    now = datetime.now(UTC)
    cols = ["factcheck_id", "source_id", "url", "title", "verdict", "text", "published_at", "first_seen_at"]
    frame = pd.DataFrame([{**{c: r.get(c) for c in cols},
                           "verdict": r.get("verdict") or verdict_from_title(r.get("title")),
                           "first_seen_at": r.get("first_seen_at") or now} for r in rows], columns=cols)
    frame = frame.drop_duplicates("factcheck_id", keep="last")
    for col in ("published_at", "first_seen_at"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    con.register("_factchecks", frame)
    try:
        updates = ", ".join(f"{c} = excluded.{c}" for c in cols[1:-1])
        # what matching and the risk floor read: a change there makes the next run re-match
        changed = " OR ".join(f"factchecks.{c} IS DISTINCT FROM excluded.{c}" for c in MATCHED_COLUMNS)
        con.execute(f"INSERT INTO factchecks ({', '.join(cols)}) SELECT {', '.join(cols)} FROM _factchecks "
                    f"ON CONFLICT (factcheck_id) DO UPDATE SET {updates}, "
                    f"changed_at = CASE WHEN {changed} THEN ? ELSE factchecks.changed_at END "
                    f"WHERE {_REPLACES}", [now])
    finally:
        con.unregister("_factchecks")
    return len(frame)


def match_items(con: duckdb.DuckDBPyConnection, item_ids: Sequence[str] | None = None,
                top_k: int = 3, threshold: float = MATCH_THRESHOLD, *, transaction: bool = True) -> int:
    """Match items (all, or ``item_ids``) from the ``item_overview`` view against every stored
    fact-check (:func:`fit_index`) and replace their rows in ``factcheck_matches`` with the result,
    so a match that no longer holds is removed; forwards whose text was purged keep theirs, unless
    their fact-check was deleted. Idempotent. Returns the number of matches.
    ``transaction=False``: the caller holds one (to write more with it)."""
    if item_ids is not None and not item_ids:
        return 0
    index = fit_index(con, threshold)  # with no fact-check left it matches nothing: old matches go
    from saring.judge.labels import PURGED_FORWARD

    # A forward whose text retention purged keeps the matches made on its text: its placeholder
    # title would match nothing, and the rumour lose its match and risk floor.
    query = f"SELECT item_id, title, text, url FROM item_overview o WHERE NOT ({PURGED_FORWARD})"
    params: list[Any] = []
    if item_ids is not None:
        query += " AND item_id IN (SELECT unnest(?))"
        params = [list(item_ids)]
    # what the models read: a forward's title, its own first line, is not read twice (as in check)
    items = [(item_id, item_text(title, text), url)
             for item_id, title, text, url in con.execute(query, params).fetchall()]
    # one page under its http and https (or www and bare) address, as the digest and check compare
    fc_pages = {page_key(u) for (u,) in con.execute("SELECT url FROM factchecks").fetchall() if u}
    texts = [t for _, t, _ in items]
    now = datetime.now(UTC)
    rows = [
        (item_id, fid, sim, now)
        for (item_id, _, url), found in zip(items, index.match(texts, top_k=top_k), strict=True)
        for fid, sim in found
        if page_key(url) not in fc_pages  # a fact-check ingested as an item matches itself
    ]
    with in_transaction(con) if transaction else contextlib.nullcontext():
        con.execute("DELETE FROM factcheck_matches WHERE item_id IN (SELECT unnest(?))",
                    [[item_id for item_id, _, _ in items]])
        # matches of a deleted fact-check, also of items not matched here (rumour_lifecycle counts them)
        con.execute("DELETE FROM factcheck_matches "
                    "WHERE factcheck_id NOT IN (SELECT factcheck_id FROM factchecks)")
        if rows:
            con.executemany("INSERT INTO factcheck_matches (item_id, factcheck_id, similarity, matched_at) "
                            "VALUES (?, ?, ?, ?)", rows)
    return len(rows)


# --------------------------------------------------------------------- threshold measurement


@dataclass(frozen=True)
class ThresholdReport:
    threshold: float
    precision: float
    recall: float
    f1: float
    folds: list[dict[str, float]]
    pooled_heldout: dict[str, float]


def _pair_sims(texts: list[str]) -> np.ndarray:
    vec = make_vectorizer()
    matrix = vec.fit_transform(texts)
    return (matrix @ matrix.T).toarray()


def _pairs(sims: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    iu = np.triu_indices(len(groups), k=1)
    return sims[iu], (groups[iu[0]] == groups[iu[1]])


def _prf(scores: np.ndarray, truth: np.ndarray, t: float) -> tuple[float, float, float]:
    pred = scores >= t
    tp = float(np.sum(pred & truth))
    precision = tp / max(float(np.sum(pred)), 1.0)
    recall = tp / max(float(np.sum(truth)), 1.0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _best(scores: np.ndarray, truth: np.ndarray, grid: np.ndarray, min_recall: float | None) -> float:
    """F1-best threshold, or with ``min_recall`` the highest one that keeps recall at or above it
    (the most precise threshold that still finds that share of the real pairs)."""
    best_t, best_v = float(grid[0]), -1.0
    for t in grid:
        p, r, f = _prf(scores, truth, float(t))
        if min_recall is not None:
            if r >= min_recall:
                best_t = float(t)
            continue
        if f > best_v:
            best_t, best_v = float(t), f
    return best_t


def measure_threshold(texts: Sequence[str], groups: Sequence[Any], n_folds: int = 3,
                      min_recall: float | None = None,
                      similarity=None) -> ThresholdReport:
    """Choose a cosine threshold on real same-claim pairs with a split grouped by claim.

    Pairs of texts in one group are positives, across groups negatives. With ``min_recall`` the
    threshold is the highest that keeps at least that recall (precision first), otherwise the
    F1-best one. ``similarity(texts) -> (n, n) array`` defaults to TF-IDF cosine. Returns the
    threshold chosen on all data, its precision/recall there, and each fold's held-out result.
    """
    from sklearn.model_selection import GroupKFold

    sim = similarity or _pair_sims
    texts, groups = list(texts), np.asarray(groups)
    grid = np.round(np.arange(0.01, 0.91, 0.005), 4)
    folds, pooled_s, pooled_t, pooled_pred = [], [], [], []
    for train, test in GroupKFold(n_splits=n_folds).split(texts, groups=groups):
        s_tr, y_tr = _pairs(sim([texts[i] for i in train]), groups[train])
        t = _best(s_tr, y_tr, grid, min_recall)
        s_te, y_te = _pairs(sim([texts[i] for i in test]), groups[test])
        p, r, f = _prf(s_te, y_te, t)
        folds.append(dict(threshold=t, precision=round(p, 3), recall=round(r, 3), f1=round(f, 3)))
        pooled_pred.append(s_te >= t)
        pooled_t.append(y_te)
        pooled_s.append(s_te)
    pred, truth = np.concatenate(pooled_pred), np.concatenate(pooled_t)
    tp = float(np.sum(pred & truth))
    pp, pr = tp / max(float(pred.sum()), 1.0), tp / max(float(truth.sum()), 1.0)
    pooled = dict(precision=round(pp, 3), recall=round(pr, 3),
                  f1=round(2 * pp * pr / (pp + pr) if pp + pr else 0, 3))
    s_all, y_all = _pairs(sim(texts), groups)
    t_all = _best(s_all, y_all, grid, min_recall)
    p, r, f = _prf(s_all, y_all, t_all)
    return ThresholdReport(t_all, round(p, 3), round(r, 3), round(f, 3), folds, pooled)


def pratiwi_pairs(path: str | None = None) -> tuple[list[str], list[int]]:
    """Texts and claim ids of the Pratiwi et al. (2017) articles bundled with the classifiers."""
    from pathlib import Path

    csv = path or str(Path(__file__).resolve().parents[2] / "classifiers" / "data" / "pratiwi2017_hoax"
                      / "pratiwi2017_hoax_train.csv")
    frame = pd.read_csv(csv)
    return frame["berita"].astype(str).tolist(), frame["topic_id"].astype(int).tolist()

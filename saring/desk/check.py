"""Check one forwarded text or link on demand, in seconds, without Prefect.

``run_check`` fetches a link through the normal safe fetcher (private addresses always
refused), scores the text with the current models, finds near-identical items saring has
already seen and the closest published fact-checks (when a ``factchecks`` table exists), and
stores the check in a ``checks`` table so the same rumour checked twice is recognised.

Reads use the analysts' snapshot (never the writer's lock); the write is one short
``Store(db, lock_wait=...)`` connection. When the writer is busy the result is still
returned, with ``saved=False`` and a sentence saying why.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb

from saring.config import DigestSettings
from saring.errors import SaringError
from saring.textclean import item_text, plain_words

LOGGER = logging.getLogger(__name__)
SIMILAR_THRESHOLD = 0.5  # max(TF-IDF cosine, shingle containment) from which an item is "near-identical"
REPEAT_THRESHOLD = 0.8  # shingle Jaccard from which an earlier check is the same rumour
CORPUS_DAYS = 120  # how far back near-identical items are searched
CORPUS_LIMIT = 20000
MAX_TEXT = 20000

_URL_RE = re.compile(r"^\s*https?://\S+\s*$", re.I)
# Invisible marks a phone or editor adds around pasted text (an iPhone's U+200E, zero-width spaces, a
# BOM, bidi isolates): trimmed as spaces are, or a pasted link is read as a message and never opened.
_EDGES = re.compile(r"^[\s\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]+|"
                    r"[\s\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]+$")


class CheckError(SaringError):
    """The input cannot be checked (empty, unreadable link...)."""


@dataclass(frozen=True)
class Similar:
    item_id: str
    title: str
    source_name: str
    url: str
    first_seen_at: datetime | None
    similarity: float
    published_at: datetime | None = None  # a forward's sent time, an article's publication time

    @property
    def when(self) -> datetime | None:
        """When it first appeared, as the digest dates an item (DigestItem.when)."""
        return self.published_at or self.first_seen_at


@dataclass(frozen=True)
class FactCheck:
    title: str
    url: str
    verdict: str
    similarity: float

    @property
    def label(self) -> str | None:
        """The verdict to show beside the title; None when the title already says it."""
        from saring.judge.factcheck import verdict_label

        return verdict_label(self.verdict, self.title)


@dataclass(frozen=True)
class PreviousCheck:
    check_id: str
    checked_at: datetime
    checked_by: str | None


@dataclass
class CheckResult:
    check_id: str
    query: str
    url: str | None
    title: str | None
    text: str
    election_score: float
    hoax_score: float
    election_terms: list[str]
    hoax_terms: list[str]
    model_version: str
    similar: list[Similar] = field(default_factory=list)
    factchecks: list[FactCheck] = field(default_factory=list)
    previous: list[PreviousCheck] = field(default_factory=list)
    linked: list[dict] = field(default_factory=list)  # stored pages its links point at, with their risk
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    checked_by: str | None = None
    saved: bool = False
    note: str | None = None  # why it was not saved, or what went wrong with the link
    seconds: float = 0.0

    @property
    def best_factcheck(self) -> FactCheck | None:
        return self.factchecks[0] if self.factchecks else None

    @property
    def no_claim(self) -> bool:
        """Only a greeting, thanks or acknowledgement (:mod:`saring.noclaim`), which
        nothing raised above the scorer's no-claim score: there is nothing to check.

        Read as the scorer read it: a stored check's text is scrubbed, and its masks
        ("[nomor disamarkan]") read as the stand-ins the models see, as the pasted number was."""
        from saring.collect.scrub import for_model
        from saring.noclaim import NO_CLAIM_SCORE, has_no_claim

        return self.hoax_score == NO_CLAIM_SCORE and has_no_claim(for_model(item_text(self.title, self.text)))


# --------------------------------------------------------------------------- text helpers


def is_url(value: str) -> bool:
    return bool(_URL_RE.match(value or ""))


def fingerprint(text: str) -> str:
    # A message without Latin words (Arabic script, emoji only) has no plain words: its own text
    # then, or every such message would be "the same rumour".
    words = plain_words(text) or " ".join((text or "").casefold().split())
    return hashlib.sha256(words.encode()).hexdigest()[:32]


def shingles(text: str, k: int = 3) -> set[str]:
    words = plain_words(text).split()
    if len(words) < k:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + k]) for i in range(len(words) - k + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def _cosine_top(query: str, docs: list[str], k: int, threshold: float) -> list[tuple[int, float]]:
    """Indices and TF-IDF cosine of the ``k`` documents closest to ``query`` (above ``threshold``)."""
    if not docs or not plain_words(query):
        return []
    from sklearn.metrics.pairwise import linear_kernel

    from saring.judge.factcheck import make_vectorizer

    vec = make_vectorizer()  # the engine fact-check matching and stories use
    try:
        matrix = vec.fit_transform(docs + [query])
    except ValueError:  # empty vocabulary
        return []
    sims = linear_kernel(matrix[-1], matrix[:-1]).ravel()
    order = sims.argsort()[::-1][:k]
    return [(int(i), float(sims[i])) for i in order if sims[i] >= threshold]


# --------------------------------------------------------------------------- lookups


def similar_items(
    con: duckdb.DuckDBPyConnection,
    text: str,
    k: int = 3,
    threshold: float = SIMILAR_THRESHOLD,
    exclude: str | None = None,
) -> list[Similar]:
    """Items already seen whose text is near-identical to ``text`` (best first)."""
    from saring.storage.schema import source_line_sql

    rows = con.execute(
        # named as the digest names it: a Google News hit by its outlet, with the search that found it
        f"""SELECT item_id, coalesce(o.title, ''), {source_line_sql('s', 'i')}, o.url, o.first_seen_at,
                   coalesce(o.title, '') || ' ' || left(coalesce(o.text, ''), {MAX_TEXT}), o.source_id,
                   o.published_at
            FROM item_overview o JOIN items i USING (item_id) LEFT JOIN sources s ON s.source_id = o.source_id
            WHERE o.first_seen_at >= now() - INTERVAL {CORPUS_DAYS} DAY AND item_id IS DISTINCT FROM ?
            ORDER BY o.first_seen_at DESC LIMIT {CORPUS_LIMIT}""",
        [exclude],
    ).fetchall()
    # Candidates by TF-IDF cosine; a forwarded excerpt of a longer article is then recognised by
    # containment (share of the excerpt's 3-word shingles found in the article).
    candidates = _cosine_top(text, [r[5] for r in rows], 20, 0.1)
    mine = shingles(text)
    scored = []
    for i, cos in candidates:
        contained = len(mine & shingles(rows[i][5])) / len(mine) if mine else 0.0
        scored.append((max(cos, contained), i))
    scored.sort(key=lambda t: (-t[0], rows[t[1]][0]))
    return [_shown(Similar(*rows[i][:5], round(s, 3), rows[i][7]), rows[i][6])
            for s, i in scored[:k] if s >= threshold]


def _shown(item: Similar, source_id: str) -> Similar:
    """A forwarded message scrubbed again on the way out (an older saring stored it as it came), as
    the digest and the desk's queue show it."""
    if source_id != "tipline":
        return item
    from saring.collect.scrub import GENERIC

    return replace(item, title=GENERIC.text(item.title) or "", url=GENERIC.url(item.url)[0] or "")


def closest_factchecks(con: duckdb.DuckDBPyConnection, text: str, k: int = 3) -> list[FactCheck]:
    """Closest published fact-checks, by the registry's own matcher, weights and threshold (as a run)."""
    from saring.judge.factcheck import fit_index

    found = fit_index(con).match([text], top_k=k)[0]  # one per page, as a run stores them
    if not found:
        return []
    by_id = {r[0]: r[1:] for r in con.execute(
        "SELECT factcheck_id, coalesce(title, ''), url, coalesce(verdict, '') FROM factchecks "
        "WHERE factcheck_id IN (SELECT unnest(?))", [[i for i, _ in found]]).fetchall()}
    return [FactCheck(*by_id[i], round(sim, 3)) for i, sim in found]


def previous_checks(con: duckdb.DuckDBPyConnection, text: str, limit: int = 2000) -> list[PreviousCheck]:
    """Earlier checks of the same rumour: same fingerprint, or 3-word-shingle Jaccard >= 0.8."""
    fp = fingerprint(text)
    rows = con.execute(
        "SELECT check_id, checked_at, checked_by, fingerprint, coalesce(text, query) FROM checks "
        "ORDER BY checked_at DESC LIMIT ?",
        [limit],
    ).fetchall()
    mine = shingles(text)
    found = [
        PreviousCheck(r[0], r[1], r[2])
        for r in rows
        if r[3] == fp or jaccard(mine, shingles(r[4] or "")) >= REPEAT_THRESHOLD
    ]
    return sorted(found, key=lambda p: p.checked_at)


# --------------------------------------------------------------------------- the check


def fetch_text(url: str, timeout: float = 8.0) -> tuple[str | None, str, str | None]:
    """Download and extract one public page: (title, text, note). Private addresses are refused."""
    from saring.collect.extract import extract_article
    from saring.collect.fetch import Fetcher
    from saring.collect.scrub import GENERIC
    from saring.config import FetchSettings
    from saring.errors import FetchError

    # Opened as the tipline opens a shared link (Scrubber.link): a contact link (wa.me/62…, t.me/+62…,
    # a group invitation) or a number in the address's path never, a number in its query without it.
    safe = GENERIC.link(url.strip())
    if safe is None and GENERIC.url(url.strip())[0] is None:
        raise CheckError("tautan ini adalah tautan kontak (WhatsApp/Telegram ke seseorang atau undangan "
                         "grup): saring tidak membukanya, agar nomor atau grupnya tidak ikut terkirim ke "
                         "layanan itu. Tempel teks pesannya untuk dicek.")
    if safe is None:
        raise CheckError("alamat tautan ini memuat data pribadi (nomor telepon, e-mail, NIK atau akun): "
                         "saring tidak membukanya, agar data itu tidak ikut terkirim ke situsnya. "
                         "Tempel teks pesannya untuk dicek.")
    url = safe
    settings = FetchSettings(timeout=timeout, total_timeout=timeout + 2, retries=0)
    # Members read these sentences: the fetcher's English reason (for the maintainer) goes to the log.
    try:
        with Fetcher(settings) as fetcher:
            page = fetcher.get(url, allow_private=False, accept="text/html,*/*;q=0.8")
    except FetchError as exc:
        LOGGER.info("check: %s", exc)
        # its start names it: a link pasted with a megabyte glued on is not printed back whole
        shown = url if len(url) <= 80 else url[:80] + "…"
        raise CheckError(f"tautan {shown} tidak bisa dibuka: {_unreachable(exc)}") from None
    kind = _not_a_page(page.headers.get("content-type", ""), page.content)
    if kind:
        raise CheckError(f"tautan ini berupa {kind}, bukan halaman berita: saring hanya membaca halaman web. "
                         "Tempel teks pesannya untuk dicek.")
    extracted = extract_article(page.content, url=page.url, charset=page.charset)
    if extracted.text:
        return extracted.title, extracted.text, None
    LOGGER.info("check: %s: %s", page.url, extracted.error)
    if extracted.title:
        return extracted.title, extracted.title, "isi halaman tidak terbaca; hanya judulnya yang dicek"
    raise CheckError("tautan ini tidak berisi teks berita yang terbaca (mungkin hanya gambar atau video, "
                     "atau perlu login). Tempel teks pesannya untuk dicek.")


def _unreachable(exc: Exception) -> str:
    """Why a link could not be downloaded, for a member (in Indonesian)."""
    from saring.errors import (
        ContactLinkError,
        MalformedURLError,
        TooLargeError,
        UnresolvedHostError,
        UnsafeURLError,
    )

    status = getattr(exc, "status", None)
    if isinstance(exc, ContactLinkError):
        return ("tautan ini mengarah ke tautan kontak (WhatsApp/Telegram ke seseorang atau undangan grup), "
                "yang tidak dibuka saring agar nomor atau grupnya tidak ikut terkirim ke layanan itu. "
                "Tempel teks pesannya untuk dicek")
    if isinstance(exc, UnresolvedHostError):
        return "nama situsnya tidak dikenal (salah ketik, atau situsnya sudah tidak ada)"
    if isinstance(exc, UnsafeURLError):
        return "saring hanya membuka situs publik, bukan alamat jaringan lokal atau alamat yang tidak biasa"
    if isinstance(exc, MalformedURLError):
        return "alamat tautannya rusak; periksa lagi tautannya"
    if isinstance(exc, TooLargeError):
        return "halamannya terlalu besar untuk dibaca"
    if status in (404, 410):
        return f"halamannya tidak ditemukan (HTTP {status}): mungkin sudah dihapus atau tautannya terpotong"
    if status in (401, 403):
        return f"situsnya menolak dibuka (HTTP {status}), misalnya karena harus login"
    if status is not None and (status == 429 or status >= 500):
        return f"situsnya sedang bermasalah atau sibuk (HTTP {status}); coba lagi nanti"
    if status is not None:
        return f"situsnya menjawab dengan kesalahan (HTTP {status})"
    from saring.collect.fetch import CertificateError, TransientFetchError

    if isinstance(exc, CertificateError):
        return ("sertifikat keamanan situsnya tidak sah (misalnya sudah kedaluwarsa), jadi saring tidak "
                "membukanya; tempel teks beritanya untuk dicek")
    if isinstance(exc, TransientFetchError):
        return "situsnya tidak menjawab atau tidak bisa dihubungi; coba lagi nanti"
    return "situsnya menjawab dengan cara yang tidak bisa dibaca saring (misalnya terus mengalihkan)"


def _not_a_page(content_type: str, content: bytes) -> str | None:
    """What a link gives instead of a web page (a PDF, a picture...), or None for a page."""
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/pdf" or content.startswith(b"%PDF-"):  # often sent as octet-stream
        return "dokumen PDF"
    for prefix, name in (("image/", "gambar"), ("video/", "video"), ("audio/", "rekaman suara")):
        if kind.startswith(prefix):
            return name
    return None


def get_scorer() -> Any:
    """The current models, loaded once per version (:func:`saring.judge.scorers.current_scorer`)."""
    from saring.judge.scorers import current_scorer

    return current_scorer()


def analyse(
    query: str, db: str | Path | None = None, scorer: Any = None, fetch_timeout: float = 8.0,
    bands: DigestSettings | None = None, upgrade: Callable[[], None] | None = None,
    snapshot: Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]] | None = None,
) -> CheckResult:
    """Everything but the write: fetch (links), score, look up similar items and fact-checks.

    ``bands``: the forum's risk bands (``settings.digest``; the defaults without it), which place
    a fact-check match's risk floor and the linked pages' risk, as in the digest.
    ``upgrade``: for a check that will be saved, a short write that migrates the database and
    publishes its copy, called (after any download) when the copy is of an older saring.
    ``snapshot``: the reading process's own connection to the current version (the desk's
    ``Desk.snapshot``). A check's own instance of the catalog, closed, would drop every lock the
    process holds on that file, and a run in another process would then delete the files of the
    version the process's pages still read (:func:`saring.storage.publish._still_open`).
    """
    bands = bands or DigestSettings()
    started = time.monotonic()
    query = _EDGES.sub("", query or "")
    if not query:
        raise CheckError("tidak ada teks atau tautan untuk dicek")
    url = title = note = None
    if is_url(query):
        url = query
        try:
            parts = urlsplit(url)
        except ValueError:  # a bracket in the site's name ("https://[tautan]"): not an address
            raise CheckError("alamat tautannya rusak; periksa lagi tautannya, atau tempel teks pesannya "
                             "untuk dicek") from None
        if not parts.hostname:
            raise CheckError("tautan tidak lengkap")
        title, text, note = fetch_text(url, fetch_timeout)
    else:
        text = query
    text = text[:MAX_TEXT]
    from saring.collect.scrub import GENERIC
    from saring.storage.database import OlderSchemaError, outlet_hosts

    held = contextlib.ExitStack()
    try:
        con = held.enter_context(snapshot() if snapshot else contextlib.closing(_open_copy(db, upgrade)))
    except OlderSchemaError as exc:
        LOGGER.warning("check: %s", exc)
        con, note = None, _join(note, "data saring sedang diperbarui ke versi saring yang baru dan terbaca "
                                      "lagi setelah pengambilan berita berikutnya: berita serupa dan cek "
                                      "fakta belum dicari")
    except SaringError as exc:
        # The reason is the maintainer's (English, server paths): to the log; members read what it means.
        LOGGER.warning("check: %s", exc)
        con, note = None, _join(note, "data saring belum bisa dibaca (misalnya pengambilan berita pertama "
                                      "belum berjalan): berita serupa dan cek fakta belum dicari")
    try:
        # Links to the forum's own news sources are news links (saring.config.Source.outlet_host).
        scorer = (scorer or get_scorer()).with_outlets(outlet_hosts(con) if con is not None else ())
        s = scorer.score([item_text(title, text)])[0]
        result = CheckResult(
            check_id=uuid.uuid4().hex[:12],
            query=query[:MAX_TEXT],
            url=url,
            title=title,
            text=text,
            election_score=float(s.election_score),
            hoax_score=float(s.hoax_score),
            election_terms=list(s.election_terms),
            hoax_terms=list(s.hoax_terms),
            model_version=scorer.model_version,
            note=note,
        )
        if con is not None:
            probe = f"{title or ''} {text}"
            result.similar = similar_items(con, probe)
            result.factchecks = closest_factchecks(con, probe)
            result.previous = previous_checks(con, text)
            links = [url] if url else GENERIC.links(query)
            result.linked = _linked(con, links, bands)
            _apply_evidence(result, f"{title or ''}\n{text}", bands)
            if url is None:  # a pasted message, not a link checked itself
                _judge_by_links(result, bool(links))
    finally:
        held.close()
    result.seconds = time.monotonic() - started
    return result


def _open_copy(db: str | Path | None, upgrade: Callable[[], None] | None) -> duckdb.DuckDBPyConnection:
    """The analysts' copy; one of an older saring is upgraded first by ``upgrade`` when given."""
    from saring.storage.database import OlderSchemaError, connect_snapshot

    try:
        return connect_snapshot(db, private=True)  # not an older check's instance: see connect_snapshot
    except OlderSchemaError as exc:
        if upgrade is None:
            raise
        LOGGER.info("check: %s; upgrading it first", exc)
        try:
            upgrade()
        except SaringError as busy:  # a run holds the file: it upgrades it itself
            LOGGER.warning("check: the database could not be upgraded now: %s", busy)
            raise exc from None
    return connect_snapshot(db, private=True)


def _linked(con: duckdb.DuckDBPyConnection, links: list[str], bands: DigestSettings) -> list[dict]:
    """The pages already stored that the checked link, or the links in the pasted message, point at."""
    from saring.report.digest import pages_of_links

    return pages_of_links(con, links, bands)[:3]


def _judge_by_links(result: CheckResult, has_links: bool) -> None:
    """A message that only forwards links takes the risk of the pages they point at (as in the
    digest); one whose links saring has not read says so."""
    from saring.judge.classifier.evidence import judged_by_links

    judged = judged_by_links(result.hoax_score, result.hoax_terms, [p["hoax_score"] for p in result.linked],
                             has_links)
    if judged is not None:
        result.hoax_score, result.hoax_terms = judged[0], [judged[1]]


def _apply_evidence(result: CheckResult, text: str, bands: DigestSettings) -> None:
    """Raise the risk to the fact-check floor (saring.judge.classifier.evidence) and put that reason first."""
    from saring.judge.classifier.evidence import best_evidence, served

    ev = best_evidence([(f.url, f.title, f.url, f.verdict, f.similarity) for f in result.factchecks],
                       text, bands.high, bands.medium)
    if ev is not None:
        result.hoax_score = served(result.hoax_score, ev)
        result.hoax_terms = [ev.reason, *result.hoax_terms]


def _join(a: str | None, b: str) -> str:
    return f"{a}; {b}" if a else b


def save_check(db: str | Path | None, result: CheckResult, lock_wait: float = 3.0) -> CheckResult:
    """Store the check (and recognise earlier checks of the same rumour) in one short write.

    Never raises for a busy or read-only database: ``result.saved`` and ``result.note`` say what happened.
    """
    from saring.storage.database import Store

    try:
        with Store(db, lock_wait=lock_wait) as store:
            store_check(store.con, result)
        result.saved = True
    except SaringError as exc:
        not_saved(result, exc)
    return result


def not_saved(result: CheckResult, exc: Exception) -> None:
    """Say in the result why it was not stored (it is still shown); the maintainer's reason is logged."""
    LOGGER.warning("check %s not stored: %s", result.check_id, exc)
    result.note = _join(result.note, "hasil belum tersimpan: database sedang dipakai proses saring lain "
                                     "atau tidak bisa ditulis (penyebabnya tercatat di log); coba lagi nanti")


def store_check(con: duckdb.DuckDBPyConnection, result: CheckResult) -> None:
    """The write of :func:`save_check` on an open write connection.

    The pasted text and the reasons quoting it are stored scrubbed (phone numbers, e-mail
    addresses, NIKs, contact links masked, as the tipline stores a chat): the checks table is
    published to the analysts' copy and no retention purge reaches it. Its fingerprint is of the
    text as pasted, so a repeat of the same message is still recognised."""
    from saring.collect.scrub import GENERIC

    result.previous = previous_checks(con, result.text)
    con.execute(
        """INSERT INTO checks (check_id, fingerprint, query, url, title, text, election_score,
                              hoax_score, election_terms, hoax_terms, model_version,
                              similar_json, factchecks_json, checked_by, checked_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            result.check_id,
            fingerprint(result.text),
            GENERIC.text(result.query),
            GENERIC.url(result.url)[0] if result.url else result.url,
            GENERIC.text(result.title),
            GENERIC.text(result.text),
            result.election_score,
            result.hoax_score,
            result.election_terms,
            [GENERIC.text(term) for term in result.hoax_terms],  # a reason may quote the text
            result.model_version,
            json.dumps([asdict(s) for s in result.similar], default=str),
            json.dumps([asdict(f) for f in result.factchecks]),
            result.checked_by,
            result.checked_at,
        ],
    )


def run_check(
    query: str,
    db: str | Path | None = None,
    scorer: Any = None,
    by: str | None = None,
    save: bool = True,
    lock_wait: float = 3.0,
    bands: DigestSettings | None = None,
) -> CheckResult:
    """Check a text or link and (by default) store it. See the module docstring."""
    from saring.storage.database import Store

    def upgrade() -> None:  # opening the writer migrates the file and publishes its copy
        Store(db, lock_wait=lock_wait).close()

    result = analyse(query, db, scorer, bands=bands, upgrade=upgrade if save else None)
    result.checked_by = by
    if save:
        started = time.monotonic() - result.seconds
        save_check(db, result, lock_wait)
        result.seconds = time.monotonic() - started
    return result


def _current(facts: list[FactCheck], con: duckdb.DuckDBPyConnection) -> list[FactCheck]:
    """The fact-checks a check found, with their title and verdict as stored now: a verdict the
    fact-checker put in the title after the check must reach the check's card."""
    keys = [_factcheck_id(f.url) for f in facts]
    now = {fid: (title, verdict) for fid, title, verdict in con.execute(
        "SELECT factcheck_id, coalesce(title, ''), coalesce(verdict, '') FROM factchecks "
        "WHERE factcheck_id IN (SELECT unnest(?))", [[k for k in keys if k]]).fetchall()}
    return [replace(f, title=now[k][0], verdict=now[k][1]) if k in now else f
            for f, k in zip(facts, keys, strict=True)]


def _factcheck_id(url: str) -> str | None:
    """The id a fact-check is stored under (its feed entry's link, as ingest keys it)."""
    from saring.collect.urls import url_key

    try:
        return url_key(url)
    except (SaringError, ValueError):
        return None


def load_check(con: duckdb.DuckDBPyConnection, check_id: str) -> CheckResult | None:
    """A stored check, or None."""
    row = con.execute(
        """SELECT check_id, query, url, title, text, election_score, hoax_score, election_terms,
                  hoax_terms, model_version, similar_json, factchecks_json, checked_at, checked_by
           FROM checks WHERE check_id = ?""",
        [check_id],
    ).fetchone()
    if row is None:
        return None
    similar = [Similar(**d) for d in json.loads(row[10] or "[]")]  # its times stay text
    facts = _current([FactCheck(**d) for d in json.loads(row[11] or "[]")], con)
    result = CheckResult(
        check_id=row[0],
        query=row[1],
        url=row[2],
        title=row[3],
        text=row[4] or "",
        election_score=row[5],
        hoax_score=row[6],
        election_terms=list(row[7] or []),
        hoax_terms=list(row[8] or []),
        model_version=row[9],
        similar=similar,
        factchecks=facts,
        checked_at=row[12],
        checked_by=row[13],
        saved=True,
    )
    result.previous = [
        p
        for p in previous_checks(con, result.text)
        if p.check_id != check_id and p.checked_at < result.checked_at
    ]
    return result

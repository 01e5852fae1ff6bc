"""Build the daily digest from the database and render it (WhatsApp text, HTML page).

The digest for date D holds the items saring first saw on D (Asia/Jakarta calendar day).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
from jinja2 import Environment, PackageLoader, select_autoescape

from saring.config import DigestSettings
from saring.health import SourceHealth, source_health

LOGGER = logging.getLogger(__name__)

WIB = ZoneInfo("Asia/Jakarta")
HARI = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
BULAN = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
         "September", "Oktober", "November", "Desember")


@dataclass(frozen=True)
class DigestItem:
    item_id: str
    title: str
    source_name: str
    region: str
    url: str
    published_at: datetime | None
    excerpt: str
    election_score: float
    hoax_score: float
    risk: str  # tinggi | sedang | rendah
    election_terms: list[str]
    hoax_terms: list[str]
    text_source: str | None


@dataclass(frozen=True)
class Digest:
    day: date
    generated_at: datetime
    items_seen: int
    unscored: int
    election_items: list[DigestItem]
    omitted: int
    health: list[SourceHealth] = field(default_factory=list)
    model_versions: list[str] = field(default_factory=list)

    @property
    def high_risk(self) -> int:
        return sum(i.risk == "tinggi" for i in self.election_items)

    @property
    def by_risk(self) -> dict[str, list[DigestItem]]:
        groups: dict[str, list[DigestItem]] = {"tinggi": [], "sedang": [], "rendah": []}
        for item in self.election_items:
            groups[item.risk].append(item)
        return groups


def today_wib() -> date:
    return datetime.now(WIB).date()


def tanggal(value: date | datetime) -> str:
    """'Rabu, 25 November 2026' (with ', 07.30 WIB' for a datetime)."""
    if isinstance(value, datetime):
        local = value.astimezone(WIB)
        return f"{tanggal(local.date())}, {local:%H.%M} WIB"
    return f"{HARI[value.weekday()]}, {value.day} {BULAN[value.month - 1]} {value.year}"


def risk_label(score: float, settings: DigestSettings) -> str:
    if score >= settings.high:
        return "tinggi"
    return "sedang" if score >= settings.medium else "rendah"


def excerpt(text: str | None, limit: int) -> str:
    """The first ``limit`` characters, cut at a word boundary."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


def _window(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=WIB)
    return start, start + timedelta(days=1)


def build_digest(con: duckdb.DuckDBPyConnection, day: date, settings: DigestSettings) -> Digest:
    """Collect the day's items, ranked by hoax risk, and the sources' health."""
    start, end = _window(day)
    rows = con.execute(
        """SELECT item_id, title, coalesce(source_name, source_id), coalesce(region, ''), url,
                  published_at, text, election_score, hoax_score, election_terms, hoax_terms,
                  text_source, model_version
           FROM item_overview
           WHERE first_seen_at >= ? AND first_seen_at < ?
           ORDER BY hoax_score DESC NULLS LAST, election_score DESC, item_id""",
        [start, end],
    ).fetchall()
    election: list[DigestItem] = []
    unscored = 0
    versions: set[str] = set()
    for r in rows:
        if r[8] is None:
            unscored += 1
            continue
        versions.add(r[12])
        if r[7] < settings.election_threshold:
            continue
        election.append(DigestItem(
            item_id=r[0], title=r[1] or "(tanpa judul)", source_name=r[2], region=r[3], url=r[4],
            published_at=r[5], excerpt=excerpt(r[6], settings.excerpt_chars),
            election_score=r[7], hoax_score=r[8], risk=risk_label(r[8], settings),
            election_terms=list(r[9] or [])[:5], hoax_terms=list(r[10] or [])[:5], text_source=r[11],
        ))
    shown = election[: settings.max_items]
    return Digest(
        day=day, generated_at=datetime.now(WIB), items_seen=len(rows), unscored=unscored,
        election_items=shown, omitted=len(election) - len(shown),
        health=source_health(con, start, end), model_versions=sorted(versions),
    )


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("saring", "templates"),
        autoescape=select_autoescape(["html", "html.j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["tanggal"] = tanggal
    env.filters["pct"] = lambda x: f"{round(100 * x)}%"
    return env


def render(digest: Digest, fmt: str) -> str:
    """Render as ``whatsapp`` (WhatsApp markup text) or ``html`` (standalone page)."""
    template = {"whatsapp": "digest_whatsapp.txt.j2", "html": "digest.html.j2"}[fmt]
    return _environment().get_template(template).render(d=digest)


def write_digest(digest: Digest, out_dir: str | Path) -> list[Path]:
    """Write ``digest-YYYY-MM-DD.txt`` and ``.html`` into ``out_dir``; returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt, suffix in (("whatsapp", "txt"), ("html", "html")):
        path = out / f"digest-{digest.day.isoformat()}.{suffix}"
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(render(digest, fmt), encoding="utf-8")
        tmp.replace(path)
        paths.append(path)
    return paths


def make_digest(
    db_path: str | Path | None, day: date, settings: DigestSettings, out_dir: str | Path
) -> tuple[Digest, list[Path]]:
    """Build, write and record the digest for ``day``; refreshes the analysts' snapshot."""
    from saring.store import Store

    with Store(db_path) as store:
        digest = build_digest(store.con, day, settings)
        paths = write_digest(digest, out_dir)
        store.record_digest(day, digest.items_seen, len(digest.election_items) + digest.omitted,
                            digest.high_risk, [str(p) for p in paths])
        store.publish_snapshot()
    return digest, paths

"""Build the daily digest from the database and render it in every format.

The digest for date D holds the items saring first saw on D (the forum's calendar day: its
``settings.schedule.timezone``, WIB unless set), plus
items reported in an earlier digest whose hoax score has since moved by more than
``settings.rereport_change``. An item already reported is otherwise never repeated.

Every format (WhatsApp text, HTML page, e-mail text/HTML, Markdown) is a Jinja2 template over
the same :class:`Digest`.
"""

from __future__ import annotations

import contextlib
import html as _html
import logging
import math
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import duckdb
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from saring import clock
from saring.collect.scrub import GENERIC
from saring.collect.tipline import page_link
from saring.collect.urls import canonical_url, page_key, url_key
from saring.config import DigestSettings, ForumSettings
from saring.errors import MalformedURLError, SaringError
from saring.judge.factcheck import verdict_label
from saring.judge.places import SCOPES, ForumScope, region_places
from saring.localtime import BULAN, HARI, TIME_ZONE, zone_label
from saring.report.health import (
    DeliveryHealth,
    Reads,
    SourceHealth,
    delivery_failures,
    duration_text,
    reads_of_day,
    source_health,
)
from saring.safetext import safe_link, strip_controls
from saring.storage.schema import outlet_name_sql, outlet_sql

LOGGER = logging.getLogger(__name__)


#: Formats and their templates; all render the same Digest.
FORMATS = {
    "whatsapp": "digest_whatsapp.txt.j2",
    "html": "digest.html.j2",
    "markdown": "digest.md.j2",
    "email_text": "email.txt.j2",
    "email": "email.html.j2",
}
#: The templates put this between blocks (header, each item, each section) where a chat
#: message may be split; it never reaches a reader.
BREAK = "\x1e"
#: Opens a block that is a section's heading: it goes in the same message as the block after it.
HEADING = "\x1d"



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
    seen_at: datetime | None = None
    previous_score: float | None = None  # hoax score when it was last reported, if it was
    previous_date: date | None = None
    factchecks: list[dict] = field(default_factory=list)  # verdict, title, url, label: shown_factchecks
    story_outlets: int = 1  # how many outlets carry the same story
    story_first: str | None = None  # the outlet that had it first
    kind: str | None = None
    places: list[str] = field(default_factory=list)  # provinces and kabupaten/kota it mentions
    scope: str | None = None  # area | province | other, when the forum's area is configured
    linked: list[dict] = field(default_factory=list)  # a forwarded message's links saring has read
    by_link: bool = False  # a message that only forwards links, judged by their pages
    copies: int = 1  # a forwarded message: how many times the same text came in
    found_via: str | None = None  # the source that found it, when not its outlet (a Google News search)

    @property
    def source_line(self) -> str:
        """Where it was found, as an item's line says it: "Malang Post (lewat Google News: pemilu)"."""
        return f"{self.source_name} (lewat {self.found_via})" if self.found_via else self.source_name

    @property
    def tipline_reasons(self) -> list[str]:
        """The reasons shown under a forwarded message: when its risk is not "rendah", or when
        they say it was judged by its links."""
        return self.hoax_terms if self.risk != "rendah" or self.by_link else []

    @property
    def when(self) -> datetime | None:
        """Publication time, else when saring first saw it."""
        return self.published_at or self.seen_at


@dataclass(frozen=True)
class Section:
    """A group of election items by where they happen (see :attr:`Digest.sections`)."""

    key: str  # area | province | other
    title: str
    emoji: str
    items: list[DigestItem]


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
    election_total: int | None = None  # election items first seen that day (shown or not)
    already_reported: int = 0  # election items left out because an earlier digest had them
    group_by: str = "region"
    tipline: list[DigestItem] = field(default_factory=list)  # "beredar di grup"
    forum_area: str | None = None  # "Kota Batu": election news is then shown in sections by place
    forum_province: str | None = None
    timezone: str = TIME_ZONE  # the forum's (settings.schedule.timezone): its day, and how times read
    reads: Reads | None = None  # the day's ingest runs: did saring read its sources at all
    bands: DigestSettings = field(default_factory=DigestSettings)  # its risk bands (risk_pct)
    deliveries: list[DeliveryHealth] = field(default_factory=list)  # channels whose sends failed

    @property
    def sections(self) -> list[Section]:
        """With a forum area/province: the forum's own area, the rest of its province, the rest
        (only the sections that have items), each ranked by hoax risk. Else empty."""
        if not (self.forum_area or self.forum_province):
            return []
        titles = {
            "area": ("📍", self.forum_area or ""),
            "province": ("🗺", f"{self.forum_province} di luar {self.forum_area}" if self.forum_area
                         else self.forum_province or ""),
            "other": ("🌐", f"Luar {self.forum_province} dan nasional" if self.forum_province
                      else "Daerah lain dan nasional"),
        }
        out = []
        for key in SCOPES:
            items = [i for i in self.election_items if (i.scope or "other") == key]
            if items:
                emoji, title = titles[key]
                out.append(Section(key, title, emoji, items))
        return out

    @property
    def election_count(self) -> int:
        if self.election_total is not None:
            return self.election_total
        return len(self.election_items) + self.omitted

    @property
    def high_risk(self) -> int:
        return sum(i.risk == "tinggi" for i in self.election_items)

    @property
    def tipline_high(self) -> int:
        """Forwarded messages (and their links) at high risk: counted in the headline too."""
        return sum(i.risk == "tinggi" for i in self.tipline)

    @property
    def high_items(self) -> list[DigestItem]:
        return [i for i in self.election_items if i.risk == "tinggi"]

    @property
    def other_groups(self) -> list[tuple[str, list[DigestItem]]]:
        """The election items that are not high-risk, grouped by region or outlet (A-Z)."""
        groups: dict[str, list[DigestItem]] = {}
        for item in self.election_items:
            if item.risk != "tinggi":
                key = item.region if self.group_by == "region" else item.source_name
                groups.setdefault(key or "Lainnya", []).append(item)
        return sorted(groups.items(), key=lambda kv: kv[0].casefold())

    @property
    def by_risk(self) -> dict[str, list[DigestItem]]:
        groups: dict[str, list[DigestItem]] = {"tinggi": [], "sedang": [], "rendah": []}
        for item in self.election_items:
            groups[item.risk].append(item)
        return groups

    @property
    def on_day(self) -> str:
        """'hari ini', or 'pada Rabu, 25 November 2026' for a digest of another day (the morning
        digest covers the day before)."""
        today = self.day == self.generated_at.astimezone(ZoneInfo(self.timezone)).date()
        return "hari ini" if today else f"pada {tanggal(self.day)}"

    @property
    def unread(self) -> bool:
        """No source could be read: an empty digest then means saring saw nothing, not a quiet day."""
        return bool(self.health) and all(h.status == "gagal" for h in self.health)

    @property
    def run_warning(self) -> str | None:
        """Saring did not read its sources that day, or stopped reading them long before its end
        (or now, on the desk): its digest is then no quiet day. None when all went as usual."""
        r = self.reads
        if r is None:
            return None
        end = _window(self.day, self.timezone)[1]
        at = min(end, clock.now())  # now: the desk shows a digest built at an earlier run
        if r.last_read_at is None:
            last = "belum pernah ada"
        else:  # how long ago, while the day lasts
            ago = f" ({duration_text(at - r.last_read_at)} lalu)" if at < end else ""
            last = tanggal(r.last_read_at, self.timezone) + ago
        if r.started == 0 and (at == end or r.behind(at)):
            return (f"Saring tidak berjalan {self.on_day}: tidak ada sumber yang dibaca, jadi berita "
                    f"tidak terpantau. Pembacaan terakhir: {last}.")
        if not r.behind(at):
            return None
        if r.read == 0:
            return (f"Semua pembacaan sumber {self.on_day} gagal ({r.started} kali dicoba), jadi berita "
                    f"tidak terpantau. Pembacaan terakhir yang berhasil: {last}.")
        return (f"Saring berhenti membaca sumber {self.on_day}. Pembacaan terakhir: {last}; "
                "berita sesudahnya tidak terpantau.")

    @property
    def scoring_warning(self) -> str | None:
        """The day's news was not all scored (the model files missing or broken, a run killed while
        scoring): "0 terkait pemilu, 0 berisiko" would then be a false all-clear. A run scores all
        it stores, so any unscored item means something went wrong."""
        if not self.unscored:
            return None
        if self.unscored < self.items_seen:
            return (f"{self.unscored} dari {self.items_seen} berita {self.on_day} belum dinilai model, "
                    "jadi hitungan berita pemilu dan risiko hoaks di sini belum lengkap.")
        return (f"Belum ada berita {self.on_day} yang dinilai model ({self.unscored} berita menunggu), "
                "jadi berita pemilu dan risiko hoaksnya belum bisa dipilah.")

    @property
    def warnings(self) -> list[str]:
        """What the headline warns of: saring did not read, or did not score, the day's news."""
        return [w for w in (self.run_warning, self.scoring_warning) if w]

    @property
    def problems(self) -> list[SourceHealth]:
        return [h for h in self.health if h.status != "ok"]

    @property
    def outlets(self) -> list[str]:
        """The outlets whose text is quoted (credited in the footer)."""
        return sorted({i.source_name for i in self.election_items}, key=str.casefold)

    @property
    def subject(self) -> str:
        group = f", {self.tipline_high} pesan di grup berisiko hoaks tinggi" if self.tipline_high else ""
        warning = (" (⚠️ pemantauan terhenti)" if self.run_warning or self.unread
                   else " (⚠️ berita belum dinilai)" if self.scoring_warning else "")
        return (f"Ringkasan Saring {tanggal(self.day)}{warning}: {self.election_count} berita pemilu, "
                f"{self.high_risk} berisiko hoaks tinggi{group}")


def today_wib() -> date:
    """Today in Jakarta on the pipeline's clock (:mod:`saring.clock`: a simulated run's day)."""
    from saring.localtime import today

    return today(TIME_ZONE)


class DigestDayError(SaringError):
    """The digest asked for is of a day still to come (or not a date: a ``day`` typed by hand)."""


def check_digest_day(day: date, timezone: str) -> None:
    """Refuse a day after today on the forum's clock (``settings.schedule.timezone``; Jakarta's
    when that is later): its digest would be empty, archived and read as a quiet day.

    Raises:
        DigestDayError: saying which day and what today is.
    """
    from saring.localtime import today as today_in

    today = max(today_in(timezone), today_wib())  # saring.clock: a simulated run's today
    if day > today:
        raise DigestDayError(f"{day.isoformat()} has not come yet (today is {today.isoformat()} in "
                             f"{timezone}): its digest would be empty; check the year and the month")


def tanggal(value: date | datetime, zone: str = TIME_ZONE) -> str:
    """'Rabu, 25 November 2026' (with ', 07.30 WIB' for a datetime, on the clock of ``zone``)."""
    if isinstance(value, datetime):
        try:
            local = value.astimezone(ZoneInfo(zone))
        except OverflowError:  # a feed's "never" date (9999-12-31) stored before feeds refused it
            local = value
        return f"{tanggal(local.date())}, {local:%H.%M} {zone_label(zone)}"
    return f"{HARI[value.weekday()]}, {value.day} {BULAN[value.month - 1]} {value.year}"


_HOAX_MODEL_DATE = re.compile(r"(?:^|\+)hoax-(\d{4})\.(\d\d)\.(\d\d)-")


def model_dates(versions: list[str]) -> str:
    """The models behind the scores as the chat digests name them: "versi 28 November 2026", the
    day the hoax model (the one that sets the risk) was made; a version not named so stays whole.
    The full versions (modelfiles.py) stay in the HTML and e-mail footers, for the maintainer."""
    shown: list[str] = []
    for version in versions:
        found = _HOAX_MODEL_DATE.search(version)
        try:
            made = date(*map(int, found.groups())) if found else None
        except ValueError:
            made = None
        text = f"{made.day} {BULAN[made.month - 1]} {made.year}" if made else version
        if text not in shown:
            shown.append(text)
    return "versi " + ", ".join(shown) if shown else "-"


def risk_label(score: float, settings: DigestSettings) -> str:
    if score >= settings.high:
        return "tinggi"
    return "sedang" if score >= settings.medium else "rendah"


def risk_pct(score: float, settings: DigestSettings) -> str:
    """The hoax score as a whole percentage that stays inside its band (:func:`risk_label`):
    rounded, except that 0.696 under a "tinggi" from 0.7 reads "69%", not "sedang (70%)"."""
    shown = round(100 * score)
    for edge in (settings.medium, settings.high):
        at = math.ceil(round(100 * edge, 6))  # the first whole percent in the band above the edge
        if score < edge and shown >= at:
            shown = at - 1
        elif score >= edge and shown < at:
            shown = at
    return f"{shown}%"


def excerpt(text: str | None, limit: int) -> str:
    """The first ``limit`` characters, cut at a word boundary. A link is never cut (it would open
    a page that does not exist): one longer than ``limit`` that opens the text is kept whole, and
    the "…" after a link stands apart (phones take a "…" glued to it into the address)."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    first, _, rest = text.partition(" ")
    if len(first) >= limit and _TEXT_LINK.match(first):
        return f"{first} …" if rest else first
    # A cut on the space after a word keeps that word: it fits whole (a link that just fits too).
    cut = text[:limit]
    head = (cut if text[limit] == " " else cut.rsplit(" ", 1)[0]).rstrip(",;:.")
    return head + (" …" if _TEXT_LINK.match(head.rpartition(" ")[2]) else "…")


def _window(day: date, zone: str = TIME_ZONE) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=ZoneInfo(zone))
    return start, start + timedelta(days=1)


def _digest_rows(con: duckdb.DuckDBPyConnection, day: date, settings: DigestSettings,
                 zone: str = TIME_ZONE) -> list[tuple]:
    """The day's items and the re-reported ones, ranked; column 6 (the text) is left NULL."""
    start, end = _window(day, zone)
    reported = """SELECT item_id, arg_max(hoax_score, digest_date) AS score,
                         max(digest_date) AS last_date
                  FROM digest_items WHERE digest_date < ? GROUP BY item_id"""
    places = """SELECT item_id, list(name ORDER BY first_pos, code) AS names,
                       list(code ORDER BY first_pos, code) AS codes
                FROM item_places WHERE item_id IN (SELECT item_id FROM wanted) GROUP BY item_id"""
    # The served score: text score raised by fact-check evidence.
    served = """SELECT l.item_id, l.model_version, l.election_score, l.election_terms,
                       greatest(l.hoax_score, coalesce(ev.floor, 0)) AS hoax_score,
                       CASE WHEN ev.floor IS NULL THEN l.hoax_terms
                            ELSE list_prepend(ev.reason, l.hoax_terms) END AS hoax_terms
                FROM latest l LEFT JOIN hoax_evidence ev USING (item_id)"""
    # The same columns as the item_overview view, but scores and articles are read only for
    # the wanted items: through the view, a day's digest scanned every stored article. The
    # texts are not read here: only the few items shown need theirs (their excerpt, see
    # _texts), and reading a day's texts scanned every stored text (seconds at 1 M articles).
    return con.execute(
        f"""WITH reported AS ({reported}),
           wanted AS (SELECT item_id FROM items WHERE first_seen_at >= ? AND first_seen_at < ?
                      UNION
                      SELECT item_id FROM reported),
           latest AS (SELECT * FROM scores WHERE item_id IN (SELECT item_id FROM wanted)
                      QUALIFY row_number() OVER (PARTITION BY item_id
                                                 ORDER BY scored_at DESC, model_version DESC) = 1),
           sc AS ({served}),
           a AS (SELECT item_id, title, published_at, text_source FROM articles
                 WHERE item_id IN (SELECT item_id FROM wanted)),
           st AS (SELECT item_id, story_id FROM stories WHERE item_id IN (SELECT item_id FROM wanted)),
           -- The members' group is not a medium (as in the weekly report and rumour_lifecycle).
           story AS (SELECT x.story_id,
                            count(DISTINCT {outlet_sql('s2', 'i2')})
                                FILTER (WHERE coalesce(i2.kind, '') <> 'tipline') AS outlets,
                            arg_min({outlet_name_sql('s2', 'i2')}, (i2.first_seen_at, i2.item_id))
                                FILTER (WHERE coalesce(i2.kind, '') <> 'tipline') AS first
                     FROM stories x JOIN items i2 USING (item_id) LEFT JOIN sources s2 USING (source_id)
                     WHERE x.story_id IN (SELECT story_id FROM st) GROUP BY x.story_id),
           fc AS (SELECT m.item_id, list({{'verdict': f.verdict, 'title': f.title, 'url': f.url}}
                                        ORDER BY m.similarity DESC) AS checks
                  FROM factcheck_matches m JOIN factchecks f USING (factcheck_id)
                  WHERE m.item_id IN (SELECT item_id FROM wanted) GROUP BY m.item_id),
           pl AS ({places})
           SELECT i.item_id, coalesce(a.title, i.title), {outlet_name_sql('s', 'i')},
                  coalesce(s.region, ''), i.url, coalesce(a.published_at, i.published_at),
                  NULL AS text, sc.election_score, sc.hoax_score, sc.election_terms,
                  sc.hoax_terms, a.text_source, sc.model_version, i.first_seen_at, r.score, r.last_date,
                  i.first_seen_at >= ? AND i.first_seen_at < ? AS in_window,
                  st.story_id, coalesce(story.outlets, 1), story.first, fc.checks, i.kind,
                  pl.names, pl.codes, coalesce(s.name, i.source_id) AS found
           FROM items i JOIN wanted USING (item_id)
           LEFT JOIN sources s USING (source_id) LEFT JOIN a USING (item_id)
           LEFT JOIN sc USING (item_id) LEFT JOIN reported r USING (item_id)
           LEFT JOIN st USING (item_id) LEFT JOIN story USING (story_id) LEFT JOIN fc USING (item_id)
           LEFT JOIN pl USING (item_id)
           WHERE ((i.first_seen_at >= ? AND i.first_seen_at < ?) OR abs(sc.hoax_score - r.score) > ?)
             AND i.first_seen_at < ?  -- a reported item counts only once seen (as the join did)
           ORDER BY sc.hoax_score DESC NULLS LAST, sc.election_score DESC, i.item_id""",
        [day, start, end, start, end, start, end, settings.rereport_change, end],
    ).fetchall()


SAME_PAGE_DAYS = 7
"""An article a digest reported is recognised for this many days when it comes back under another
address (a short link, http and https, the outlet's own feed): it is not reported again."""


def article_page(final_url: str | None, url: str | None) -> str:
    """The page an item's link led to (the article's address after redirects, else the link), as
    :func:`page_key`. A redirect to a site's front page says the article is gone: every dead link
    of a feed would otherwise be one page."""
    for address in (final_url, url):
        if address and urlsplit(address).path.strip("/"):
            return page_key(address)
    return page_key(url)


def _pages(con: duckdb.DuckDBPyConnection, day: date, start: datetime,
           item_ids: list[str]) -> tuple[dict[str, str], dict[str, float]]:
    """Each of these items' page (:func:`article_page`), and the pages the digests of the
    :data:`SAME_PAGE_DAYS` days before ``day`` reported, with the score they reported."""
    # As in _texts: an article is fetched after its item is first seen, so bounding both by time
    # lets the analysts' copy skip its older Parquet buckets (a day's margin for clocks).
    since = start - timedelta(days=SAME_PAGE_DAYS + 1)
    rows = con.execute(
        """WITH reported AS (SELECT item_id, arg_max(hoax_score, digest_date) AS score
                             FROM digest_items WHERE digest_date < ? AND digest_date >= ? GROUP BY item_id),
                w AS (SELECT unnest(?::VARCHAR[]) AS item_id UNION SELECT item_id FROM reported)
           SELECT i.item_id, a.final_url, i.url, r.score
           FROM (SELECT item_id, url FROM items
                 WHERE first_seen_at >= ? AND item_id IN (SELECT item_id FROM w)) i
           LEFT JOIN (SELECT item_id, final_url FROM articles
                      WHERE fetched_at >= ? AND item_id IN (SELECT item_id FROM w)) a USING (item_id)
           LEFT JOIN reported r USING (item_id)""",
        [day, day - timedelta(days=SAME_PAGE_DAYS), item_ids, since, since]).fetchall()
    pages = {item_id: article_page(final_url, url) for item_id, final_url, url, _ in rows}
    return pages, {pages[item_id]: score for item_id, _, _, score in rows if score is not None}


def shown_factchecks(checks: list[dict] | None, limit: int = 3) -> list[dict]:
    """The matched fact-checks shown under an item (verdict, title, url, label), best first: one per
    page (a fact-check stored under its http and https, or www and bare, address is one); ``label``
    is the verdict to show beside the title, None when the title already says it ("[HOAKS] ..."
    is not "[HOAKS]: [HOAKS] ...")."""
    shown: list[dict] = []
    pages: set[str] = set()
    for check in checks or []:
        fc = dict(check)
        page = page_key(fc.get("url"))
        if page in pages:
            continue
        pages.add(page)
        # "label": the verdict to show beside the title (the stored "verdict" stays as it is)
        fc["label"] = verdict_label(fc.get("verdict"), fc.get("title"))
        shown.append(fc)
    return shown[:limit]


def _texts(con: duckdb.DuckDBPyConnection, items: list[DigestItem]) -> dict[str, str | None]:
    """The text of each item as the item_overview view gives it (article, else summary)."""
    if not items:
        return {}
    # An article is fetched after its item is first seen, so rows older than the oldest item
    # cannot match. Saying so lets the analysts' copy skip its older Parquet buckets by their
    # time statistics (a filter on item_id alone decoded every stored text: 0.2-0.4 s at 1 M).
    # A day's margin covers clocks that disagree.
    since = min(i.seen_at for i in items) - timedelta(days=1)
    return dict(con.execute(
        """WITH w AS (SELECT unnest(?::VARCHAR[]) AS item_id)
           SELECT i.item_id, coalesce(a.text, i.summary)
           FROM (SELECT item_id, summary FROM items
                 WHERE first_seen_at >= ? AND item_id IN (SELECT item_id FROM w)) i
           LEFT JOIN (SELECT item_id, text FROM articles
                      WHERE fetched_at >= ? AND item_id IN (SELECT item_id FROM w)) a
           USING (item_id)""", [[i.item_id for i in items], since, since]).fetchall())


def build_digest(con: duckdb.DuckDBPyConnection, day: date, settings: DigestSettings,
                 forum: ForumSettings | None = None, timezone: str = TIME_ZONE) -> Digest:
    """Collect the day's items, ranked by hoax risk, and the sources' health.

    ``day`` is a calendar day in ``timezone`` (``settings.schedule.timezone``), whose clock the
    digest's times are shown on.

    With ``forum`` (``settings.forum``), election items are ordered by place first: the forum's
    own area, the rest of its province, the rest (see :attr:`Digest.sections`); an item that
    names no place is placed by its source's ``region``. ``settings.max_items`` keeps the
    first ones in that order.
    """
    start, end = _window(day, timezone)
    scope = ForumScope.of(forum.area, forum.province) if forum else None
    rows = _digest_rows(con, day, settings, timezone)
    # One article reached through two links (a short link and its own address) is two items: it
    # is counted, shown and reported once, by the page the links led to.
    pages, reported_pages = _pages(con, day, start, [r[0] for r in rows])
    seen_pages: set[str] = set()
    counted_pages: set[str] = set()
    pages_shown: set[str] = set()
    election: list[DigestItem] = []
    candidates: list[tuple[DigestItem, str | None, str | None]] = []  # with their story and page
    tipline: list[DigestItem] = []
    stories_shown: set[str] = set()
    seen = unscored = total = repeated = 0
    versions: set[str] = set()
    regions: dict[str, list[str]] = {}
    for r in rows:
        in_window = r[16]
        page = pages.get(r[0])
        seen += in_window and _first(page, seen_pages)
        if r[8] is None:
            unscored += 1
            continue
        versions.add(r[12])
        title, url, reasons = r[1], r[4], list(r[10] or [])[:5]
        if r[21] == "tipline":  # forwarded by members: scrubbed again on the way out (reasons quote it)
            title, url = GENERIC.text(title), GENERIC.url(url)[0] or "#"
            reasons = [GENERIC.text(reason) for reason in reasons]
        item = DigestItem(
            item_id=r[0], title=title or "(tanpa judul)", source_name=r[2], region=r[3], url=url,
            published_at=r[5], excerpt="",  # filled below for the items shown
            election_score=r[7], hoax_score=r[8], risk=risk_label(r[8], settings),
            election_terms=list(r[9] or [])[:5], hoax_terms=reasons, text_source=r[11],
            seen_at=r[13], previous_score=r[14], previous_date=r[15],
            factchecks=shown_factchecks(r[20]), story_outlets=r[18], story_first=r[19],
            kind=r[21], places=list(r[22] or []),
            scope=_scope(scope, r[23], r[3], regions) if scope else None,
            found_via=r[24] if r[24] != r[2] else None,
        )
        if item.kind == "tipline":  # what members forwarded is shown whatever its topic
            # A shared link whose page could not be read adds nothing to the message that held it.
            if in_window and item.text_source != "summary":
                tipline.append(item)
            continue
        if r[7] < settings.election_threshold:
            continue
        total += in_window and _first(page, counted_pages)
        if item.previous_score is not None and abs(r[8] - item.previous_score) <= settings.rereport_change:
            repeated += 1
            continue
        # its page reported under another link: that report stands for it, as for the item itself
        earlier = reported_pages.get(page) if item.previous_score is None and page is not None else None
        if earlier is not None and abs(r[8] - earlier) <= settings.rereport_change:
            repeated += 1
            continue
        candidates.append((item, r[17], page))
    if scope:  # the forum's own news first; sort() is stable, so hoax risk still ranks within
        candidates.sort(key=lambda c: SCOPES.index(c[0].scope or "other"))
    for item, story, page in candidates:
        if page is not None and not _first(page, pages_shown):
            continue  # (before the story: a story is shown only by an entry really shown)
        # One entry per story: its first item stands for the rest — the highest-risk one, or
        # with a forum area, the one nearest the forum (then highest risk).
        if story is not None:
            if story in stories_shown:
                continue
            stories_shown.add(story)
        election.append(item)
    # Messages are ranked by their links' pages before the cut: a "mohon dicek <link>" whose page
    # is risky must not be left out for its own harmless-looking text.
    tipline = _once(con, _with_links(con, tipline, settings))
    shown, tipline = _with_excerpts(con, election[: settings.max_items], tipline[: settings.max_items],
                                    settings.excerpt_chars)
    return Digest(
        day=day, generated_at=clock.now().astimezone(ZoneInfo(timezone)), items_seen=seen, unscored=unscored,
        election_items=shown, omitted=len(election) - len(shown),
        health=source_health(con, start, end), reads=reads_of_day(con, start, end),
        model_versions=sorted(versions),
        election_total=total, already_reported=repeated, group_by=settings.group_by,
        tipline=tipline,
        forum_area=scope.area.short if scope and scope.area else None,
        forum_province=scope.province.short if scope and scope.province else None,
        timezone=timezone, bands=settings, deliveries=delivery_failures(con, end, timezone),
    )


def _first(page: str | None, seen: set[str]) -> bool:
    """True the first time ``page`` is met (and always for an item whose page is not known)."""
    if page is None:
        return True
    if page in seen:
        return False
    seen.add(page)
    return True


def _with_excerpts(con: duckdb.DuckDBPyConnection, shown: list[DigestItem], tipline: list[DigestItem],
                   limit: int) -> tuple[list[DigestItem], list[DigestItem]]:
    """The items shown, with their excerpts (texts read for these items only)."""
    texts = _texts(con, shown + tipline)

    def cut(item: DigestItem) -> DigestItem:
        text = texts.get(item.item_id)
        if item.kind == "tipline":  # forwarded by members: scrubbed again on the way out
            # (a bounded prefix: the excerpt shows far less, and a fetched page can be long)
            text = GENERIC.text((text or "")[: limit * 4])
        return replace(item, excerpt=excerpt(text, limit))

    return [cut(i) for i in shown], [cut(i) for i in tipline]


def _with_links(con: duckdb.DuckDBPyConnection, tipline: list[DigestItem],
                settings: DigestSettings) -> list[DigestItem]:
    """Each forwarded message with the pages its links point at (see :func:`linked_pages`); one
    that only forwards links takes their risk (:func:`~saring.judge.classifier.evidence.judged_by_links`)
    and the messages are ranked again."""
    from saring.judge.classifier.evidence import judged_by_links

    linked = linked_pages(con, [i.item_id for i in tipline], settings)
    out = []
    for item in tipline:
        pages = linked.get(item.item_id, [])
        item = replace(item, linked=pages)
        scores = [p["hoax_score"] for p in pages]
        if judged := judged_by_links(item.hoax_score, item.hoax_terms, scores, item.item_id in linked):
            item = replace(item, hoax_score=judged[0], risk=risk_label(judged[0], settings),
                           hoax_terms=[judged[1]], by_link=bool(pages))
        out.append(item)
    return sorted(out, key=lambda i: -i.hoax_score)  # stable: ties keep the query's order


def _once(con: duckdb.DuckDBPyConnection, tipline: list[DigestItem]) -> list[DigestItem]:
    """One entry per text: a chain message forwarded by several members is shown once, with how
    many times it came in (its first, highest-ranked, copy stands for the rest)."""
    texts = _texts(con, tipline)
    first: dict[str, int] = {}
    out: list[DigestItem] = []
    for item in tipline:
        key = " ".join((texts.get(item.item_id) or "").split()).casefold()
        if key and key in first:
            out[first[key]] = replace(out[first[key]], copies=out[first[key]].copies + 1)
            continue
        if key:
            first[key] = len(out)
        out.append(item)
    return out


def linked_pages(con: duckdb.DuckDBPyConnection, item_ids: list[str], settings: DigestSettings,
                 most: int = 3) -> dict[str, list[dict]]:
    """The pages that the links of these forwarded messages point at and that saring has read and
    scored (a news article already stored, or a page fetched for the tipline), by message: the
    forum sees that page's own risk next to the message's ("please check <link>" says little by
    itself). A message with links of which none was read has an empty list; one without links, or
    an item that is not a tipline message, none."""
    try:
        rows = con.execute(
            """SELECT i.item_id, m.urls FROM items i JOIN tipline_messages m ON m.message_id = i.guid
               WHERE i.source_id = 'tipline' AND list_contains(?, i.item_id)""", [item_ids]).fetchall()
    except duckdb.Error:  # a database without the tipline
        return {}
    keys = {item_id: _link_keys(urls or []) for item_id, urls in rows}
    pages = _linked_pages(con, {k for ks in keys.values() for k in ks}, settings)
    return {item_id: [pages[k] for k in ks if k in pages][:most] for item_id, ks in keys.items() if ks}


def pages_of_links(con: duckdb.DuckDBPyConnection, urls: list[str], settings: DigestSettings) -> list[dict]:
    """The pages saring has read and scored that ``urls`` point at (title, source, url, hoax_score,
    risk), in the links' order: what `saring check` and the desk show for a pasted message."""
    keys = _link_keys(urls)
    pages = _linked_pages(con, set(keys), settings)
    return [pages[k] for k in keys if k in pages]


def _link_keys(urls: list[str]) -> list[str]:
    keys: list[str] = []
    for url in urls:
        with contextlib.suppress(MalformedURLError):  # it was never fetched either
            key = url_key(canonical_url(url))
            if key not in keys:
                keys.append(key)
    return keys


def _linked_pages(con: duckdb.DuckDBPyConnection, keys: set[str],
                  settings: DigestSettings) -> dict[str, dict]:
    if not keys:
        return {}
    pages = {}
    for item_id, title, source_id, source_name, url, score in con.execute(
        """SELECT item_id, title, source_id, source_name, url, hoax_score FROM item_overview
           WHERE list_contains(?, item_id) AND hoax_score IS NOT NULL AND text_source = 'page'""",
            [sorted(keys)]).fetchall():
        if source_id == "tipline":  # a page fetched for the chat: scrubbed again on the way out
            title, url = GENERIC.text(title), GENERIC.url(url)[0] or "#"
            source_name = urlsplit(url).hostname or source_name
        pages[item_id] = dict(title=title or url, source=source_name, url=url, hoax_score=score,
                              risk=risk_label(score, settings))
    return pages


def _scope(scope: ForumScope, codes: list[str] | None, region: str, cache: dict[str, list[str]]) -> str:
    """Where an item belongs for the forum: by the places it names, else by its source's region."""
    found = scope.scope(codes or [])
    if found is None:
        if region not in cache:
            cache[region] = [p.code for p in region_places(region)]
        found = scope.scope(cache[region])
    return found or "other"


def record_reported(con: duckdb.DuckDBPyConnection, digest: Digest) -> None:
    """Remember which items (and scores) this digest reported, replacing an earlier run's record."""
    con.execute("DELETE FROM digest_items WHERE digest_date = ?", [digest.day])
    if digest.election_items:
        con.executemany(
            "INSERT INTO digest_items (digest_date, item_id, hoax_score, risk, recorded_at) "
            "VALUES (?, ?, ?, ?, now())",
            [[digest.day, i.item_id, i.hoax_score, i.risk] for i in digest.election_items],
        )


# -- rendering ---------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|~!])")


def md_escape(value: object) -> str:
    """Text safe inside Markdown: one line, no markup, no raw HTML (titles come from the web)."""
    # Controls go first (as _finalize would after): one between spaces must not leave a space
    # inside the template's "*…*".
    return _MD_SPECIAL.sub(r"\\\1", _html.escape(" ".join(strip_controls(value).split()), quote=False))


def safe_url(value: str | None) -> str:
    """Only http(s) links are shown as links, percent-encoded so that nothing a feed appends to
    a link (a space and text, a ``)`` ending a Markdown link, a quote) can leave it; anything
    else (javascript:, data:, a broken address) becomes '#'."""
    return safe_link(value) or "#"


def wa_url(value: str | None) -> str:
    """A link for WhatsApp: :func:`safe_url` with ``*`` and ``~`` encoded too (bold, strike).

    ``_`` stays: it is common in real links (``@rina_jurnalis``), and with spaces encoded a
    link is one word, which WhatsApp does not format."""
    return safe_url(value).replace("*", "%2A").replace("~", "%7E")


_MARKUP = re.compile(r"[*_~`]+")
# A link in a text (a forwarded "mohon dicek <link>"): it ends before the punctuation or marks
# that close its sentence or a bold/italic span around it.
_TEXT_LINK = re.compile(r"(?:https?://|www\.)\S*?(?=[*_~`.,;:!?)\]'\"]*(?:\s|$))", re.I)


def wa_clean(value: object) -> str:
    """Text for WhatsApp: one line, and no stray markup characters that would bold/italicise.

    A mark between two words ("KPU_Batu") becomes a space, any other goes: "*Diteruskan* INFO"
    gives "Diteruskan INFO", not two spaces. In a link the marks are part of the address: "_"
    stays and the others are percent-encoded, as in :func:`wa_url`."""
    text = " ".join(strip_controls(value).split())  # first: see md_escape
    links = [m.span() for m in _TEXT_LINK.finditer(text)]

    def unmark(m: re.Match) -> str:
        if any(start <= m.start() < end for start, end in links):
            return m.group(0).replace("*", "%2A").replace("~", "%7E").replace("`", "%60")
        return " " if _joins(text, m.start(), m.end()) else ""

    return " ".join(_MARKUP.sub(unmark, text).split())


def wa_italic(value: object) -> str:
    """:func:`wa_clean` text in italics (``_…_``). A link that ends the text stays after them:
    WhatsApp takes a "_" right after a link into the address."""
    text = wa_clean(value)
    last = next(reversed(list(_TEXT_LINK.finditer(text))), None)
    if last is None or text[last.end():].strip(" .,;:!?)]'\"…"):  # "…": an excerpt cut after it
        return f"_{text}_" if text else ""
    head = text[:last.start()].rstrip()
    return f"_{head}_ {text[last.start():]}" if head else text[last.start():]


def _joins(text: str, start: int, end: int) -> bool:
    return 0 < start and end < len(text) and text[start - 1].isalnum() and text[end].isalnum()


def _finalize(value: object) -> object:
    """Every value a template prints loses control and bidi characters (Trojan-Source text)."""
    if value in (BREAK, HEADING) or not isinstance(value, str):
        return value
    cleaned = strip_controls(value)
    return Markup(cleaned) if isinstance(value, Markup) else cleaned


def environment(zone: str = TIME_ZONE, bands: DigestSettings | None = None) -> Environment:
    """The templates' environment; times are shown on the clock of ``zone`` (the forum's), hoax
    scores beside their band inside it (``bands``, the forum's settings.digest)."""
    env = Environment(
        loader=PackageLoader("saring.report", "templates"),
        autoescape=select_autoescape(["html", "html.j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize,
    )
    env.filters["tanggal"] = lambda value: tanggal(value, zone)
    env.filters["model_dates"] = model_dates
    env.filters["pct"] = lambda x: f"{round(100 * x)}%"
    env.filters["risk_pct"] = lambda x: risk_pct(x, bands or DigestSettings())
    env.filters["md"] = md_escape
    env.filters["url"] = safe_url
    env.filters["page_link"] = page_link  # a chat message's title leads nowhere
    env.filters["wa"] = wa_clean
    env.filters["wa_italic"] = wa_italic
    env.filters["wa_url"] = wa_url
    env.globals["BREAK"] = BREAK
    env.globals["HEADING"] = HEADING
    env.globals["RISK_TEXT"] = {"tinggi": "tinggi", "sedang": "sedang", "rendah": "rendah"}
    return env


def _render_raw(digest: Digest, fmt: str) -> str:
    try:
        template = FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown digest format {fmt!r}; one of {', '.join(FORMATS)}") from None
    return environment(digest.timezone, digest.bands).get_template(template).render(d=digest)


def _tidy(text: str) -> str:
    text = text.replace(BREAK, "").replace(HEADING, "")
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def render(digest: Digest, fmt: str) -> str:
    """Render the whole digest in ``fmt`` (a key of :data:`FORMATS`) as one document."""
    return _tidy(_render_raw(digest, fmt))


def chat_length(text: str) -> int:
    """Length as chat apps count it (UTF-16 code units: an emoji counts 2)."""
    return len(text.encode("utf-16-le")) // 2


_LINK = re.compile(r"https?://")
# A Markdown link opening a line ("### 1. [title](url)", "- [title](url) — ..."): its title may
# be shortened, its link not. A title's own brackets are escaped (md_escape).
_MD_LINK = re.compile(r"(?P<opening>[^\[]*\[)(?P<text>(?:\\.|[^\\\]])+)(?P<closing>\]\(https?://.*)")
_HEAD_LINES = 5  # an item's title, source, places and link (or a tipline message's text and link)
_SHORTEST = 60  # a shortened line keeps at least this much


def _shortenable(line: str) -> tuple[str, str, str, int] | None:
    """(opening, text, closing, least): the text of ``line`` that may be shortened, its markup
    or link around it, and the fewest characters it keeps. None: nothing of it can be shortened."""
    if _LINK.search(line):
        if not (m := _MD_LINK.fullmatch(line)):
            return None
        opening, closing = m["opening"], m["closing"]
        least = _SHORTEST // 2  # the link goes with it: the start of the title is enough to name it
    else:
        opening = re.match(r"[\s•*_~#>]*", line).group(0)
        closing = re.search(r"[*_~]*$", line[len(opening):]).group(0)
        least = _SHORTEST - len(opening) - len(closing) - 1
    return opening, line[len(opening):len(line) - len(closing)], closing, max(least, 1)


def _fit(lines: list[str], budget: int) -> list[str]:
    """``lines`` with their longest texts shortened at a word boundary (their markup kept closed,
    a link never cut: only a Markdown link's title) until all of them fit in ``budget``, or none
    can be shortened more."""
    lines = list(lines)
    while (excess := chat_length("\n".join(lines) + "\n") - budget) > 0:
        cuttable = {i: p for i, line in enumerate(lines)
                    if (p := _shortenable(line)) and len(p[1]) > p[3] + 1}
        if not cuttable:
            break
        i = max(cuttable, key=lambda i: chat_length(cuttable[i][1]))
        opening, inner, closing, least = cuttable[i]
        shorter = opening + excerpt(inner, max(len(inner) - excess - 1, least)) + closing
        if len(shorter) >= len(lines[i]):
            break
        lines[i] = shorter
    return lines


def split_messages(digest: Digest, fmt: str = "whatsapp", limit: int = 4000) -> list[str]:
    """The digest as chat messages of at most ``limit`` characters, split only between items.

    A continuation message starts with the digest's name and "bagian i/n". A single block longer
    than the limit (short messages, a long title or link) is cut at a line boundary as a last
    resort, its longest lines shortened so that an item's title stays with its link; a link is
    never cut (a message holding one longer than the limit runs over).
    """
    blocks = [b for b in _render_raw(digest, fmt).split(BREAK) if b.strip(HEADING + " \n")]
    bold = "*" if fmt == "whatsapp" else "**"
    reserve = 120  # room for the "bagian i/n" header and footer lines
    budget = max(limit - reserve, 200)
    parts: list[str] = []
    current = ""
    heading = ""  # section headings waiting for their first item: a heading never ends a message
    for block in blocks:
        if block.startswith(HEADING):
            heading += block[len(HEADING):]
            continue
        own = len(re.sub(r"\n{3,}", "\n\n", block).strip().split("\n"))
        block, heading = re.sub(r"\n{3,}", "\n\n", heading + block), ""
        skip = len(block.strip().split("\n")) - own  # the heading's lines, before the item's head
        while chat_length(block.strip()) > budget:  # last resort: cut an oversized block
            lines = block.strip().split("\n")
            # An item's title stays with its link: the lines down to the first link (within an
            # item's head) are one piece, its longest lines shortened to fit. A link is never
            # cut: for one longer than the budget the message runs over.
            end = next((i for i, line in enumerate(lines[skip:skip + _HEAD_LINES], skip)
                        if _LINK.search(line)), skip) + 1
            skip = 0
            head = "\n".join(_fit(lines[:end], budget)) + "\n"
            lines = lines[end:]
            while lines and chat_length(head + lines[0] + "\n") <= budget:
                head += lines.pop(0) + "\n"
            if current.strip():
                parts.append(current)
            parts.append(head)
            current = ""
            block = "\n".join(lines)
        if current and chat_length(current + block) > budget:
            parts.append(current)
            current = block.lstrip("\n")
        else:
            current += block
    current += heading
    if current.strip(HEADING + " \n"):
        parts.append(current)
    n = len(parts)
    if n == 1:
        return [_tidy(parts[0])]
    out = []
    for i, part in enumerate(parts, 1):
        text = _tidy(part)
        if i > 1:
            text = f"{bold}Ringkasan Saring · {tanggal(digest.day)}{bold} (bagian {i}/{n})\n\n" + text
        if i < n:
            text += f"\n_(bersambung ke bagian {i + 1}/{n})_\n"
        out.append(text)
    return out

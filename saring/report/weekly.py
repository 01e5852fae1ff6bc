"""The forum's weekly picture: one ISO week (Monday-Sunday on the forum's clock,
``settings.schedule.timezone``, WIB unless set) of what saring saw.

Items count by the day saring first saw them, as in the daily digest. The report holds the five
numbers that matter with the change from the week before, election items per day by risk level,
election items by area (or by outlet), the stories carried by the most outlets and the rumours
that got a clarification card, with whether they kept circulating after it. Charts are drawn by
:mod:`saring.report.charts`; files and messages are written by :mod:`saring.report.weekly_files`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import duckdb

from saring import clock
from saring.collect.retention import PURGED_TITLE
from saring.collect.urls import page_key
from saring.config import DigestSettings, ForumSettings
from saring.errors import SaringError
from saring.judge.places import SCOPES, ForumScope, region_places
from saring.localtime import TIME_ZONE, zone_label
from saring.localtime import today as forum_today
from saring.report.digest import article_page, excerpt, risk_label, shown_factchecks
from saring.storage.schema import outlet_name_sql, outlet_sql

LOGGER = logging.getLogger(__name__)

HARI_SINGKAT = ("Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min")
_WEEK = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.I)
TOP_STORIES = 5


class WeekError(SaringError):
    """The week asked for is not a week like 2026-W47 or a date like 2026-11-22.

    The message is the CLI's and the flow's, in English and naming their options; ``said`` is the
    same for the forum's desk, in Indonesian.
    """

    def __init__(self, message: str,
                 said: str = "Minggu yang diminta tidak dikenali: tulis minggu seperti 2026-W47.") -> None:
        super().__init__(message)
        self.said = said


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def parse_week(week: str | None = None, end: str | None = None, today: date | None = None,
               names: tuple[str, str] = ("--week", "--end")) -> date:
    """The Monday of the week to report on.

    ``week`` ("2026-W47") names an ISO week; ``end`` (a date) picks the week that holds it;
    with neither, the last complete week before ``today`` (what the Monday-morning run wants).
    ``names`` call the two in errors as the caller's user typed them (the Prefect flow's parameter
    is ``week``, not ``--week``), as ``check_week_over``'s ``advice``.

    Raises:
        WeekError: both given, or one that is not a week/date.
    """
    week_name, end_name = names
    if week and end:
        raise WeekError(f"give either {week_name} or {end_name}, not both",
                        "Isi minggu atau tanggal saja, jangan keduanya.")
    if week:
        found = _WEEK.match(week)
        if not found:
            raise WeekError(f"{week_name} {week!r} is not a week like 2026-W47",
                            f"“{week}” bukan minggu yang dikenali: tulis tahun, huruf W, lalu nomor "
                            "minggunya, seperti 2026-W47.")
        year = int(found[1])
        if not 1970 <= year <= 9998:  # the weeks around it must be on the calendar too
            raise WeekError(f"{week_name} {week!r}: the year must be between 1970 and 9998",
                            f"Minggu “{week}” tidak bisa ditampilkan: tahunnya harus antara 1970 dan 9998, "
                            "seperti 2026-W47.")
        try:
            return date.fromisocalendar(year, int(found[2]), 1)
        except ValueError:
            weeks = date(year, 12, 28).isocalendar()[1]  # 28 December is always in the year's last week
            raise WeekError(f"{week_name} {week!r}: that year has no such week",
                            f"Tahun {year} hanya punya {weeks} minggu, jadi “{week}” tidak ada: tulis "
                            "minggu seperti 2026-W47.") from None
    if end:
        try:
            return monday_of(date.fromisoformat(end.strip()))
        except ValueError:
            raise WeekError(f"{end_name} {end!r} is not a date like 2026-11-22",
                            f"“{end}” bukan tanggal yang dikenali: tulis tanggal seperti 2026-11-22."
                            ) from None
    today = today or forum_today(TIME_ZONE)
    return monday_of(today) - timedelta(days=7)


def week_over(monday: date, now: datetime | None = None, zone: str = TIME_ZONE) -> bool | None:
    """True when the week (on the clock of ``zone``) has ended, False while it runs, None when it
    has not started yet."""
    from saring import clock

    start, end = week_window(monday, zone)
    now = now or clock.now()  # a simulated run's instant (the demo's weeks, clock.frozen)
    return None if now < start else now >= end


#: What `saring report weekly` can do about a week still running; a caller without these flags
#: (the Prefect flow) passes its own ``advice``.
CLI_ADVICE = "give --partial to write it anyway (for the last complete week, give neither --week nor --end)"


def check_week_over(monday: date, partial: bool = False, now: datetime | None = None,
                    zone: str = TIME_ZONE, advice: str = CLI_ADVICE) -> None:
    """Refuse a week that has not started, and one still running unless ``partial``.

    A report of days still to come says "0 berita pemilu" and reads as an all-clear. ``advice`` ends
    the refusal of a running week: what the caller's user can do, in the caller's own terms.

    Raises:
        WeekError: saying which week and why.
    """
    over = week_over(monday, now, zone)
    if over is None:
        raise WeekError(f"week {week_label(monday)} ({hari(monday)} {monday.year}) has not started yet: "
                        "its report would be all zeros")
    if not over and not partial:
        sunday = monday + timedelta(days=6)
        raise WeekError(f"week {week_label(monday)} has not ended yet (it ends on {hari(sunday)} "
                        f"{sunday.year} at midnight {zone_label(zone)}): its report would count only the "
                        f"days so far; {advice}")


def week_label(monday: date) -> str:
    """'2026-W47' (ISO year and week)."""
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def hari(day: date) -> str:
    """'Sen 16/11': the short day name and day/month, as the charts label dates."""
    return f"{HARI_SINGKAT[day.weekday()]} {day.day}/{day.month}"


@dataclass(frozen=True)
class Totals:
    items: int = 0
    election: int = 0
    high_risk: int = 0
    factcheck_matches: int = 0
    tipline: int = 0

    LABELS = (("items", "Berita & unggahan terpantau"), ("election", "Berita pemilu"),
              ("high_risk", "Berita pemilu berisiko hoaks tinggi"),
              ("factcheck_matches", "Cocok dengan cek fakta"), ("tipline", "Beredar di grup (pesan)"))


@dataclass(frozen=True)
class DayRisk:
    day: date
    tinggi: int = 0
    sedang: int = 0
    rendah: int = 0


@dataclass(frozen=True)
class StoryRow:
    story_id: str
    title: str
    outlets: int
    items: int
    first_seen: datetime | None
    factcheck: str | None = None  # "SALAH: judul cek fakta"
    card_at: datetime | None = None
    forwards: int = 0  # the members' group's messages and links (``items``: the outlets' pages)

    @property
    def spread(self) -> str:
        """'3 media, 3 berita, 1 pesan/tautan di grup', leaving out what it has none of: the group's
        forwards are no news, as the digest's "Beredar di grup (N pesan/tautan)" tells them apart."""
        parts = [f"{self.outlets} media, {self.items} berita"] if self.items else []
        return ", ".join(parts + ([f"{self.forwards} pesan/tautan di grup"] if self.forwards else []))


@dataclass(frozen=True)
class Clarified:
    """A clarification card and what happened to its rumour afterwards."""

    kind: str  # item | check
    ref: str
    title: str
    made_at: datetime
    made_by: str | None
    channel: str | None
    story_id: str | None
    mentions_after: int | None  # items of its story first seen after the card; None: no story

    @property
    def still_spreading(self) -> bool | None:
        return None if self.mentions_after is None else self.mentions_after > 0


@dataclass(frozen=True)
class WeeklyReport:
    monday: date
    generated_at: datetime
    totals: Totals
    previous: Totals
    days: list[DayRisk]
    areas: list[tuple[str, int]]  # (label, election items), in display order
    areas_by: str  # wilayah | media
    stories: list[StoryRow] = field(default_factory=list)
    clarified: list[Clarified] = field(default_factory=list)
    forum_area: str | None = None
    timezone: str = TIME_ZONE  # the forum's (settings.schedule.timezone): its days, and how times read

    @property
    def zone_label(self) -> str:
        return zone_label(self.timezone)

    @property
    def day(self) -> date:
        """The date the send log keys the report on: its Monday."""
        return self.monday

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def label(self) -> str:
        return week_label(self.monday)

    @property
    def period(self) -> str:
        # a week across New Year (2026-W01 starts on 29/12/2025) names both years
        first = hari(self.monday) + (f" {self.monday.year}" if self.monday.year != self.sunday.year else "")
        return f"{first} – {hari(self.sunday)} {self.sunday.year}"

    @property
    def numbers(self) -> list[tuple[str, int, int]]:
        """(label, this week, change from the week before) for the five numbers."""
        return [(text, getattr(self.totals, key), getattr(self.totals, key) - getattr(self.previous, key))
                for key, text in Totals.LABELS]

    @property
    def subject(self) -> str:
        return (f"Laporan Mingguan Saring {self.label} ({self.period}): {self.totals.election} berita "
                f"pemilu, {self.totals.high_risk} berisiko hoaks tinggi")


def week_window(monday: date, zone: str = TIME_ZONE) -> tuple[datetime, datetime]:
    start = datetime.combine(monday, time(0), tzinfo=ZoneInfo(zone))
    return start, start + timedelta(days=7)


def _rows(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, zone: str) -> list[tuple]:
    """Every item first seen in [start, end): its day (in ``zone``), kind, channel, outlet, region,
    scores, places, and the page its link led to (as the daily digest tells it: ``article_page``)."""
    # An article is fetched after its item is first seen: bounding it by time lets the analysts'
    # copy skip its older Parquet buckets (a day's margin for clocks, as in the digest).
    rows = con.execute(
        f"""WITH w AS (SELECT * FROM items WHERE first_seen_at >= ? AND first_seen_at < ?)
           SELECT w.item_id, CAST(timezone(?, w.first_seen_at) AS DATE), w.kind, w.channel,
                  {outlet_name_sql('s', 'w')}, coalesce(s.region, ''), sc.election_score, sc.hoax_score,
                  (SELECT list(p.code) FROM item_places p WHERE p.item_id = w.item_id), a.final_url, w.url
           FROM w LEFT JOIN sources s USING (source_id) LEFT JOIN served_scores sc USING (item_id)
           LEFT JOIN (SELECT item_id, final_url FROM articles WHERE fetched_at >= ?) a USING (item_id)
           ORDER BY w.first_seen_at, w.item_id""",
        [start, end, zone, start - timedelta(days=1)]).fetchall()
    return [(*r[:9], article_page(r[9], r[10])) for r in rows]


def _election(rows: list[tuple], settings: DigestSettings) -> list[tuple]:
    """The election items (not the members' forwards), one per page as in the daily digest: one
    article reached through two links (a short link, the outlet's own feed) is one. Its riskiest
    item stands for it (the one the digest shows), on the day the page was first seen."""
    first: dict[str, tuple] = {}
    riskiest: dict[str, tuple] = {}
    for r in rows:  # by first sighting
        if r[2] == "tipline" or r[6] is None or r[6] < settings.election_threshold:
            continue
        first.setdefault(r[9], r)
        if r[9] not in riskiest or r[7] > riskiest[r[9]][7]:
            riskiest[r[9]] = r
    return [(r[0], first[page][1], *r[2:]) for page, r in riskiest.items()]


def _totals(con: duckdb.DuckDBPyConnection, rows: list[tuple], start: datetime, end: datetime,
            settings: DigestSettings) -> Totals:
    election = _election(rows, settings)
    pages = {r[0]: r[9] for r in rows}
    # one fact-check stored under its http and https (or www and bare) address is one page: runs now
    # keep one match per page, but matches stored before stay
    matched = con.execute(
        """SELECT m.item_id, coalesce(f.url, m.factcheck_id)
           FROM factcheck_matches m JOIN items i USING (item_id) LEFT JOIN factchecks f USING (factcheck_id)
           WHERE i.first_seen_at >= ? AND i.first_seen_at < ?""", [start, end]).fetchall()
    return Totals(
        items=len(set(pages.values())), election=len(election),
        high_risk=sum(risk_label(r[7], settings) == "tinggi" for r in election),
        factcheck_matches=len({(pages.get(item_id, item_id), page_key(fc)) for item_id, fc in matched}),
        # a forwarded message is one rumour; the links it carried are items of their own
        tipline=sum(r[2] == "tipline" and r[3] == "grup" for r in rows),
    )


def _areas(rows: list[tuple], settings: DigestSettings, forum: ForumSettings | None
           ) -> tuple[list[tuple[str, int]], str]:
    election = _election(rows, settings)
    scope = ForumScope.of(forum.area, forum.province) if forum else None
    if scope is None:  # no forum area: by outlet, the six busiest, then the rest
        counts: dict[str, int] = {}
        for r in election:
            counts[r[4]] = counts.get(r[4], 0) + 1
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].casefold()))
        rest = sum(n for _, n in ranked[6:])
        return ranked[:6] + ([("Lainnya", rest)] if rest else []), "media"
    area = scope.area.short if scope.area else None
    province = scope.province.short if scope.province else None
    labels = {"area": area or province or "Wilayah forum",
              "province": f"{province} lainnya" if area else (province or "Provinsi"),
              "other": "Nasional & daerah lain"}
    regions: dict[str, list[str]] = {}
    counts = dict.fromkeys(SCOPES, 0)
    for r in election:
        found = scope.scope(r[8] or [])
        if found is None:  # no place named: the outlet's region, until places are detected
            if r[5] not in regions:
                regions[r[5]] = [p.code for p in region_places(r[5])]
            found = scope.scope(regions[r[5]])
        counts[found or "other"] += 1
    return [(labels[k], counts[k]) for k in SCOPES if k != "area" or area], "wilayah"


def _stories(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime,
             pages: dict[str, str]) -> list[StoryRow]:
    """The week's stories carried most widely; ``pages``: each item of the week's page (:func:`_rows`),
    so that one article reached through two links is one of its story's items, as in the digest."""
    rows = con.execute(
        f"""WITH pg AS (SELECT unnest(?::VARCHAR[]) AS item_id, unnest(?::VARCHAR[]) AS page),
                w AS (SELECT st.story_id, i.item_id, {outlet_sql('o', 'i')} AS outlet, i.kind,
                              i.first_seen_at, coalesce(a.title, i.title) AS title,
                              coalesce(pg.page, i.item_id) AS page
                       FROM stories st JOIN items i USING (item_id) LEFT JOIN articles a USING (item_id)
                       LEFT JOIN sources o USING (source_id) LEFT JOIN pg USING (item_id)
                       WHERE i.first_seen_at >= ? AND i.first_seen_at < ?),
                s AS (SELECT story_id,
                             count(DISTINCT outlet) FILTER (WHERE coalesce(kind, '') <> 'tipline')
                                 AS outlets,
                             count(DISTINCT page) FILTER (WHERE coalesce(kind, '') <> 'tipline') AS items,
                             count(DISTINCT page) FILTER (WHERE kind = 'tipline') AS forwards,
                             count(DISTINCT page) AS pages, min(first_seen_at) AS first_seen,
                             arg_min(title, (first_seen_at, item_id)) AS title
                      FROM w GROUP BY story_id),
                fc AS (SELECT st.story_id,
                              arg_max({{'verdict': f.verdict, 'title': f.title, 'url': f.url}},
                                      m.similarity) AS check
                       FROM factcheck_matches m JOIN factchecks f USING (factcheck_id)
                       JOIN stories st ON st.item_id = m.item_id
                       WHERE st.story_id IN (SELECT story_id FROM s) GROUP BY st.story_id),
                cards AS (SELECT st.story_id, min(c.made_at) AS card_at
                          FROM clarification_cards c JOIN stories st ON st.item_id = c.item_id
                          WHERE c.made_at < ? GROUP BY st.story_id)
           SELECT s.story_id, s.title, s.outlets, s.items, s.first_seen, fc.check, cards.card_at, s.forwards
           FROM s LEFT JOIN fc USING (story_id) LEFT JOIN cards USING (story_id)
           WHERE s.pages > 1 OR s.outlets > 1 OR fc.check IS NOT NULL
           ORDER BY s.outlets DESC, s.pages DESC, s.first_seen, s.story_id LIMIT ?""",
        [list(pages), list(pages.values()), start, end, end, TOP_STORIES]).fetchall()
    return [StoryRow(r[0], " ".join((r[1] or "(tanpa judul)").split()), r[2], r[3], r[4], _named(r[5]), r[6],
                     r[7]) for r in rows]


def _named(check: dict | None) -> str | None:
    """A story's fact-check as the report names it: "SALAH: title", or the title alone when it
    already says the verdict ("[HOAKS] ..."), or when saring cannot read one; its address without a title."""
    if not check:
        return None
    shown = shown_factchecks([check])[0]
    title = shown["title"] or shown["url"]
    return f"{shown['label']}: {title}" if shown["label"] else title


def _clarified(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime) -> list[Clarified]:
    """Cards made this week, and earlier cards whose story came back this week."""
    # A check's card is named by the item it matched, but by the checked text (never purged) once
    # retention replaced that forward's text with its placeholder.
    purged = "'" + PURGED_TITLE.replace("'", "''") + "'"
    cards = """SELECT c.*, st.story_id FROM clarification_cards c
               LEFT JOIN stories st ON st.item_id = c.item_id WHERE c.made_at < ?"""
    rows = con.execute(
        f"""WITH c AS ({cards}),
                week AS (SELECT DISTINCT st.story_id FROM stories st JOIN items i USING (item_id)
                         WHERE i.first_seen_at >= ? AND i.first_seen_at < ?)
           SELECT c.kind, c.ref,
                  coalesce(nullif(a.title, {purged}), nullif(i.title, {purged}), ch.title, ch.query, a.title,
                           i.title, c.ref),
                  c.made_at, c.made_by,
                  c.channel, c.story_id, c.card_id
           FROM c LEFT JOIN items i ON i.item_id = c.item_id
           LEFT JOIN articles a ON a.item_id = c.item_id
           LEFT JOIN checks ch ON c.kind = 'check' AND ch.check_id = c.ref
           WHERE c.made_at >= ? OR c.story_id IN (SELECT story_id FROM week)
           -- one rumour once: cards of one story, or (near no story) of one item or checked text,
           -- made on other days or by other members, are its first card
           QUALIFY row_number() OVER (PARTITION BY coalesce(c.story_id, c.item_id, c.kind || ':' || c.ref)
                                      ORDER BY c.made_at, c.card_id) = 1
           ORDER BY c.made_at""",
        [end, start, end, start]).fetchall()
    # The pages of its story first seen after the card: one article reached through two links is
    # one mention, as it is one item in the digest (article_page).
    later: dict[str, set[str]] = {}
    for card_id, final_url, url in con.execute(
            f"""WITH c AS ({cards} AND c.card_id IN (SELECT unnest(?::VARCHAR[])))
                SELECT c.card_id, a.final_url, i.url
                FROM c JOIN stories st ON st.story_id = c.story_id JOIN items i ON i.item_id = st.item_id
                LEFT JOIN articles a ON a.item_id = i.item_id
                WHERE i.first_seen_at > c.made_at AND i.first_seen_at < ?""",
            [end, [r[7] for r in rows if r[6] is not None], end]).fetchall():
        later.setdefault(card_id, set()).add(article_page(final_url, url))
    # A checked text is the whole pasted message: shortened between words ("... tidak ada hub" read as cut).
    return [Clarified(r[0], r[1], excerpt(str(r[2]), 200), r[3], r[4], r[5], r[6],
                      None if r[6] is None else len(later.get(r[7], ())))
            for r in rows]


def build_weekly(con: duckdb.DuckDBPyConnection, monday: date, settings: DigestSettings,
                 forum: ForumSettings | None = None, timezone: str = TIME_ZONE) -> WeeklyReport:
    """Collect the week starting ``monday`` (and the numbers of the week before) from ``con``.

    The week runs from Monday midnight on the clock of ``timezone`` (``settings.schedule.timezone``).

    ``con`` is a migrated database (or its analysts' snapshot): the views and the v8 tables exist.
    """
    if monday.weekday() != 0:
        raise WeekError(f"{monday} is not a Monday")
    start, end = week_window(monday, timezone)
    rows = _rows(con, start, end, timezone)
    previous_rows = _rows(con, start - timedelta(days=7), start, timezone)
    by_day = {monday + timedelta(days=i): {"tinggi": 0, "sedang": 0, "rendah": 0} for i in range(7)}
    for r in _election(rows, settings):
        if r[1] in by_day:
            by_day[r[1]][risk_label(r[7], settings)] += 1
    areas, areas_by = _areas(rows, settings, forum)
    checks_table = bool(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'checks'").fetchone()[0])
    if not checks_table:  # a database where nobody ever used the check box
        con.execute("CREATE TEMP TABLE IF NOT EXISTS checks (check_id VARCHAR, title VARCHAR, query VARCHAR)")
    return WeeklyReport(
        monday=monday, generated_at=clock.now().astimezone(ZoneInfo(timezone)),
        totals=_totals(con, rows, start, end, settings),
        previous=_totals(con, previous_rows, start - timedelta(days=7), start, settings),
        days=[DayRisk(d, **c) for d, c in by_day.items()],
        areas=areas, areas_by=areas_by, stories=_stories(con, start, end, {r[0]: r[9] for r in rows}),
        clarified=_clarified(con, start, end),
        forum_area=forum.area if forum else None,
        timezone=timezone,
    )

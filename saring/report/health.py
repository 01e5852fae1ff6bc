"""Source health: which sources fail, which went silent, for the digest and the CLI; and which
delivery channels failed to get a report since they last got one (:func:`delivery_failures`).

A source is *silent* when it has given nothing new for much longer than it usually does:
more than ``SILENCE_FACTOR`` times its median gap between batches of new items (and at
least ``MIN_SILENCE``), judged only once it has a few batches of history.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import duckdb

from saring import clock
from saring.localtime import TIME_ZONE

SILENCE_FACTOR = 3.0
MIN_SILENCE = timedelta(hours=24)
MIN_BATCHES = 3
HISTORY_DAYS = 30
#: The usual time between ingest runs until the runs show their own: settings.schedule.ingest's default.
RUN_INTERVAL = timedelta(hours=1)
#: Saring is behind once it has read nothing for SILENCE_FACTOR usual intervals, and at least this.
MIN_BEHIND = timedelta(hours=2)


@dataclass(frozen=True)
class SourceHealth:
    """One line of the digest's health section."""

    source_id: str
    name: str
    status: str  # gagal | sepi | ok
    detail: str


@dataclass(frozen=True)
class SourceStatus:
    """Everything known about one source's health (``saring sources status``)."""

    source_id: str
    name: str
    enabled: bool
    kind: str | None
    last_status: str | None
    last_success_at: datetime | None
    consecutive_failures: int
    last_error: str | None
    items_today: int
    items_7d: int
    last_new_item_at: datetime | None
    usual_gap: timedelta | None
    silent: bool


# What a source brings: a news or social feed its items, a fact-checker's feed its fact-checks.
ARRIVALS = ("SELECT source_id, item_id, first_seen_at FROM items UNION ALL "
            "SELECT source_id, factcheck_id, first_seen_at FROM factchecks")


def source_status(con: duckdb.DuckDBPyConnection, now: datetime | None = None,
                  zone: str | None = None) -> list[SourceStatus]:
    """Health of every configured source as of ``now`` (default: :func:`saring.clock.now`);
    "today" starts at midnight on the clock of ``zone`` (the forum's, default WIB)."""
    from zoneinfo import ZoneInfo

    from saring import clock
    from saring.localtime import TIME_ZONE

    now = now or clock.now()
    since = now - timedelta(days=HISTORY_DAYS)
    gaps = {
        source_id: (timedelta(seconds=gap), n)
        for source_id, gap, n in con.execute(
            f"""WITH batches AS (SELECT DISTINCT source_id, first_seen_at FROM ({ARRIVALS})
                                WHERE first_seen_at >= ? AND first_seen_at <= ?),
                    gaps AS (SELECT source_id, epoch(first_seen_at) - lag(epoch(first_seen_at))
                                 OVER (PARTITION BY source_id ORDER BY first_seen_at) AS gap
                             FROM batches)
               SELECT source_id, quantile_disc(gap, 0.5), count(*) + 1 FROM gaps
               WHERE gap IS NOT NULL GROUP BY source_id""",
            [since, now],
        ).fetchall()
    }
    day_start = now.astimezone(ZoneInfo(zone or TIME_ZONE)).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = con.execute(
        f"""SELECT s.source_id, s.name, s.enabled, s.kind, s.last_status, s.last_success_at,
                  coalesce(s.consecutive_failures, 0), s.last_error,
                  count(i.item_id) FILTER (WHERE i.first_seen_at >= ?),
                  count(i.item_id) FILTER (WHERE i.first_seen_at >= ?),
                  max(i.first_seen_at)
           FROM sources s LEFT JOIN ({ARRIVALS}) i ON i.source_id = s.source_id AND i.first_seen_at <= ?
           GROUP BY ALL ORDER BY s.source_id""",
        [day_start, now - timedelta(days=7), now],
    ).fetchall()
    result = []
    for r in rows:
        gap, batches = gaps.get(r[0], (None, 0))
        gap = gap if batches >= MIN_BATCHES else None
        last_new = r[10]
        silent = bool(gap and last_new and now - last_new > max(SILENCE_FACTOR * gap, MIN_SILENCE))
        result.append(SourceStatus(*r[:11], usual_gap=gap, silent=silent))
    return result


@dataclass(frozen=True)
class Reads:
    """The ingest runs of a digest's day: whether saring read its sources at all."""

    started: int  # runs started that day
    read: int  # of those, runs that read at least one source (also one stopped or killed after its sources)
    last_read_at: datetime | None  # the start of the last such run by the day's end
    interval: timedelta  # the usual time between runs

    def behind(self, at: datetime) -> bool:
        """Nothing read for much longer than usual at ``at``."""
        return (self.last_read_at is None
                or at - self.last_read_at > max(SILENCE_FACTOR * self.interval, MIN_BEHIND))


def reads_of_day(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime) -> Reads:
    """The ingest runs of the day [start, end) up to now, and their usual interval."""
    now = min(end, clock.now())
    # sources_ok is set when a run records itself, or for a killed one by the next run's start
    # (Store.start_run), which leaves its end unknown (no finished_at)
    started, read, last = con.execute(
        """SELECT count(*) FILTER (WHERE started_at >= ?),
                  count(*) FILTER (WHERE started_at >= ? AND sources_ok > 0),
                  max(started_at) FILTER (WHERE sources_ok > 0)
           FROM runs WHERE flow = 'ingest' AND started_at < ?""", [start, start, now]).fetchone()
    gap, gaps = con.execute(
        """SELECT quantile_disc(gap, 0.5), count(gap) FROM (
               SELECT epoch(started_at) - lag(epoch(started_at)) OVER (ORDER BY started_at) AS gap
               FROM runs WHERE flow = 'ingest' AND started_at >= ? AND started_at < ?)""",
        [now - timedelta(days=HISTORY_DAYS), now]).fetchone()
    interval = timedelta(seconds=gap) if gap and gaps >= MIN_BATCHES - 1 else RUN_INTERVAL
    return Reads(started, read, last, interval)


def duration_text(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.0f} jam" if hours < 48 else f"{hours / 24:.0f} hari"


def fetch_state_at(con: duckdb.DuckDBPyConnection, end: datetime
                   ) -> dict[str, tuple[str | None, str | None, int, datetime | None]]:
    """Each source's last feed status, its error, its failures in a row as they stood at ``end``,
    and the start of the first recorded run of those failures (None: none recorded).

    A source not read since ``end`` is as the ``sources`` row says; one read since is as the runs
    started before ``end`` recorded it (``run_sources``; no such run: never read by then). A source
    no finished run ever recorded (its runs were killed) can only be as its row says.
    """
    rows = con.execute(
        """WITH h AS (SELECT rs.source_id, rs.status, rs.error, r.started_at,
                             row_number() OVER (PARTITION BY rs.source_id
                                                ORDER BY r.started_at DESC, r.run_id DESC) AS k
                      FROM run_sources rs JOIN runs r USING (run_id) WHERE r.started_at < ?),
                ok AS (SELECT source_id, min(k) AS k FROM h WHERE status <> 'failed' GROUP BY source_id),
                past AS (SELECT h.source_id, any_value(h.status) FILTER (WHERE h.k = 1) AS status,
                                any_value(h.error) FILTER (WHERE h.k = 1) AS error,
                                count(*) FILTER (WHERE h.status = 'failed' AND (ok.k IS NULL OR h.k < ok.k))
                                    AS failures,
                                min(h.started_at) FILTER (WHERE h.status = 'failed'
                                                                AND (ok.k IS NULL OR h.k < ok.k)) AS since
                         FROM h LEFT JOIN ok USING (source_id) GROUP BY h.source_id)
           SELECT s.source_id, s.last_fetched_at IS NULL OR s.last_fetched_at < ?
                      OR s.source_id NOT IN (SELECT source_id FROM run_sources),
                  s.last_status, s.last_error, coalesce(s.consecutive_failures, 0),
                  past.status, past.error, coalesce(past.failures, 0), past.since
           FROM sources s LEFT JOIN past USING (source_id)""",
        [end, end],
    ).fetchall()
    return {r[0]: (*r[2:5], r[8]) if r[1] else tuple(r[5:9]) for r in rows}


#: Said of a failing fact-check feed: older fact-checks still match, its new verdicts do not arrive.
FACTCHECKS_MISSING = ("Selama gagal, cek fakta barunya tidak masuk: berita yang cocok dengannya belum "
                      "ditandai \"cocok dengan cek fakta\" dan risiko hoaksnya belum dinaikkan.")
EMPTY_FEED = "feed kosong (0 entri) saat terakhir dibaca, jadi sumber ini tidak terpantau"


def empty_feeds(con: duckdb.DuckDBPyConnection, end: datetime) -> dict[str, str]:
    """The sources whose feed gave no item when last read before ``end``, each with what to say:
    :data:`EMPTY_FEED`, or how many entries it listed without a link saring can open."""
    # An empty feed (a moved RSS leaving an empty channel) reads "ok": its source is no longer
    # watched, which "no news" would hide. A 304 since means it is still the same empty feed.
    rows = con.execute(
        """SELECT rs.source_id, coalesce(rs.skipped, 0) FROM run_sources rs JOIN runs r USING (run_id)
           WHERE r.started_at < ? AND rs.status = 'ok'
           QUALIFY row_number() OVER (PARTITION BY rs.source_id ORDER BY r.started_at DESC, r.run_id DESC) = 1
               AND rs.items_in_feed = 0""", [end]).fetchall()
    return {source_id: EMPTY_FEED if not skipped else
            f"{skipped} entri di feed saat terakhir dibaca, tetapi tidak satu pun punya tautan yang bisa "
            "dibuka, jadi sumber ini tidak terpantau" for source_id, skipped in rows}


def failing_since(failures: int, since: datetime | None, zone: str) -> str:
    """How long a source has failed: "sejak <tanggal> (n× berturut-turut)", or without the date
    when no run recorded it; empty for a single failure."""
    if failures <= 1:
        return ""
    from saring.report.digest import tanggal  # digest imports this module

    times = f"({failures}× berturut-turut)"
    # a count of hourly runs says little by itself
    return f"sejak {tanggal(since, zone)} {times}" if since else times


def source_health(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime) -> list[SourceHealth]:
    """Per enabled source for the day [start, end): failed (why, how often), silent, or fine,
    as things stood at the end of that day (a past day's digest made again says the same)."""
    seen = dict(con.execute(
        "SELECT source_id, count(*) FROM items WHERE first_seen_at >= ? AND first_seen_at < ? GROUP BY 1",
        [start, end],
    ).fetchall())
    checks = dict(con.execute(  # a fact-checker's entries are fact-checks, not items
        """SELECT source_id, count(*) FROM factchecks WHERE first_seen_at >= ? AND first_seen_at < ?
           GROUP BY 1""", [start, end],
    ).fetchall())
    now = min(end, clock.now())
    state = fetch_state_at(con, end)
    read = {r[0] for r in con.execute(  # the sources some run read that day
        """SELECT rs.source_id FROM run_sources rs JOIN runs r USING (run_id)
           WHERE r.started_at >= ? AND r.started_at < ?
           UNION SELECT source_id FROM sources WHERE last_fetched_at >= ? AND last_fetched_at < ?""",
        [start, end, start, end]).fetchall()}
    empty = empty_feeds(con, end)
    zone = getattr(start.tzinfo, "key", TIME_ZONE)  # the forum's: the digest's day is in its zone
    # the morning digest covers yesterday
    when = "hari ini" if start <= clock.now() < end else "pada hari itu"
    health = []
    for s in source_status(con, now):
        if not s.enabled:
            continue
        last_status, last_error, failures, since = state.get(s.source_id, (
            s.last_status, s.last_error, s.consecutive_failures, None))
        s = replace(s, last_status=last_status, last_error=last_error, consecutive_failures=failures)
        n = seen.get(s.source_id, 0)
        if s.last_status == "failed":
            times = failing_since(s.consecutive_failures, since, zone)
            times = f" {times}" if times else ""
            # the reason is for the maintainer; what a fact-checker's failure costs, for the forum
            why = s.last_error or "alasan tidak tercatat"
            if s.kind == "factcheck":
                why = f"{why.rstrip('. ')}. {FACTCHECKS_MISSING}"
            health.append(SourceHealth(s.source_id, s.name, "gagal", f"gagal dibaca{times}: {why}"))
        elif s.last_status is None:
            until = "" if end > clock.now() else " sampai hari itu"  # added to sources.yaml later
            health.append(SourceHealth(s.source_id, s.name, "sepi", "belum pernah dibaca" + until))
        elif n == 0 and s.source_id not in read:  # saring was down: the source was not quiet
            unread = "belum dibaca hari ini" if when == "hari ini" else f"tidak dibaca {when}"
            health.append(SourceHealth(s.source_id, s.name, "sepi", unread))
        elif s.source_id in empty:
            before = f"{n} berita baru, tetapi " if n else ""
            health.append(SourceHealth(s.source_id, s.name, "sepi",
                                       f"{before}{empty[s.source_id]}"))
        elif s.silent and s.last_new_item_at and s.usual_gap:
            health.append(SourceHealth(
                s.source_id, s.name, "sepi",
                f"tidak ada {'cek fakta' if s.kind == 'factcheck' else 'berita'} baru selama "
                f"{duration_text(now - s.last_new_item_at)} "
                f"(biasanya tiap {duration_text(s.usual_gap)})"))
        elif n == 0 and s.kind != "factcheck":  # fact-checks are stored apart from items
            health.append(SourceHealth(s.source_id, s.name, "sepi", f"tidak ada berita baru {when}"))
        elif s.kind == "factcheck":
            health.append(SourceHealth(s.source_id, s.name, "ok",
                                       f"{checks.get(s.source_id, 0)} cek fakta baru"))
        else:
            health.append(SourceHealth(s.source_id, s.name, "ok", f"{n} berita baru"))
    return health


#: A channel whose last failed send is older than this is no longer tried (removed from
#: sources.yaml or switched off): its failures leave the health section.
DELIVERY_DAYS = 7
_REPORT = {"daily": "ringkasan harian", "weekly": "laporan mingguan", None: "kiriman"}  # None: both


@dataclass(frozen=True)
class DeliveryHealth:
    """A delivery channel whose sends failed since it last got a report: one line of the health section."""

    channel: str
    detail: str


def delivery_failures(con: duckdb.DuckDBPyConnection, end: datetime, zone: str = TIME_ZONE
                      ) -> list[DeliveryHealth]:
    """Per channel, its failed sends (``deliveries``) since its last successful one, as things stood
    at ``end`` (or now): when, how often, and the last recorded error, with any address or phone
    number in it masked (the digest goes to the whole forum)."""
    from saring.collect.scrub import GENERIC
    from saring.report.digest import tanggal  # digest imports this module

    at = min(end, clock.now())
    rows = con.execute(
        """WITH d AS (SELECT * FROM deliveries WHERE started_at < ? AND status IN ('sent', 'failed')),
                ok AS (SELECT channel, max(started_at) AS last_ok FROM d WHERE status = 'sent' GROUP BY 1)
           SELECT d.channel, count(*), min(d.started_at), max(d.started_at),
                  CASE WHEN count(DISTINCT d.report_kind) = 1 THEN any_value(d.report_kind) END,
                  arg_max(d.error, d.started_at)
           FROM d LEFT JOIN ok USING (channel)
           WHERE d.status = 'failed' AND (ok.last_ok IS NULL OR d.started_at > ok.last_ok)
           GROUP BY d.channel HAVING max(d.started_at) >= ? ORDER BY d.channel""",
        [at, at - timedelta(days=DELIVERY_DAYS)]).fetchall()
    out = []
    for channel, failures, first, last, kind, error in rows:
        when = tanggal(last, zone) if failures == 1 else f"{failures}× sejak {tanggal(first, zone)}"
        why = " ".join((GENERIC.text(error) or "alasan tidak tercatat").split())  # one line per channel
        out.append(DeliveryHealth(channel, f"{_REPORT.get(kind, kind)} gagal terkirim {when}: {why}"))
    return out

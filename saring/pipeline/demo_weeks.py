"""Two simulated weeks of daily runs over the bundled sample, for the weekly report's demo.

The sample is one static set of feeds; a real forum sees news arrive day by day. Here the
sample's feed entries are revealed in the order of their own publication dates, a fourteenth
more each simulated day, and each day's ingest and digest run with the pipeline's clock
(:mod:`saring.clock`) set to that morning, so saring "first sees" each item on a different day.
The articles' own dates are never changed: only when saring saw them is simulated.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import feedparser
from lxml import etree

from saring import clock
from saring.localtime import WIB
from saring.pipeline.demo import TOKEN, SiteServer, demo_chat, sample_dir, write_demo_sources

LOGGER = logging.getLogger(__name__)

FEED_SUFFIXES = (".xml", ".rss", ".atom")
RUN_TIME = time(8, 0)  # each simulated day's run, WIB
_ENTRY_TAGS = ("item", "{http://www.w3.org/2005/Atom}entry", "{http://purl.org/rss/1.0/}item")


def reveal_schedule(site: Path, days: int) -> dict[str, list[int]]:
    """For each feed file (path relative to ``site``), the day (0..days-1) each entry appears on.

    Entries are ranked by their published date across all feeds (undated ones last) and spread
    evenly over the days; a fact-checker's feed is whole from the first day.
    """
    import json

    manifest = json.loads((site / "manifest.json").read_text(encoding="utf-8"))
    outlets = manifest["outlets"] if isinstance(manifest, dict) else manifest
    entries: list[tuple[tuple, str, int]] = []
    schedule: dict[str, list[int]] = {}
    for outlet in outlets:
        rel = outlet["feed_path"].lstrip("/")
        parsed = feedparser.parse((site / rel).read_bytes().replace(TOKEN, b"http://sample.invalid"))
        schedule[rel] = [0] * len(parsed.entries)
        if outlet.get("kind") == "factcheck":
            continue
        for i, entry in enumerate(parsed.entries):
            when = entry.get("published_parsed") or entry.get("updated_parsed")
            entries.append(((when is None, tuple(when or ()), rel, i), rel, i))
    entries.sort()
    for rank, (_, rel, i) in enumerate(entries):
        schedule[rel][i] = rank * days // max(len(entries), 1)
    return schedule


def feed_for_day(body: bytes, shown: list[int], day: int) -> bytes:
    """The feed ``body`` with only the entries revealed by ``day`` (the rest removed, none altered)."""
    root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
    found = [el for el in root.iter() if el.tag in _ENTRY_TAGS]
    for entry, first_day in zip(found, shown, strict=False):
        if first_day > day:
            entry.getparent().remove(entry)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


class SimulatedSites(SiteServer):
    """The sample sites, their feeds as they stood on simulated day :attr:`day`."""

    def __init__(self, root: str | Path, days: int) -> None:
        super().__init__(root)
        self.schedule = reveal_schedule(self.root, days)
        self.day = 0
        self.httpd.transform = self._transform  # type: ignore[attr-defined]

    def _transform(self, path: Path, body: bytes) -> bytes:
        rel = path.relative_to(self.root).as_posix()
        if rel in self.schedule and path.suffix in FEED_SUFFIXES:
            return feed_for_day(body, self.schedule[rel], self.day)
        return body


@dataclass(frozen=True)
class Simulation:
    db: Path
    sources: Path
    days: list[date]
    new_items: list[int]  # per simulated day
    card: str | None  # the item the demo's analyst made a clarification card for


def simulated_days(today: date, weeks: int = 2) -> list[date]:
    """The ``weeks`` complete ISO weeks before ``today``'s week, Monday first."""
    this_monday = today - timedelta(days=today.weekday())
    start = this_monday - timedelta(days=7 * weeks)
    return [start + timedelta(days=i) for i in range(7 * weeks)]


def simulate(workdir: Path, today: date | None = None, tipline_day: int = 9, card_day: int = 10
             ) -> Simulation:
    """Run ingest and the daily digest once per simulated day into ``workdir/saring.duckdb``.

    On ``tipline_day`` the sample chat export is imported; on ``card_day`` a clarification card
    is recorded for the riskiest election item seen so far (as the forum's analyst would).
    """
    from saring.config import load_config
    from saring.pipeline.ingest import run_ingest
    from saring.report.daily import make_digest
    from saring.report.lifecycle import record_card
    from saring.storage.database import Store, snapshot_path

    days = simulated_days(today or datetime.now(WIB).date())
    db = workdir / "saring.duckdb"
    for old in (db, db.with_name(db.name + ".wal"), snapshot_path(db)):  # the demo's own, from a last run
        old.unlink(missing_ok=True)
    new_items: list[int] = []
    card = None
    from saring.judge.classifier.score import load_scorer

    scorer = load_scorer()  # once: loading the models takes seconds
    with SimulatedSites(sample_dir(), len(days)) as server:
        sources = write_demo_sources(workdir / "sources.demo.yaml", server.base_url)
        config = load_config(sources)
        for index, day in enumerate(days):
            server.day = index
            with clock.frozen(datetime.combine(day, RUN_TIME, tzinfo=WIB)):
                with Store(db) as store:
                    summary = run_ingest(config, store, scorer=scorer)
                new_items.append(sum(r.new_items for r in summary.results))
                if index == tipline_day:
                    chat = demo_chat(server.base_url, workdir / "tipline" / "demo-chat.txt")
                    if chat:
                        _import_chat(db, chat)
                if index == card_day:
                    with Store(db) as store:
                        card = _riskiest(store.con, config.digest.election_threshold)
                        if card:
                            record_card(store.con, "item", card, "analis (demo)", channel="whatsapp")
                make_digest(db, day - timedelta(days=1), config.digest, workdir / "digests", config.forum)
            LOGGER.info("simulated %s: %d new items", day, new_items[-1])
    return Simulation(db, sources, days, new_items, card)


def _import_chat(db: Path, chat: Path) -> None:
    from saring.collect.tipline import import_chat, load_secret
    from saring.pipeline.forwarded import feed_tipline
    from saring.storage.database import Store, utcnow

    with Store(db) as store:
        started = utcnow()
        result = import_chat(store.con, chat, load_secret(store.path), chat="Bakohumas Kota Batu (contoh)")
        feed_tipline(store, since=started, allow_private=True, scrubber=result.scrubber)


def _riskiest(con, threshold: float) -> str | None:
    """What the demo's analyst clarifies: the riskiest item a fact-checker already debunked,
    else the riskiest election item (a forwarded rumour included)."""
    row = con.execute(
        """SELECT o.item_id FROM item_overview o
           WHERE o.item_id IN (SELECT item_id FROM factcheck_matches) OR o.election_score >= ?
           ORDER BY o.item_id IN (SELECT item_id FROM factcheck_matches) DESC, o.hoax_score DESC, o.item_id
           LIMIT 1""", [threshold]).fetchone()
    return row[0] if row else None


@dataclass
class WeeklyDemo:
    """What ``saring demo``'s weekly part did (the CLI prints it)."""

    sim: Any
    report: Any
    files: Any
    spread: list[dict[str, Any]]
    sends: list[tuple[str, list[str]]] = field(default_factory=list)
    smtp_port: int | None = None
    received: int = 0


def demo_weekly(workdir: Path, smtp: bool = False) -> WeeklyDemo:
    """Two simulated weeks of daily runs, the weekly report, and (``smtp``) two sends of it to a
    local SMTP server: the first delivered, the second skipped as already sent."""
    from saring.config import load_config
    from saring.pipeline.demo import DEMO_CHANNEL_ENV, demo_delivery, local_smtp
    from saring.report.lifecycle import spread_after_card
    from saring.report.weekly_files import make_weekly, send_weekly
    from saring.storage.database import Store

    sim = simulate(workdir)
    config = load_config(sim.sources)
    report, files = make_weekly(sim.db, sim.days[7], config, workdir / "reports")
    with Store(sim.db) as store:
        spread = spread_after_card(store.con).to_dict("records")
    result = WeeklyDemo(sim, report, files, spread)
    if smtp:
        demo = config.model_copy(update={"delivery": demo_delivery()})
        with local_smtp() as (port, url, received):
            for attempt in ("first send", "second send"):
                sent = send_weekly(sim.db, report, files, demo, env={DEMO_CHANNEL_ENV: url})
                result.sends.append((attempt, list(sent.lines())))
        result.smtp_port, result.received = port, len(received)
    return result

"""The desk's "Tren" page: the weekly report's charts for any week, and a story's timeline.

An APIRouter included by the app (``app.include_router(trends.router)``), on the desk's shared
session helpers (:mod:`saring.desk.session`). Making a clarification card
on the desk is recorded here too (:func:`record_card_made`).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from saring.desk.session import Busy, current_user, page
from saring.report.digest import article_page, shown_factchecks
from saring.report.weekly import WeekError, build_weekly, parse_week, week_label
from saring.storage.schema import outlet_name_sql, outlet_sql

LOGGER = logging.getLogger(__name__)
router = APIRouter(dependencies=[Depends(current_user)])  # every page here needs a login


def _report(request: Request, monday: date):
    desk = request.app.state.desk
    with desk.fresh() as con:
        return build_weekly(con, monday, desk.settings, desk.forum, desk.timezone)


@router.get("/tren", response_class=HTMLResponse)
def trends_page(request: Request, week: str | None = None):
    """Numbers, charts, spreading stories and clarified rumours of one week (default: the last)."""
    from saring.localtime import today

    now = today(request.app.state.desk.timezone)  # the last week on the forum's clock
    try:
        monday = parse_week(week or None, today=now)
    except WeekError as exc:  # its message is the CLI's English; members read its Indonesian
        monday, problem = parse_week(today=now), f"{exc.said} Yang ditampilkan di bawah ini minggu lalu."
    else:
        problem = None
    from saring.report.charts import CHARTS
    from saring.report.weekly_files import perubahan, setelah_kartu

    report = _report(request, monday)
    return page(request, "trends.html", w=report, problem=problem,
                 charts=[(name, title) for name, (title, _) in CHARTS.items()],
                 prev=week_label(monday - timedelta(days=7)), next=week_label(monday + timedelta(days=7)),
                 perubahan=perubahan, setelah_kartu=setelah_kartu)


@router.get("/tren/grafik/{week}/{name}")
def trends_chart(request: Request, week: str, name: str):
    from saring.report.charts import CHARTS, png

    if name not in CHARTS:
        return PlainTextResponse("tidak ditemukan", status_code=404)
    try:
        monday = parse_week(week)
    except WeekError:
        return PlainTextResponse("tidak ditemukan", status_code=404)
    data = png(CHARTS[name][1](_report(request, monday)))
    return Response(data, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})


@router.get("/tren/cerita/{story_id}", response_class=HTMLResponse)
def story_page(request: Request, story_id: str):
    """A story's timeline: first seen, each outlet, the fact-check match, cards, mentions after."""
    desk = request.app.state.desk
    with desk.fresh() as con:
        # each mention by its outlet (a Google News hit's, not the search's), with the source that
        # found it; media counted as the digest counts them (outlet_sql)
        items = con.execute(
            f"""SELECT i.first_seen_at, {outlet_name_sql('s', 'i')}, coalesce(a.title, i.title), i.url,
                      i.kind, coalesce(s.name, i.source_id), {outlet_sql('s', 'i')}, a.final_url
               FROM stories st JOIN items i USING (item_id) LEFT JOIN sources s USING (source_id)
               LEFT JOIN articles a USING (item_id) WHERE st.story_id = ?
               ORDER BY i.first_seen_at, i.item_id""", [story_id]).fetchall()
        matched = con.execute(
            """SELECT f.verdict, f.title, f.url, max(m.similarity) AS best
               FROM stories st JOIN factcheck_matches m USING (item_id) JOIN factchecks f USING (factcheck_id)
               WHERE st.story_id = ? GROUP BY ALL ORDER BY best DESC, f.url""", [story_id]).fetchall()
        cards = con.execute(
            """SELECT c.made_at, c.made_by, c.channel, c.kind FROM clarification_cards c
               JOIN stories st ON st.item_id = c.item_id WHERE st.story_id = ? ORDER BY c.made_at""",
            [story_id]).fetchall()
    if not items:
        return page(request, "message.html", status=404, title="Tidak ditemukan",
                     message="Cerita ini tidak ada (atau belum tersimpan).")
    with desk.snapshot() as con:  # its rumour_lifecycle counts the forum's days; the database's, WIB days
        days = con.execute("SELECT * FROM rumour_lifecycle WHERE story_id = ? ORDER BY day",
                           [story_id]).df().to_dict("records")
    first_card = cards[0][0] if cards else None
    # pages, as the weekly report counts them: one article reached through two links is one mention
    after = len({article_page(r[7], r[3]) for r in items if first_card is not None and r[0] > first_card})
    # as the digest shows them: best first, one per page, the verdict only where the title lacks it
    checks = shown_factchecks([dict(verdict=v, title=t, url=u) for v, t, u, _ in matched], limit=len(matched))
    return page(request, "story.html", story_id=story_id, items=items, checks=checks, cards=cards,
                 days=days, after=after, outlets=len({r[6] for r in items if r[4] != "tipline"}))


def record_card_made(desk: Any, kind: str, ref: str, made_by: str) -> None:
    """Record that ``made_by`` made the card of ``kind``/``ref``; a busy database only logs it."""
    from saring.report.lifecycle import record_card

    try:
        with desk.writer(wait=1.0) as con:
            record_card(con, kind, ref, made_by, zone=desk.timezone)
    except Busy:  # the card is still shown; only its record is lost, and that is said
        LOGGER.warning("card %s/%s by %s not recorded: the database is busy", kind, ref, made_by)

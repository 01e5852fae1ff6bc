"""Write the weekly report (HTML page, e-mail, WhatsApp text, PNG charts) and deliver it.

Layout: ``<out>/<2026-W47>/`` holds ``laporan.html`` (one page; its charts sit next to it),
``email.html``, ``whatsapp.txt``, ``grafik-*.png`` and ``laporan.json``. Delivery reuses the
digest's channels (:mod:`saring.report.deliver`) with report kind ``weekly``: charts go as attachments
where the channel takes them (e-mail, Telegram) and as links to ``settings.archive.base_url``
otherwise (and always on the WhatsApp format).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from saring.config import Config, DeliveryChannel
from saring.localtime import TIME_ZONE, zone_label
from saring.report.archive import _write
from saring.report.digest import _tidy, environment
from saring.report.weekly import Clarified, WeeklyReport, build_weekly, hari

LOGGER = logging.getLogger(__name__)

FILES = {"html": "laporan.html", "email": "email.html", "whatsapp": "whatsapp.txt"}


def perubahan(change: int) -> str:
    """'naik 3' / 'turun 2' / 'sama'."""
    if change > 0:
        return f"naik {change}"
    return f"turun {-change}" if change < 0 else "sama"


def hari_jam(value: datetime, zone: str = TIME_ZONE) -> str:
    """'Sen 16/11 09.30 WIB' (on the clock of ``zone``, the forum's)."""
    from zoneinfo import ZoneInfo

    local = value.astimezone(ZoneInfo(zone))
    return f"{hari(local.date())} {local:%H.%M} {zone_label(zone)}"


def setelah_kartu(card: Clarified) -> str:
    """What the rumour did after its card, in a phrase."""
    if card.mentions_after is None:
        return "tidak terhubung ke cerita yang dipantau"
    if card.mentions_after:
        return f"masih beredar: {card.mentions_after} kali muncul lagi sesudahnya"
    return "tidak muncul lagi sesudahnya"


def _env(zone: str = TIME_ZONE):
    env = environment(zone)
    env.filters.update(perubahan=perubahan, hari_jam=lambda value: hari_jam(value, zone),
                       setelah_kartu=setelah_kartu)
    return env


def render_weekly(report: WeeklyReport, fmt: str, links: list[tuple[str, str]] | None = None,
                  attached: Sequence[str] = ()) -> str:
    """The report as ``html`` (the page), ``email`` (HTML mail) or ``whatsapp`` text; ``attached``:
    the titles of the charts that go with it as files."""
    from saring.report.charts import CHARTS

    template = {"html": "weekly.html.j2", "email": "weekly_email.html.j2",
                "whatsapp": "weekly_whatsapp.txt.j2"}[fmt]
    text = _env(report.timezone).get_template(template).render(
        w=report, charts=[(name, title) for name, (title, _) in CHARTS.items()],
        links=links or [], attached=list(attached))
    return _tidy(text)


def _wrap(line: str, limit: int) -> list[str]:
    """``line`` cut between words into pieces of at most ``limit`` characters (a word longer than
    that, a link, stays whole)."""
    from saring.report.digest import chat_length

    if chat_length(line) <= limit:
        return [line]
    pieces, piece = [], ""
    for word in line.split(" "):
        if piece and chat_length(f"{piece} {word}") > limit:
            pieces.append(piece)
            piece = word
        else:
            piece = f"{piece} {word}" if piece else word
    return [*pieces, piece]


def split_text(text: str, limit: int) -> list[str]:
    """Chat messages of at most ``limit`` characters, cut between paragraphs (a paragraph longer
    than that, such as a long list of clarified rumours, between its lines; a line longer than
    that, a story's long title, between its words: a chat channel refuses the whole message)."""
    from saring.report.digest import chat_length

    blocks: list[str] = []
    for paragraph in text.split("\n\n"):
        if chat_length(paragraph) <= limit:
            blocks.append(paragraph)
            continue
        piece = ""
        for line in (p for whole in paragraph.split("\n") for p in _wrap(whole, limit)):
            if piece and chat_length(f"{piece}\n{line}") > limit:
                blocks.append(piece)
                piece = line
            else:
                piece = f"{piece}\n{line}" if piece else line
        blocks.append(piece)
    parts: list[str] = []
    current = ""
    for block in blocks:
        candidate = f"{current}\n\n{block}" if current else block
        if current and chat_length(candidate) > limit:
            parts.append(current)
            current = block
        else:
            current = candidate
    parts.append(current)
    return [p.strip() + "\n" for p in parts if p.strip()]


def chart_titles(charts: Sequence[Path]) -> list[str]:
    """The titles of the ``charts`` that are in the week's folder (one deleted there is not attached)."""
    from saring.report.charts import CHARTS

    return [CHARTS[p.name][0] for p in charts if p.is_file() and p.name in CHARTS]


def chart_links(report: WeeklyReport, base_url: str | None) -> list[tuple[str, str]]:
    """(title, public address) of every chart, when the archive has one."""
    from saring.report.charts import CHARTS

    if not base_url:
        return []
    base = base_url.rstrip("/")
    return [(title, f"{base}/{report.label}/{name}") for name, (title, _) in CHARTS.items()]


@dataclass(frozen=True)
class WeeklyFiles:
    folder: Path
    html: Path
    email: Path
    whatsapp: Path
    charts: list[Path]


def write_weekly(report: WeeklyReport, out_dir: str | Path, base_url: str | None = None) -> WeeklyFiles:
    """Write every file of the report into ``<out_dir>/<week>/`` (replacing an earlier run's)."""
    from saring.filemodes import make_shared, shared_dir
    from saring.report.charts import render_charts

    folder = shared_dir(Path(out_dir) / report.label)
    charts = []
    for name, data in render_charts(report).items():
        path = folder / name
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        make_shared(tmp)
        tmp.replace(path)
        charts.append(path)
    links = chart_links(report, base_url)
    _write(folder / FILES["html"], render_weekly(report, "html"))
    attached = [] if links else chart_titles(charts)
    _write(folder / FILES["email"], render_weekly(report, "email", links, attached))
    _write(folder / FILES["whatsapp"], render_weekly(report, "whatsapp", links, attached))
    meta = {"week": report.label, "monday": report.monday.isoformat(),
            "generated_at": report.generated_at.isoformat(),
            "numbers": {k: getattr(report.totals, k) for k, _ in report.totals.LABELS},
            "previous": {k: getattr(report.previous, k) for k, _ in report.previous.LABELS}}
    _write(folder / "laporan.json", json.dumps(meta, ensure_ascii=False, indent=1))
    return WeeklyFiles(folder, folder / FILES["html"], folder / FILES["email"], folder / FILES["whatsapp"],
                       charts)


def make_weekly(db_path: str | Path | None, monday: date, config: Config | None,
                out_dir: str | Path) -> tuple[WeeklyReport, WeeklyFiles]:
    """Build and write the weekly report of the week starting ``monday`` (on the forum's clock,
    ``settings.schedule.timezone``)."""
    from saring.storage.database import Store

    config_digest = config.digest if config else Config.model_fields["digest"].default
    with Store(db_path) as store:
        report = build_weekly(store.con, monday, config_digest, config.forum if config else None,
                              config.schedule.timezone if config else TIME_ZONE)
    files = write_weekly(report, out_dir, config.archive.base_url if config else None)
    return report, files


def send_weekly(db_path: str | Path | None, report: WeeklyReport, files: WeeklyFiles, config: Config,
                force: bool = False, only: list[str] | None = None,
                env: Mapping[str, str] | None = None):
    """Deliver the report to every channel of ``settings.delivery``, once per week and channel.

    Returns the :class:`saring.report.deliver.DeliveryReport` (the send log's kind is ``weekly``).
    """
    import os

    from saring.report.deliver import deliver, supports_attachments

    env = os.environ if env is None else env
    links = chart_links(report, config.archive.base_url)

    def payload(channel: DeliveryChannel) -> tuple[str, list[str], list[Path]]:
        # A WhatsApp gateway gets links: a webhook may accept files it never passes on to the chat.
        url = (env.get(channel.url_env) or "").strip()
        attach = channel.format != "whatsapp" and supports_attachments(url)
        shown_links = [] if attach else links
        # the text names only the charts still in the folder: send_channel leaves out (and records) the rest
        attached = chart_titles(files.charts) if attach else []
        if channel.format == "email":
            body = render_weekly(report, "email", shown_links, attached)
            return report.subject, [body], files.charts if attach else []
        text = render_weekly(report, "whatsapp", shown_links, attached)
        if channel.format == "email_text":
            return report.subject, [text], files.charts if attach else []
        return "", split_text(text, config.digest.message_chars), files.charts if attach else []

    return deliver(db_path, report, config.delivery, config.digest.message_chars, force=force,
                   only=only, env=env, kind="weekly", make_payload=payload)

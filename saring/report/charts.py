"""The weekly report's charts as PNG images for a phone and WhatsApp (matplotlib, Agg backend).

Every chart is 1080 px wide and every text at least 18 pt at 150 dpi (37 px), so that shown
720 px wide the smallest text is still 25 px. Labels are in Bahasa Indonesia and dates read
"Sen 16/11". The font is the DejaVu Sans shipped in ``saring/data/fonts`` (with its licence),
so a chart looks the same on every machine.
"""

from __future__ import annotations

import io
import logging
import textwrap
from collections.abc import Callable
from functools import cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display, no browser: the charts are drawn straight to PNG

from matplotlib import font_manager  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from saring.report.weekly import WeeklyReport, hari  # noqa: E402

LOGGER = logging.getLogger(__name__)

FONT_DIR = Path(__file__).resolve().parents[1] / "data" / "fonts"
FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
DPI = 150
WIDTH_IN = 7.2  # 1080 px
MIN_PT = 18.0  # 37.5 px at 150 dpi; 25 px when the image is shown 720 px wide
TITLE_PT = 22.0
RISK_COLOURS = {"tinggi": "#c62828", "sedang": "#f9a825", "rendah": "#78909c"}
RISK_TEXT = {"tinggi": "Risiko tinggi", "sedang": "Sedang", "rendah": "Rendah"}
BAR = "#1565c0"
GROUP = "#00897b"  # the members' group's forwards of a story

#: File name -> (title, drawing function); the order is the report's.
CHARTS: dict[str, tuple[str, Callable[[WeeklyReport], Figure]]] = {}


@cache
def font_family() -> str:
    """Register the bundled fonts with matplotlib; returns their family name."""
    name = "DejaVu Sans"
    for file in FONT_FILES:
        path = FONT_DIR / file
        if path.exists():
            font_manager.fontManager.addfont(str(path))
            name = font_manager.FontProperties(fname=str(path)).get_name()
        else:  # a broken install: matplotlib's own copy of the same font is used
            LOGGER.warning("bundled font %s is missing", path)
    return name


def _figure(height_in: float) -> tuple[Figure, object]:
    fig = Figure(figsize=(WIDTH_IN, height_in), dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=MIN_PT)
    return fig, ax


def _style(fig: Figure, title: str) -> None:
    family = font_family()
    fig.suptitle(title, fontsize=TITLE_PT, fontweight="bold", x=0.02, ha="left")
    for text in fig.findobj(match=lambda a: hasattr(a, "set_fontfamily")):
        text.set_fontfamily(family)


def _chart(name: str, title: str):
    def register(draw: Callable[[WeeklyReport], Figure]) -> Callable[[WeeklyReport], Figure]:
        CHARTS[name] = (title, draw)
        return draw
    return register


@_chart("grafik-1-harian.png", "Berita pemilu per hari")
def daily_risk(report: WeeklyReport) -> Figure:
    """Election items per day (first seen), stacked by hoax-risk level."""
    fig, ax = _figure(6.0)
    labels = [hari(d.day) for d in report.days]
    bottom = [0] * len(report.days)
    for risk in ("tinggi", "sedang", "rendah"):
        values = [getattr(d, risk) for d in report.days]
        ax.bar(labels, values, bottom=bottom, color=RISK_COLOURS[risk], label=RISK_TEXT[risk])
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    for x, total in enumerate(bottom):
        if total:
            ax.text(x, total, str(total), ha="center", va="bottom", fontsize=MIN_PT)
    ax.set_ylim(0, max(bottom + [1]) * 1.15)
    ax.tick_params(axis="x", labelrotation=45)
    ax.yaxis.get_major_locator().set_params(integer=True)
    fig.legend(fontsize=MIN_PT, frameon=False, loc="outside lower center", ncols=3)
    _style(fig, f"Berita pemilu per hari · {report.label}")
    return fig


def _barh(ax, labels: list[str], values: list[int], colour: str = BAR) -> None:
    y = list(range(len(labels)))[::-1]
    ax.barh(y, values, color=colour)
    # Titles and names from the feeds: "US$5 ... US$6" is text, not a formula between two "$".
    ax.set_yticks(y, labels, fontsize=MIN_PT, parse_math=False)
    top = max(values + [1])
    for yi, v in zip(y, values, strict=True):
        ax.text(v + top * 0.02, yi, str(v), va="center", fontsize=MIN_PT)
    ax.set_xlim(0, top * 1.2)
    ax.xaxis.get_major_locator().set_params(integer=True)


@_chart("grafik-2-wilayah.png", "Berita pemilu per wilayah")
def by_area(report: WeeklyReport) -> Figure:
    """Election items of the week by area (forum's own, rest of the province, national) or outlet."""
    fig, ax = _figure(1.6 + 0.9 * max(len(report.areas), 1))
    labels = [textwrap.fill(label, 16) for label, _ in report.areas] or ["(tidak ada)"]
    values = [n for _, n in report.areas] or [0]
    _barh(ax, labels, values)
    what = "wilayah" if report.areas_by == "wilayah" else "media"
    _style(fig, f"Berita pemilu per {what}")
    return fig


def _two_lines(title: str, width: int) -> str:
    """``title`` in at most two lines of ``width``, ending with "…" when cut. A word longer than a
    line (a forwarded link titles a story whose page could not be read) is cut inside it:
    textwrap's max_lines drops it whole and the bar read only "…"."""
    lines = textwrap.wrap(title, width) or [""]
    if len(lines) > 2:
        lines = [lines[0], lines[1][:width - 1] + "…"]
    return "\n".join(lines)


@_chart("grafik-3-cerita.png", "Cerita yang paling menyebar")
def top_stories(report: WeeklyReport) -> Figure:
    """The stories carried by the most outlets this week (outlets per story; the group's forwards
    of a story as a bar of their own colour after them: a rumour only forwarded drew no bar)."""
    stories = report.stories
    fig, ax = _figure(1.8 + 1.3 * max(len(stories), 1))
    labels = [_two_lines(s.title, 22) for s in stories] or ["(tidak ada)"]
    values = [s.outlets for s in stories] or [0]
    _barh(ax, labels, values, colour="#6a1b9a")
    forwards = [s.forwards for s in stories]
    if any(forwards):
        for text in list(ax.texts):  # the numbers go after both parts of the bar
            text.remove()
        y = list(range(len(labels)))[::-1]
        ax.barh(y, forwards, left=values, color=GROUP)
        top = max([m + g for m, g in zip(values, forwards, strict=True)] + [1])
        for yi, m, g in zip(y, values, forwards, strict=True):
            ax.text(m + g + top * 0.02, yi, f"{m} + {g}" if m and g else str(m or g), va="center",
                    fontsize=MIN_PT)
        ax.set_xlim(0, top * 1.3)
        parts = [Patch(color="#6a1b9a", label="media"), Patch(color=GROUP, label="pesan/tautan di grup")]
        fig.legend(handles=parts, fontsize=MIN_PT, frameon=False, loc="outside lower center", ncols=2)
        ax.set_xlabel("jumlah media / pesan di grup", fontsize=MIN_PT)
    else:
        ax.set_xlabel("jumlah media", fontsize=MIN_PT)
    _style(fig, "Cerita yang paling menyebar")
    return fig


def png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def render_charts(report: WeeklyReport) -> dict[str, bytes]:
    """Every chart of the report as PNG bytes, by file name."""
    return {name: png(draw(report)) for name, (_, draw) in CHARTS.items()}

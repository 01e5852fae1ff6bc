"""Clarification cards: a ready WhatsApp reply and a shareable PNG for an item or a check.

The card states the verdict of the closest published fact-check of the same claim when there is
one (a match of the topic only is no verdict on the item), or says plainly that there is no
official clarification yet; it always points to the official sources (KPU, Bawaslu) and ends
with the forum's slogan. The machine's hoax score is shown as a
screening hint only, never as a verdict.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from saring.collect.scrub import GENERIC
from saring.config import DigestSettings
from saring.desk.check import CheckResult, FactCheck, load_check
from saring.judge.factcheck import verdict_label
from saring.localtime import BULAN, TIME_ZONE
from saring.report.digest import risk_label, risk_pct, wa_clean

SLOGAN = "Saring sebelum Sharing"
NO_CLARIFICATION = "belum ada klarifikasi resmi"
NO_CLAIM = "tidak memuat klaim yang perlu dicek"
NO_CLAIM_NOTE = "Pesan ini hanya salam, ucapan terima kasih atau tanggapan singkat."
OFFICIAL_SOURCES = (("KPU", "https://www.kpu.go.id"), ("Bawaslu", "https://www.bawaslu.go.id"))
WIDTH = 1080
#: The DejaVu Sans shipped with saring (as the weekly charts use): the card looks the same on every
#: machine. The system's copies are used only by a broken install without it.
BUNDLED_FONTS = Path(__file__).resolve().parents[1] / "data" / "fonts"
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))


@dataclass(frozen=True)
class Card:
    kind: str  # item | check
    ref: str  # item_id or check_id
    headline: str
    origin: str  # "Radar Malang, 25 November 2026" / "pesan yang beredar, dicek 25 November 2026"
    hoax_score: float | None
    factcheck: FactCheck | None
    url: str | None = None
    bands: DigestSettings = field(default_factory=DigestSettings)  # the forum's settings.digest
    no_claim: bool = False  # a checked greeting or thanks: no clarification to wait for, no risk

    @property
    def verdict(self) -> str:
        return self.factcheck.verdict if self.factcheck and self.factcheck.verdict else NO_CLARIFICATION

    @property
    def risk(self) -> str | None:
        if self.hoax_score is None or self.no_claim:
            return None
        return risk_label(self.hoax_score, self.bands)


def _clean(value: object, limit: int = 200) -> str:
    """One line, no stray WhatsApp markup, at most ``limit`` characters."""
    text = wa_clean(value or "")
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def _tanggal(value: date | datetime | str | None, zone: str = TIME_ZONE) -> str:
    """'25 November 2026': the day on the forum's clock (``zone``, settings.schedule.timezone)."""
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value[:10]
    if isinstance(value, datetime):
        value = value.astimezone(ZoneInfo(zone)).date() if value.tzinfo else value.date()
    return f"{value.day} {BULAN[value.month - 1]} {value.year}"


def _verdict_of(facts: list[FactCheck]) -> FactCheck | None:
    """The closest fact-check of the same claim with a verdict, else the closest one of the same
    claim (linked, no verdict stated), or None.

    A match under evidence.STRONG_AT shares the topic, not always the claim (a true report on the
    police questioning Facebook matched "[HOAKS] Facebook akan ditutup"): the card, shared in the
    groups, would call it a hoax. A closer one whose title gives no verdict ("... Hoaks atau Fakta")
    must not hide the verdict of another on the same claim (the digest's risk reason states it)."""
    from saring.judge.classifier.evidence import STRONG_AT

    same_claim = [f for f in facts if f.similarity >= STRONG_AT]
    return next((f for f in same_claim if f.verdict), same_claim[0] if same_claim else None)


def _matched(con: duckdb.DuckDBPyConnection, item_id: str) -> list[FactCheck]:
    """The item's stored fact-check matches, best first: the ones the digest shows beside it and its
    risk floor reads. Matching its text again read a forward's first line twice, and a forward whose
    text retention purged by its placeholder, which matches nothing."""
    rows = con.execute(
        "SELECT coalesce(f.title, ''), f.url, coalesce(f.verdict, ''), m.similarity "
        "FROM factcheck_matches m JOIN factchecks f USING (factcheck_id) WHERE m.item_id = ? "
        "ORDER BY m.similarity DESC, f.factcheck_id", [item_id]).fetchall()
    return [FactCheck(title, url, verdict, round(sim, 3)) for title, url, verdict, sim in rows]


def card_for_item(con: duckdb.DuckDBPyConnection, item_id: str,
                  bands: DigestSettings | None = None, zone: str = TIME_ZONE) -> Card | None:
    """The card of a stored item, dated on the clock of ``zone`` (the forum's), or None."""
    from saring.storage.schema import source_line_sql

    # named as the digest names it: a Google News hit by its outlet, with the search that found it
    row = con.execute(
        f"""SELECT item_id, o.title, {source_line_sql('s', 'i')},
                   coalesce(o.published_at, o.first_seen_at), o.hoax_score, o.url, coalesce(o.text, ''),
                   o.source_id
            FROM item_overview o JOIN items i USING (item_id) LEFT JOIN sources s ON s.source_id = o.source_id
            WHERE item_id = ?""",
        [item_id],
    ).fetchone()
    if row is None:
        return None
    if row[7] == "tipline":  # forwarded by members: no personal data on a card
        row = (row[0], GENERIC.text(row[1]), row[2], row[3], row[4], GENERIC.url(row[5])[0],
               GENERIC.text(row[6]))
    return Card(
        "item",
        row[0],
        _clean(row[1] or row[6], 160) or "(tanpa judul)",
        f"{_clean(row[2], 100)}, {_tanggal(row[3], zone)}",  # room for "Outlet (lewat <search>)"
        row[4],
        _verdict_of(_matched(con, row[0])),
        row[5],
        bands or DigestSettings(),
    )


def card_for_check(result: CheckResult, bands: DigestSettings | None = None, zone: str = TIME_ZONE) -> Card:
    # What a member pastes is forwarded chat text, as the tipline's: no personal data on a card.
    headline = _clean(GENERIC.text(result.title or result.text), 160) or "(kosong)"
    origin = f"{'tautan' if result.url else 'pesan'} yang beredar, dicek {_tanggal(result.checked_at, zone)}"
    url = GENERIC.url(result.url)[0] if result.url else None
    return Card("check", result.check_id, headline, origin, result.hoax_score, _verdict_of(result.factchecks),
                url, bands or DigestSettings(), result.no_claim)


def card_for_check_id(con: duckdb.DuckDBPyConnection, check_id: str,
                      bands: DigestSettings | None = None, zone: str = TIME_ZONE) -> Card | None:
    result = load_check(con, check_id)
    return card_for_check(result, bands, zone) if result else None


def card_text(card: Card) -> str:
    """The reply for the WhatsApp group, in WhatsApp markup (*bold*, _italic_)."""
    lines = [
        f"*KLARIFIKASI — {SLOGAN.upper()}*",
        "",
        f"*{card.headline}*",
        f"_{_clean(card.origin, 120)}_",
        "",
    ]
    if card.factcheck and card.factcheck.verdict:
        if verdict_label(card.factcheck.verdict, card.factcheck.title):
            lines.append(f"Hasil cek fakta: *{_clean(card.factcheck.verdict, 60).upper()}*")
            if card.factcheck.title:
                lines.append(_clean(card.factcheck.title, 160))
        else:  # the title says it ("[HOAKS] ..."), as the digest shows it: the verdict once
            lines.append(f"Hasil cek fakta: *{_clean(card.factcheck.title, 160)}*")
        lines.append(f"Tautan cek fakta: {card.factcheck.url}")
    elif card.no_claim:
        lines.append(f"Status: *{NO_CLAIM.capitalize()}*.")
        lines.append(NO_CLAIM_NOTE)
    else:
        lines.append(f"Status: *{NO_CLARIFICATION.capitalize()}*.")
        lines.append("Mohon jangan diteruskan dulu sebelum ada keterangan resmi.")
        if card.factcheck:  # a fact-check of the claim whose title states no verdict: its link
            lines.append(f"Cek fakta terkait: {_clean(card.factcheck.title, 160)}")
            lines.append(f"Tautan cek fakta: {card.factcheck.url}")
    if card.risk:
        lines.append(
            f"_Catatan mesin saring: risiko hoaks {card.risk} ({risk_pct(card.hoax_score, card.bands)}) — "
            "bahan pengecekan, bukan putusan._"
        )
    lines += ["", "Cek sumber resmi:"]
    lines += [f"• {name}: {url}" for name, url in OFFICIAL_SOURCES]
    lines += ["", f"*{SLOGAN}*"]
    return "\n".join(lines)


# --------------------------------------------------------------------------- PNG


@functools.lru_cache(maxsize=16)
def _font(size: int, bold: bool = False):
    from PIL import ImageFont

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in (BUNDLED_FONTS, *FONT_DIRS):
        if (folder / name).exists():
            return ImageFont.truetype(str(folder / name), size)
    return ImageFont.load_default(size=size)  # Pillow >= 10.1 ships a scalable default font


NO_TEXT = "(pesan tanpa teks)"
UNDRAWABLE = "(teks dalam aksara yang tidak dapat ditampilkan)"
_INVISIBLE = {"\ufe0e", "\ufe0f", "\u200d"}  # emoji variation selectors and joiner


@functools.lru_cache(maxsize=4096)
def _drawable(font, char: str) -> bool:
    """Whether ``font`` has a glyph for ``char`` (else it draws the same empty box as for any missing one)."""
    box = font.getmask("\U000f0000")  # a private-use code point: no font draws it
    mask = font.getmask(char)
    return (mask.size, bytes(mask)) != (box.size, bytes(box))


def _printable(text: str, font) -> str:
    """``text`` as the font can draw it, spaces tidied: what it has no glyph for is left out (the
    emoji of forwarded messages), but a run of letters of a script it lacks (Chinese, Thai) becomes
    "…": the picture must not silently lose words."""
    kept = ""
    for c in text:
        if c.isascii() or (c not in _INVISIBLE and _drawable(font, c)):
            kept += c
        elif c.isalnum() and not kept.rstrip(" ").endswith("…"):
            kept += "…"
    return "\n".join(" ".join(line.split()) for line in kept.split("\n"))


def _drawn_headline(headline: str, font) -> str:
    """The headline, or a note when the font can draw none of its letters (a forward of only
    emoji, or in a script the font lacks): never an empty line under the banner."""
    if any(c.isalnum() for c in _printable(headline, font)):
        return headline
    return UNDRAWABLE if any(c.isalnum() for c in headline) else NO_TEXT


def _wrap(draw, text: str, font, width: int) -> list[str]:
    text = _printable(text, font)
    lines: list[str] = []
    for para in text.split("\n"):
        words, line = para.split(), ""
        for word in words:
            while draw.textlength(word, font=font) > width and len(word) > 1:  # a long URL
                cut = max(1, int(len(word) * width / draw.textlength(word, font=font)) - 1)
                if line:
                    lines.append(line)
                    line = ""
                lines.append(word[:cut])
                word = word[cut:]
            trial = f"{line} {word}".strip()
            if draw.textlength(trial, font=font) <= width:
                line = trial
            else:
                lines.append(line)
                line = word
        lines.append(line)
    return lines


def card_png(card: Card) -> bytes:
    """A 1080 px wide PNG of the card (height follows the text)."""
    from PIL import Image, ImageDraw

    pad, inner = 64, WIDTH - 128
    has_verdict = bool(card.factcheck and card.factcheck.verdict)
    accent = (183, 28, 28) if has_verdict else (230, 140, 0)
    if has_verdict and card.verdict.upper() == "BENAR":  # a claim found true: not a hoax's red
        accent = (46, 125, 50)  # the desk's "rendah" green
    blocks: list[tuple[str, object, tuple[int, int, int], int]] = []  # text, font, colour, space after
    f_small, f_body, f_head, f_big = _font(30), _font(36), _font(46, True), _font(56, True)
    scratch = ImageDraw.Draw(Image.new("RGB", (10, 10)))
    blocks.append((_drawn_headline(card.headline, f_head), f_head, (20, 20, 20), 16))
    # the texts cut as in the reply (card_text): a fact-checker's long title must not fill the picture
    blocks.append((_clean(card.origin, 120), f_small, (90, 90, 90), 40))
    if has_verdict:
        blocks.append(("HASIL CEK FAKTA:", f_small, (90, 90, 90), 8))
        if verdict_label(card.factcheck.verdict, card.factcheck.title):
            blocks.append((_clean(card.verdict, 60).upper(), f_big, accent, 16))
            if card.factcheck.title:
                blocks.append((_clean(card.factcheck.title, 160), f_body, (20, 20, 20), 8))
        else:  # the title says it (as in the reply): drawn in the verdict's place and colour
            blocks.append((_clean(card.factcheck.title, 160), f_head, accent, 16))
        blocks.append((card.factcheck.url, f_small, (21, 101, 192), 40))
    elif card.no_claim:
        blocks.append((NO_CLAIM.upper(), f_big, accent, 16))
        blocks.append((NO_CLAIM_NOTE, f_body, (20, 20, 20), 40))
    else:
        blocks.append((NO_CLARIFICATION.upper(), f_big, accent, 16))
        blocks.append(
            ("Mohon jangan diteruskan dulu sebelum ada keterangan resmi.", f_body, (20, 20, 20), 40)
        )
        if card.factcheck:  # as in the reply (card_text)
            related = f"Cek fakta terkait: {_clean(card.factcheck.title, 160)}"
            blocks.append((related, f_body, (20, 20, 20), 8))
            blocks.append((card.factcheck.url, f_small, (21, 101, 192), 40))
    if card.risk:
        blocks.append(
            (
                f"Catatan mesin saring: risiko hoaks {card.risk} ({risk_pct(card.hoax_score, card.bands)}) — "
                "bahan pengecekan, bukan putusan.",
                f_small,
                (90, 90, 90),
                40,
            )
        )
    blocks.append(("Cek sumber resmi:", f_body, (20, 20, 20), 8))
    for name, url in OFFICIAL_SOURCES:
        blocks.append((f"{name}: {url}", f_body, (21, 101, 192), 4))
    laid = [(_wrap(scratch, text, font, inner), font, colour, after) for text, font, colour, after in blocks]
    line_h = {id(f): int(f.size * 1.3) for f in (f_small, f_body, f_head, f_big)}
    band, footer = 120, 140
    height = band + pad + sum(len(ls) * line_h[id(f)] + after for ls, f, _, after in laid) + pad + footer
    img = Image.new("RGB", (WIDTH, height), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 0, WIDTH, band], fill=accent)
    draw.text((pad, band // 2), "KLARIFIKASI", font=_font(52, True), fill=(255, 255, 255), anchor="lm")
    y = band + pad
    for lines, font, colour, after in laid:
        for line in lines:
            draw.text((pad, y), line, font=font, fill=colour)
            y += line_h[id(font)]
        y += after
    draw.rectangle([0, height - footer, WIDTH, height], fill=(33, 33, 33))
    draw.text(
        (WIDTH // 2, height - footer // 2), SLOGAN, font=_font(50, True), fill=(255, 255, 255), anchor="mm"
    )
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


__all__ = ["Card", "card_for_check", "card_for_check_id", "card_for_item", "card_png", "card_text"]

"""The one normaliser for text that is compared, not classified: fingerprints of checks, fact-check
matching and story grouping. (The classifiers keep their own, stored inside the model files:
:mod:`saring.judge.classifier.textnorm`.) Also :func:`fix_mojibake`, for text as it comes in."""

from __future__ import annotations

import codecs
import email.message
import re
import unicodedata

__all__ = ["declared_charset", "fix_mojibake", "item_text", "plain_words", "text_encoding"]

_URL = re.compile(r"https?://\S+")
_NOT_WORD = re.compile(r"[^0-9a-z]+")
# A character as UTF-8 bytes read as Windows-1252 or Latin-1 show it: a lead byte (C2-F4), then as
# many continuation bytes as it announces (80-BF: Latin-1 signs, C1 controls, or Windows-1252's
# letters and punctuation there), or "Â "/"Ã " where the A0 of an NBSP became a space. ftfy reads
# only a text holding one: it took two thirds of the extraction time of every page.
_CONTINUATION = ("[\x80-\xbf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014"
                 "\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]")
# The lead byte first, alone: the search then skips to it at C speed (7 times faster than alternatives).
_MOJIBAKE = re.compile(f"[\xc2-\xf4](?:(?<=[\xc2-\xdf]){_CONTINUATION}|(?<=[\xe0-\xef]){_CONTINUATION}{{2}}"
                       f"|(?<=[\xf0-\xf4]){_CONTINUATION}{{3}}|(?<=[\xc2\xc3]) )")


def text_encoding(data: bytes) -> str:
    """The encoding of a file saved by hand: UTF-16 when it starts with a UTF-16 byte-order mark (what
    Notepad's "Unicode" and Excel's "Unicode Text" save), else UTF-8 with or without one."""
    return "utf-16" if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8-sig"


def declared_charset(content_type: str | None) -> str | None:
    """The charset a Content-Type header declares, read as httpx reads it (None if none). Not
    through an httpx.Response: building one for each page cost 4 times as much."""
    if not content_type:
        return None
    header = email.message.Message()
    header["content-type"] = content_type
    return header.get_content_charset(failobj=None)


def fix_mojibake(text: str) -> str:
    """``text`` with UTF-8 that was decoded twice ("â€œ", "Ã©": a WordPress site whose database
    encodes its text a second time) decoded right; any other text as it is.

    ftfy's encoding fixes only: quotes, dashes, spaces and letters that are not mojibake stay.
    """
    if not text or not _MOJIBAKE.search(text):
        return text
    import ftfy  # 40 ms to import, for the rare text that needs it

    return ftfy.fix_encoding(text)


def plain_words(text: str | None) -> str:
    """Lower case, accents folded ("é" -> "e"), links and punctuation dropped, one space between words."""
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return " ".join(_NOT_WORD.sub(" ", _URL.sub(" ", text.lower())).split())


def item_text(title: str | None, text: str | None) -> str:
    """What the models read of a stored item: its title, a line break, its text.

    A social post's or forwarded message's title is its own first line (or all of it, cut with
    "…"): when the text already begins with the title, the text alone, or every cue of the
    message would count twice.
    """
    title, text = title or "", text or ""
    head = " ".join(title.split()).rstrip("…").rstrip()
    if head and " ".join(text[:len(title) + 200].split()).startswith(head):
        return text
    return f"{title}\n{text}"

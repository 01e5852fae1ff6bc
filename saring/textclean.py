"""The one normaliser for text that is compared, not classified: fingerprints of checks, fact-check
matching and story grouping. (The classifiers keep their own, stored inside the model files:
:mod:`saring.judge.classifier.textnorm`.)"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["item_text", "plain_words"]

_URL = re.compile(r"https?://\S+")
_NOT_WORD = re.compile(r"[^0-9a-z]+")


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

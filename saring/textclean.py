"""The one normaliser for text that is compared, not classified: fingerprints of checks, fact-check
matching and story grouping. (The classifiers keep their own, stored inside the model files:
:mod:`saring.judge.classifier.textnorm`.)"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["plain_words"]

_URL = re.compile(r"https?://\S+")
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def plain_words(text: str | None) -> str:
    """Lower case, accents folded ("é" -> "e"), links and punctuation dropped, one space between words."""
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return " ".join(_NOT_WORD.sub(" ", _URL.sub(" ", text.lower())).split())

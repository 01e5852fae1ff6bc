"""Text normalisation used inside the saved classifier pipelines.

The functions here are referenced *by name* from the ``.skops`` model files
(``sklearn.preprocessing.FunctionTransformer(func=normalize_texts)``), so their
module path and behaviour are part of the model format: renaming or changing them
means retraining (``make train``). Keep this module free of heavy imports.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

__all__ = ["URL_TOKEN", "NUM_TOKEN", "normalize_text", "normalize_texts", "dedup_key"]

URL_TOKEN = "urltoken"
"""Placeholder that replaces every URL / e-mail-like address."""

NUM_TOKEN = "numtoken"
"""Placeholder that replaces every run of digits (with . , : / - separators)."""

_URL_RE = re.compile(
    r"(?:https?://|ftp://|www\.)\S+"
    r"|\b[\w.-]+\.(?:com|id|net|org|co\.id|go\.id|ac\.id|info|me|ly)\b(?:/\S*)?",
    re.IGNORECASE,
)
# Cheap test run first: a (lower-cased) text can only hold a URL if it has one of these
# substrings (same result as running _URL_RE on every text, only faster).
_URL_HINTS = ("://", "www.", ".com", ".id", ".net", ".org", ".co", ".go", ".ac", ".info", ".me", ".ly")
_NUM_RE = re.compile(r"\d+(?:[.,:/-]\d+)*")
_WS_RE = re.compile(r"\s+")
_PUNCT_RE = re.compile(r"[^\w\s]")


def normalize_text(text: str | None) -> str:
    """Normalise one document for the TF-IDF vectorisers.

    Steps: Unicode NFKC, lower-case, URLs -> ``urltoken``, digit runs -> ``numtoken``,
    whitespace collapsed. ``None`` becomes the empty string.

    Args:
        text: Raw article text (may be ``None``).

    Returns:
        The normalised text.
    """
    if not text:
        return ""
    s = unicodedata.normalize("NFKC", str(text)).lower()
    if any(h in s for h in _URL_HINTS):
        s = _URL_RE.sub(f" {URL_TOKEN} ", s)
    s = _NUM_RE.sub(f" {NUM_TOKEN} ", s)
    return _WS_RE.sub(" ", s).strip()


def normalize_texts(texts: Iterable[str | None]) -> list[str]:
    """Normalise a batch of documents (the ``FunctionTransformer`` step of the pipelines).

    Args:
        texts: Iterable of raw texts; ``None`` entries are treated as empty.

    Returns:
        List of normalised texts, same order and length.
    """
    return [normalize_text(t) for t in texts]


def dedup_key(text: str | None) -> str:
    """Key used to find near-duplicate training documents.

    Lower-case, punctuation removed, whitespace collapsed (the rule the dataset notes
    use for its 4 near-duplicate pairs).

    Args:
        text: Raw text.

    Returns:
        A comparison key; equal keys mean "same article".
    """
    if not text:
        return ""
    s = unicodedata.normalize("NFKC", str(text)).lower()
    s = _PUNCT_RE.sub(" ", s)
    return _WS_RE.sub(" ", s).strip()

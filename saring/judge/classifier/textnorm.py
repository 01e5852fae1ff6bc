"""Text normalisation used inside the saved classifier pipelines.

The functions here are referenced *by name* from the ``.skops`` model files (as the
vectorizers' preprocessors), so their module path and behaviour are part of the model format:
files written before the stage layout name ``saring.textnorm`` (kept as a re-export), later
ones this module. Changing what they return means retraining (``make train``); a faster
implementation must return the same strings (``tests/test_score.py`` compares them). Keep this
module free of heavy imports.
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
    # No URL or number can span whitespace, so each whitespace-separated chunk is normalised on
    # its own, once per distinct chunk: the same result as substituting over the whole text.
    cache = _CHUNKS
    out = []
    for chunk in folded_chunks(text):
        norm = cache.get(chunk)
        if norm is None:
            norm = normalize_chunk(chunk)
            if len(cache) >= _CHUNKS_MAX:
                cache.clear()
            cache[chunk] = norm
        out.append(norm)
    return " ".join(out)


_CHUNKS: dict[str, str] = {}
_CHUNKS_MAX = 200_000


def folded_chunks(text: str | None) -> list[str]:
    """The whitespace-separated chunks of a text after NFKC and lower-casing.

    ``normalize_text(t).split()`` equals the chunks' :func:`normalize_chunk` outputs, split.
    """
    if not text:
        return []
    return unicodedata.normalize("NFKC", str(text)).lower().split()


def normalize_chunk(chunk: str) -> str:
    """URLs and digit runs of one folded, whitespace-free chunk replaced, whitespace collapsed."""
    if any(h in chunk for h in _URL_HINTS):
        chunk = _URL_RE.sub(f" {URL_TOKEN} ", chunk)
    # split/join == _WS_RE.sub(" ", s).strip(): both use str.isspace's whitespace
    return " ".join(_NUM_RE.sub(f" {NUM_TOKEN} ", chunk).split())


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

"""Limits that protect every stage from one enormous input.

``MAX_TEXT_CHARS``: a text is cut to this many characters before it is scored. A news article is
a few thousand characters; a 200 MB line in a CSV once took two minutes and 4 GB to score.
"""

from __future__ import annotations

MAX_TEXT_CHARS = 100_000
MAX_TITLE_CHARS = 500
"""A title is cut to this many characters where it is read (a feed entry's, a page's)."""
MAX_AUTHOR_CHARS = 200
"""An author (a feed entry's, a page's, a Telegram forward's name) is cut to this many characters where
it is read."""
MAX_GUID_CHARS = 2_048
"""A feed entry's guid (an address, or a tag:/urn: id) is cut to this many characters where it is read:
the longest address the sitemap protocol allows, past any real id."""
MAX_URL_CHARS = 2_048
"""A link longer than this is refused like a malformed link (:func:`saring.collect.urls.within_length`):
a feed entry's or a listing page's link, or a Telegram post's address, costs its item, a redirect to one
fails that fetch (the sitemap protocol's limit: a real article's address, tracking parameters and all, is
far shorter)."""


def cap_text(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """The first ``limit`` characters of ``text`` (the text itself when it is shorter)."""
    return text if len(text) <= limit else text[:limit]

"""Parse feed bytes with feedparser into plain :class:`FeedItem` records."""

from __future__ import annotations

import calendar
import codecs
import html
import io
import logging
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import feedparser

from saring import clock
from saring.collect.urls import canonical_url, within_length
from saring.errors import FeedError, MalformedURLError
from saring.limits import MAX_AUTHOR_CHARS, MAX_GUID_CHARS, MAX_TITLE_CHARS
from saring.textclean import fix_mojibake

LOGGER = logging.getLogger(__name__)

UNTITLED = "(tanpa judul)"  # the title of an entry that has none

_TAGS = re.compile(r"<[^>]+>")
# Tags inside a line of text: dropped, not read as a space (Mastodon writes a hashtag as
# <a>#<span>pemilu</span></a>, which must stay "#pemilu").
_INLINE_TAGS = re.compile(r"</?(?:a|abbr|b|bdi|bdo|big|cite|code|data|del|dfn|em|font|i|ins|kbd|mark|q|"
                          r"s|samp|small|span|strike|strong|sub|sup|time|tt|u|var)(?:\s[^>]*)?/?>", re.I)
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed, before its page is fetched."""

    url: str
    link: str
    title: str
    summary: str
    published_at: datetime | None
    author: str | None
    guid: str | None


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    items: list[FeedItem]
    skipped: int = 0
    warning: str | None = None


def strip_html(text: str | None) -> str:
    """Plain text from a feed's HTML summary (tags dropped, entities decoded, UTF-8 that was
    encoded twice decoded right: :func:`~saring.textclean.fix_mojibake`)."""
    if not text:
        return ""
    text = html.unescape(_TAGS.sub(" ", _INLINE_TAGS.sub("", text)))
    return _SPACE.sub(" ", fix_mojibake(text)).strip()


# A date outside these is a feed's placeholder, not a publication date: Hugo's "01 Jan 0001", the
# Unix epoch, a "never" date of 31 Dec 9999 (past Python's last date once on WIB: the digest stopped).
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
AHEAD = timedelta(days=1)  # as far ahead of the clock as a wrong time zone puts a real date


def _when(entry: dict) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            try:
                when = datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
            except (OverflowError, ValueError, TypeError):
                continue
            if EARLIEST <= when <= clock.now() + AHEAD:
                return when
    return None


def _link(entry: dict) -> str | None:
    link = entry.get("link")
    if not link:
        for alt in entry.get("links") or []:
            if alt.get("rel", "alternate") == "alternate" and alt.get("href"):
                link = alt["href"]
                break
    if not link:
        guid = entry.get("id") or ""
        if guid.startswith(("http://", "https://")):
            link = guid
    if link and link.strip().lower().startswith(("http://", "https://")):
        return link.strip()
    return None


# feedparser holds the GIL while it parses: feeds parsed side by side by a run's source threads all
# finish together, at the end; one at a time, the first feed's pages start downloading (and
# extracting on the other cores) after a fraction of that time, and the total is the same.
_ONE_AT_A_TIME = threading.Lock()


# A numeric character reference: feedparser's fallback parser (for a feed that is not well-formed
# XML, as one of these makes it) raised on one naming no character, and the source failed every run.
_CHAR_REF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")


def _char_code(ref: re.Match[bytes]) -> int:
    hexa, decimal = ref.groups()
    digits = (hexa or decimal).lstrip(b"0") or b"0"
    if len(digits) > 8:  # past U+10FFFF, and int() refuses 4,300 digits and more
        return 0x110000
    return int(digits, 16) if hexa else int(digits)


def _no_character(code: int) -> bool:
    return code > 0x10FFFF or 0xD800 <= code <= 0xDFFF


def _no_char_refs_without_a_character(data: bytes) -> bytes:
    """``data`` with each numeric reference to no character made one: two halves of a UTF-16
    surrogate pair ("&#55357;&#56911;", as some encoders write an emoji) their character, any
    other surrogate or a number past U+10FFFF U+FFFD."""
    refs = [r for r in _CHAR_REF.finditer(data) if _no_character(_char_code(r))]
    if not refs:
        return data
    out, done = [], 0
    for ref in refs:
        if ref.start() < done:  # the low half of a pair written already
            continue
        code, end = _char_code(ref), ref.end()
        low = _CHAR_REF.match(data, end)
        if 0xD800 <= code <= 0xDBFF and low and 0xDC00 <= _char_code(low) <= 0xDFFF:
            code, end = 0x10000 + (code - 0xD800) * 0x400 + _char_code(low) - 0xDC00, low.end()
        else:
            code = 0xFFFD
        out += [data[done:ref.start()], b"&#%d;" % code]
        done = end
    return b"".join([*out, data[done:]])


_BLANK = re.compile(rb"\s*")
_ELEMENT = re.compile(rb"<([A-Za-z_][\w.:-]{0,60})")


def _first_element(data: bytes) -> str | None:
    """The name of the first element of ``data``, after the XML declaration, doctype and comments
    that may come before it (a theme's credits comment runs past any fixed first part)."""
    at = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    while True:
        at = _BLANK.match(data, at).end()
        if data.startswith(b"<!--", at):
            end, close = data.find(b"-->", at + 4), 3
        elif data.startswith((b"<?", b"<!"), at):
            end, close = data.find(b">", at), 1
        else:
            element = _ELEMENT.match(data, at)
            return element.group(1).decode("ascii") if element else None
        if end < 0:
            return None
        at = end + close


def feedparser_parse(data: bytes, url: str, content_type: str | None = None) -> feedparser.FeedParserDict:
    """feedparser's reading of raw feed bytes (HTML sanitised, relative links resolved against ``url``)."""
    data = _no_char_refs_without_a_character(data)
    # Read as XML whatever the header says (many WordPress hosts and CDNs send RSS as text/html,
    # text/plain or with no Content-Type): feedparser called that header a fault of the feed ("not
    # well-formed") and read text/* without a charset as US-ASCII. As application/xml its bytes are read
    # by XML's own rules (RFC 7303): the server's charset, else the document's BOM or declaration.
    media, _, params = (content_type or "").partition(";")
    if not media.strip().lower().endswith("xml"):
        LOGGER.debug("%s: served as %r, read as XML", url, content_type)
    headers = {"content-location": url, "content-type": "application/xml" + (f";{params}" if params else "")}
    # As a stream: feedparser opens a str or bytes argument as a local file name when it can, so a
    # body of "/etc/hosts" or "/dev/stdin" would be read from this machine (and hold the lock).
    with _ONE_AT_A_TIME:
        return feedparser.parse(io.BytesIO(data), response_headers=headers, sanitize_html=True,
                                resolve_relative_uris=True)


def parse_feed(data: bytes, url: str, content_type: str | None = None, max_items: int = 50,
               parsed: feedparser.FeedParserDict | None = None) -> ParsedFeed:
    """Parse raw feed bytes.

    Entries without a usable http(s) link are skipped and counted. A malformed feed
    that still yields entries is accepted with a warning (feedparser's "bozo").

    Args:
        parsed: :func:`feedparser_parse` of ``data``, when the caller has it already
            (parsing is most of a feed's cost: once per feed).

    Raises:
        FeedError: nothing readable came out (HTML page, empty body, broken XML).
    """
    if parsed is None:
        parsed = feedparser_parse(data, url, content_type)
    entries = parsed.get("entries") or []
    warning = None
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        warning = f"feed is not well-formed ({exc.__class__.__name__}: {str(exc)[:120]})"
    if not entries:
        if not data.strip():
            raise FeedError(f"{url}: the feed is empty")
        unknown = parsed.get("version") in ("", None)  # feedparser found no RSS/Atom root
        root = _first_element(data) if unknown else None
        if unknown and (b"<html" in data[:2048].lower() or (root or "").lower() == "html"):
            raise FeedError(f"{url}: this is a web page, not an RSS/Atom feed")
        if warning:
            raise FeedError(f"{url}: {warning} and holds no items")
        if unknown:  # well-formed, but a sitemap or an error document: no feed, however empty
            raise FeedError(f"{url}: this is not an RSS/Atom feed"
                            + (f" (the document's root is <{root}>)" if root else ""))
        return ParsedFeed(title=strip_html(parsed.feed.get("title")), items=[],
                          warning="the feed has no items")

    items: list[FeedItem] = []
    seen: set[str] = set()
    skipped = 0
    malformed: list[str] = []
    try:
        itself = canonical_url(url)
    except MalformedURLError:
        itself = None
    for entry in entries:
        link = _link(entry)
        if not link:
            skipped += 1
            continue
        try:
            canon = canonical_url(within_length(link))
        except MalformedURLError as exc:  # costs this entry only; the reason goes in the warning
            malformed.append(str(exc))
            continue
        if canon == itself:  # <link>#</link>, read against the feed's address: no link of its own
            skipped += 1
            continue
        if canon in seen:
            continue
        seen.add(canon)
        title = strip_html(entry.get("title")) or UNTITLED
        # The fullest body: content:encoded is the article, but feedparser also files a photo's
        # <media:description> caption under `content`.
        bodies = [strip_html(c.get("value")) for c in entry.get("content") or []]
        summary = max([strip_html(entry.get("summary")), *bodies], key=len)
        items.append(
            FeedItem(
                url=canon,
                link=link,
                title=title[:MAX_TITLE_CHARS],
                summary=summary[:20_000],
                published_at=_when(entry),
                author=strip_html(entry.get("author"))[:MAX_AUTHOR_CHARS] or None,
                guid=(entry.get("id") or "")[:MAX_GUID_CHARS] or None,
            )
        )
        if len(items) >= max_items:
            break
    if not items and warning:
        raise FeedError(f"{url}: {warning} and holds no items with a link")
    if skipped:
        LOGGER.info("%s: skipped %d entries without a link", url, skipped)
        warning = warning or f"{skipped} entries without a link were skipped"
    if malformed:
        LOGGER.warning("%s: skipped %d entries with a malformed link: %s", url, len(malformed), malformed)
        warning = "; ".join(filter(None, [warning, malformed_warning(malformed)]))
    return ParsedFeed(title=strip_html(parsed.feed.get("title")), items=items,
                      skipped=skipped + len(malformed), warning=warning)


def malformed_warning(reasons: list[str]) -> str:
    """One sentence for a source's warning: how many entries had an unreadable link, and why."""
    more = f" (and {len(reasons) - 1} more)" if len(reasons) > 1 else ""
    return f"{len(reasons)} entries with a malformed link were skipped: {reasons[0]}{more}"

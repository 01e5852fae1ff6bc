"""More source kinds: Google News, Mastodon, Reddit, YouTube, Telegram previews, plain web pages.

Each kind turns its options into one fetch URL (:func:`source_url`) and the downloaded bytes
into the usual :class:`saring.collect.feeds.ParsedFeed` (:func:`parse_source`). RSS/Atom-based kinds
delegate to :func:`saring.collect.feeds.parse_feed`; ``telegram`` reads the public ``t.me/s/CHANNEL``
preview page and ``webpage`` collects links matching ``link_pattern`` from a listing page.

Every item comes back as a :class:`SocialItem`, a :class:`~saring.collect.feeds.FeedItem` with more
fields (``kind``, ``channel`` = the account/channel/outlet it came from, ``links`` = outbound links
found in the post, ``outlet_host`` = its outlet's site), so code written for ``FeedItem`` keeps working.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs, quote, quote_plus, urljoin, urlsplit

import feedparser
import lxml.html

from saring import clock
from saring.collect.feeds import (
    AHEAD,
    EARLIEST,
    UNTITLED,
    FeedItem,
    ParsedFeed,
    feedparser_parse,
    malformed_warning,
    parse_feed,
    strip_html,
)
from saring.collect.urls import canonical_url, url_site, within_length
from saring.errors import FeedError, MalformedURLError
from saring.limits import MAX_AUTHOR_CHARS
from saring.textclean import declared_charset

LOGGER = logging.getLogger(__name__)

GOOGLE_NEWS_SEARCH = "https://news.google.com/rss/search?q={q}&hl={hl}&gl={gl}&ceid={gl}:{hl}"
FEED_KINDS = ("rss", "atom", "google_news", "mastodon", "reddit", "youtube")
KINDS = (*FEED_KINDS, "telegram", "webpage")
# Kinds whose item link is a post on the platform, not a news article: the lead should default
# ``fetch_articles`` to False for them (the feed/preview already carries the whole post).
POST_KINDS = ("google_news", "mastodon", "reddit", "youtube", "telegram")

_TELEGRAM_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
_YOUTUBE_CHANNEL = re.compile(r"^UC[A-Za-z0-9_-]{22}$")
_HOST = re.compile(r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}(:\d+)?$")
_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"')\]]+", re.I)


@dataclass(frozen=True)
class SocialItem(FeedItem):
    """A feed item that also knows its source kind, channel/account and outbound links."""

    kind: str = "rss"
    channel: str | None = None
    links: tuple[str, ...] = ()
    outlet_host: str | None = None
    """The site of the outlet that published the item, when the feed names it (a Google News hit's
    ``<source url>``), read as :attr:`saring.config.Source.outlet_host` is: stories count the item
    as that outlet rather than as the search that found it."""


def _need(kind: str, options: dict, *names: str) -> str:
    for name in names:
        value = options.get(name)
        if value not in (None, ""):
            return str(value).strip()
    wanted = " or ".join(f"options.{n}" for n in names)
    raise ValueError(f"a {kind} source needs {wanted}")


def _instance(options: dict) -> str:
    raw = _need("mastodon", options, "instance")
    host = urlsplit(raw).netloc if "://" in raw else raw.strip("/")
    if not _HOST.match(host):
        raise ValueError(f"a mastodon source needs options.instance as a host name like "
                         f"'mastodon.social', not {raw!r}")
    return host


def source_url(kind: str, options: dict) -> str:
    """The address to download for a source of this kind.

    Options per kind: ``google_news``: ``query`` (and optional ``hl``, ``gl``);
    ``mastodon``: ``instance`` + ``hashtag`` or ``account``; ``reddit``: ``subreddit`` and/or
    ``search``; ``youtube``: ``channel_id`` (or ``playlist_id``); ``telegram``: ``channel``;
    ``webpage``: ``url`` + ``link_pattern``; ``rss``/``atom``: ``url``.

    Raises:
        ValueError: an option is missing or malformed; the message names it.
    """
    options = options or {}
    if kind in ("rss", "atom"):
        return _need(kind, options, "url")
    if kind == "google_news":
        query = _need(kind, options, "query")
        return GOOGLE_NEWS_SEARCH.format(q=quote_plus(query), hl=options.get("hl") or "id",
                                         gl=options.get("gl") or "ID")
    if kind == "mastodon":
        host = _instance(options)
        if options.get("hashtag"):
            tag = str(options["hashtag"]).strip().lstrip("#")
            if not re.match(r"^\w+$", tag):
                raise ValueError(f"a mastodon source's options.hashtag must be one word, not {tag!r}")
            return f"https://{host}/tags/{quote(tag)}.rss"
        if options.get("account"):
            account = str(options["account"]).strip().lstrip("@")
            user, _, other = account.partition("@")
            if not re.match(r"^\w+$", user):
                raise ValueError(f"a mastodon source's options.account looks wrong: {account!r}")
            return f"https://{other or host}/@{user}.rss"
        raise ValueError("a mastodon source needs options.hashtag or options.account")
    if kind == "reddit":
        sub = str(options.get("subreddit") or "").strip().removeprefix("r/").strip("/")
        search = options.get("search")
        if sub and not re.match(r"^[A-Za-z0-9_]{2,21}$", sub):
            raise ValueError(f"a reddit source's options.subreddit looks wrong: {sub!r}")
        if search:
            base = f"https://www.reddit.com/r/{sub}/search.rss" if sub else "https://www.reddit.com/search.rss"
            return base + f"?q={quote_plus(str(search))}&sort=new" + ("&restrict_sr=on" if sub else "")
        if sub:
            return f"https://www.reddit.com/r/{sub}/new/.rss"
        raise ValueError("a reddit source needs options.subreddit or options.search")
    if kind == "youtube":
        if options.get("playlist_id"):
            return f"https://www.youtube.com/feeds/videos.xml?playlist_id={quote(str(options['playlist_id']))}"
        channel = _need(kind, options, "channel_id")
        if not _YOUTUBE_CHANNEL.match(channel):
            raise ValueError(f"a youtube source's options.channel_id must look like 'UC' + 22 characters "
                             f"(see the channel's page source), not {channel!r}")
        return f"https://www.youtube.com/feeds/videos.xml?channel_id={channel}"
    if kind == "telegram":
        channel = telegram_channel(options)
        return f"https://t.me/s/{channel}"
    if kind == "webpage":
        if options.get("url") in (None, ""):  # the source's own address, not an option
            raise ValueError("a webpage source needs url: the listing page's address, on its own line "
                             "beside 'kind:' (not under options), e.g. url: https://www.example.go.id/berita")
        url = str(options["url"]).strip()
        _link_pattern(options)
        return url
    raise ValueError(f"unknown source kind {kind!r}; use one of {', '.join(KINDS)}")


_MASTODON_PAGE = re.compile(r"^/(?:@(?P<account>[^/.]+)|tags/(?P<hashtag>[^/.]+))/?$")  # no .rss


def page_not_feed(kind: str, url: str) -> str | None:
    """How to write a source whose explicit ``url`` is the platform's page for people (a YouTube
    channel, a t.me channel, a Mastodon profile or tag, a subreddit, a Google News search) rather
    than the feed its kind reads; None when it is not such a page. Every run would read the page
    and fail on it."""
    parts = urlsplit(url)
    host, path = (parts.hostname or "").lower(), parts.path
    if kind == "youtube" and host.removeprefix("www.").removeprefix("m.") == "youtube.com" \
            and path != "/feeds/videos.xml":
        m = re.match(r"^/channel/(UC[A-Za-z0-9_-]{22})/?", path)
        channel = m.group(1) if m else "UC... (24 characters, in the channel page's source)"
        return (f"{url} is a YouTube page, not the channel's feed: leave out url and write "
                f"options.channel_id: {channel}; for a playlist, options.playlist_id")
    if kind == "telegram" and host in ("t.me", "telegram.me") and not path.startswith("/s/"):
        name = path.strip("/").split("/")[0].lstrip("@") or "NAME"
        return (f"{url} is the channel's page, not the public preview saring reads: leave out url and "
                f"write options.channel: {name}")
    if kind == "mastodon" and (m := _MASTODON_PAGE.match(path)):
        option = f"account: {m['account']}" if m["account"] else f"hashtag: {m['hashtag']}"
        return (f"{url} is a Mastodon page, not its feed: leave out url and write options.instance: {host} "
                f"and options.{option}")
    query = (parse_qs(parts.query).get("q") or [""])[0].strip()
    reddit = host == "reddit.com" or host.endswith(".reddit.com")
    if kind == "reddit" and reddit and not path.endswith(".rss"):
        sub = m.group(1) if (m := re.match(r"^/r/([A-Za-z0-9_]{2,21})(/|$)", path)) else ""
        written = [f"options.subreddit: {sub}"] * bool(sub) + [f"options.search: {query}"] * bool(query)
        options = " and ".join(written)
        return (f"{url} is a Reddit page, not its feed: leave out url and write "
                f"{options or 'options.subreddit (the NAME in /r/NAME) or options.search'}")
    if kind == "google_news" and host == "news.google.com" and path.rstrip("/") != "/rss" \
            and not path.startswith("/rss/"):
        if query:
            return (f"{url} is a Google News page, not its feed: leave out url and write "
                    f"options.query: {query}")
        return (f"{url} is a Google News page, not its feed: write its feed's address, "
                f"url: {parts._replace(path='/rss' + path).geturl()}")
    return None


# The options each kind builds its address from (see :func:`source_url`).
ADDRESS_OPTIONS = {"google_news": ("query", "hl", "gl"), "mastodon": ("instance", "hashtag", "account"),
                   "reddit": ("subreddit", "search"), "youtube": ("channel_id", "playlist_id"),
                   "telegram": ("channel",)}


def options_not_used(kind: str, url: str, options: dict) -> str | None:
    """What a source whose ``url`` is written beside the options its kind builds an address from
    reads: the url, every run (the options are passed over); None when they build that same url."""
    names = [n for n in ADDRESS_OPTIONS.get(kind, ()) if options.get(n) not in (None, "")]
    if not names:
        return None
    try:
        built = source_url(kind, options)
    except ValueError as exc:
        built, why = None, str(exc)
    if built == url:
        return None
    return (f"every run reads {url} (its url), with {', '.join('options.' + n for n in names)} not used"
            + (f": they would read {built}" if built else f" ({why})")
            + "; leave out url to read what the options say, or take them out")


def telegram_channel(options: dict) -> str:
    raw = _need("telegram", options, "channel")
    name = re.sub(r"^(https?://)?(t\.me|telegram\.me)/(s/)?", "", raw).strip("/").lstrip("@")
    if not _TELEGRAM_NAME.match(name):
        raise ValueError(f"a telegram source's options.channel must be a public channel name "
                         f"(5-32 letters, digits, _), not {raw!r}")
    return name


def _link_pattern(options: dict) -> re.Pattern[str]:
    pattern = _need("webpage", options, "link_pattern")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"a webpage source's options.link_pattern is not a valid regular "
                         f"expression: {exc}") from None


# ---------------------------------------------------------------------------------- parsing


def parse_source(kind: str, data: bytes, url: str, content_type: str | None = None,
                 options: dict | None = None, max_items: int = 50) -> ParsedFeed:
    """Parse the bytes downloaded for a source into items (each a :class:`SocialItem`).

    Raises:
        FeedError: nothing usable was found, with the reason.
        ValueError: the options are misconfigured (as :func:`source_url`).
    """
    options = options or {}
    if kind in FEED_KINDS:
        parsed = feedparser_parse(data, url, content_type)  # once: both readings below use it
        feed = parse_feed(data, url, content_type, max_items=max_items, parsed=parsed)
        extra = _entry_extras(parsed, url)
        items = [_social(kind, it, options, *extra.get(it.link, ((), "", None))) for it in feed.items]
        return ParsedFeed(title=feed.title, items=items, skipped=feed.skipped, warning=feed.warning)
    if kind == "telegram":
        return parse_telegram(data, url, options, max_items, content_type)
    if kind == "webpage":
        return parse_webpage(data, url, options, max_items, content_type)
    raise ValueError(f"unknown source kind {kind!r}; use one of {', '.join(KINDS)}")


def _entry_extras(parsed: feedparser.FeedParserDict,
                  url: str) -> dict[str, tuple[tuple[str, ...], str, str | None]]:
    """Per entry link: the outbound http(s) links in its HTML, its description as plain text
    (feedparser prefers a media:description, e.g. a Mastodon image caption, over the post), and
    the address of the site it names as its source (RSS ``<source url>``)."""
    out: dict[str, tuple[tuple[str, ...], str, str | None]] = {}
    for entry in parsed.get("entries") or []:
        link = (entry.get("link") or "").strip()
        html_parts = [c.get("value") or "" for c in entry.get("content") or []] + [entry.get("summary") or ""]
        found = _hrefs(" ".join(html_parts), base=link or url)
        source = entry.get("source")
        named = source.get("href") if isinstance(source, dict) else None
        out[link] = (tuple(u for u in found if u != link), strip_html(entry.get("summary")),
                     named if isinstance(named, str) else None)
    return out


def _outlet_site(address: str | None) -> str | None:
    """The site of the outlet at ``address`` (a Google News hit's ``<source url>``), as sources.yaml's
    own feeds' sites are read (:func:`saring.config.outlet_site`); None when it cannot be read."""
    if not address:
        return None
    try:
        return url_site(address.strip())
    except ValueError:  # an unreadable address costs the item its outlet, not the feed
        return None


def _hrefs(html_text: str, base: str) -> list[str]:
    links: list[str] = []
    for href in re.findall(r"""href=["']([^"']+)["']""", html_text or "", re.I):
        absolute = urljoin(base, href.replace("&amp;", "&"))
        if absolute.lower().startswith(("http://", "https://")) and absolute not in links:
            links.append(absolute)
    for raw in _URL_IN_TEXT.findall(strip_html(html_text)):
        raw = raw.rstrip(".,;:!?")
        if raw not in links and not any(x.startswith(raw) for x in links):
            links.append(raw)
    return links


_MASTODON_TAG_LINK = re.compile(r"/tags/|/@[^/]+/?$")


_REDDIT_BOILERPLATE = re.compile(r"\s*submitted by\s+/u/\S+\s*(\[link\])?\s*(\[comments\])?\s*$")


def _social(kind: str, item: FeedItem, options: dict, links: tuple[str, ...], description: str,
            source_address: str | None = None) -> SocialItem:
    channel: str | None = None
    outlet_host: str | None = None
    fields = {f: getattr(item, f) for f in FeedItem.__dataclass_fields__}
    if kind == "mastodon":
        # Toots have no title: the post's first line is one. Its text is the description.
        if len(description) > len(item.summary):
            fields["summary"] = description[:20_000]
        if item.title == UNTITLED and fields["summary"]:
            fields["title"] = _first_line(fields["summary"])
        m = re.search(r"https?://([^/]+)/@([^/]+)/", item.link)
        channel = f"@{m.group(2)}@{m.group(1)}" if m else options.get("account")
        # Hashtag and mention links are navigation, not what the post points at.
        links = tuple(u for u in links if not _MASTODON_TAG_LINK.search(urlsplit(u).path))
    elif kind == "reddit":
        m = re.search(r"reddit\.com/r/([^/]+)/", item.link)
        fields["summary"] = _REDDIT_BOILERPLATE.sub("", item.summary).strip() or item.title
        channel = (f"r/{m.group(1)}" if m
                   else (f"r/{options['subreddit']}" if options.get("subreddit") else None))
        links = tuple(u for u in links if "reddit.com/user/" not in u and "redd.it" not in urlsplit(u).netloc
                      and not urlsplit(u).netloc.endswith("reddit.com"))
    elif kind == "youtube":
        channel = item.author or options.get("channel_id")
        links = ()
    elif kind == "google_news":
        # Google News titles end with " - Outlet".
        head, sep, outlet = item.title.rpartition(" - ")
        channel = outlet.strip() if sep and outlet.strip() else None
        if channel:
            fields["title"] = head.strip()
            fields["summary"] = re.sub(re.escape(channel) + r"$", "", item.summary).strip()
        outlet_host = _outlet_site(source_address)
        links = ()
    else:
        channel = item.author
    return SocialItem(**fields, kind=kind, channel=channel, links=links, outlet_host=outlet_host)


def _parse_html(data: bytes, url: str, content_type: str | None = None) -> lxml.html.HtmlElement:
    from saring.collect.extract import decode_html

    if not data.strip():
        raise FeedError(f"{url}: the page is empty")
    # lxml alone knows only a <meta> charset and reads other bytes as Latin-1: decoded as an
    # article page is (UTF-8, else the server's declared charset, else a detected one).
    data = decode_html(data, declared_charset(content_type)).encode("utf-8")
    try:
        # A parser per call: lxml parser objects must not be shared by the sources' threads.
        parser = lxml.html.HTMLParser(encoding="utf-8")
        return lxml.html.document_fromstring(data, base_url=url, parser=parser)
    except (ValueError, lxml.etree.ParserError) as exc:
        raise FeedError(f"{url}: the page cannot be read as HTML ({exc})") from None


def _text_with_breaks(element: lxml.html.HtmlElement) -> str:
    for br in element.iter("br"):
        br.tail = "\n" + (br.tail or "")
    text = element.text_content()
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def _first_line(text: str, limit: int = 140) -> str:
    line = next((s for s in text.splitlines() if s.strip()), "").strip()
    return line if len(line) <= limit else line[: limit - 1].rsplit(" ", 1)[0] + "…"


_TELEGRAM_OWN_TEXT = ('.//div[contains(concat(" ", normalize-space(@class), " "),'
                      ' " tgme_widget_message_text ")]'
                      '[not(contains(@class, "js-message_reply_text"))]'
                      '[not(ancestor::*[contains(concat(" ", normalize-space(@class), " "),'
                      ' " tgme_widget_message_reply ")])]')


def parse_telegram(data: bytes, url: str, options: dict | None = None, max_items: int = 50,
                   content_type: str | None = None) -> ParsedFeed:
    """Messages of a public channel's web preview (``https://t.me/s/CHANNEL``), newest first.

    Each item links to the post (``https://t.me/CHANNEL/ID``); its title is the first line of
    the text, its summary the whole text; ``links`` holds the links inside the message.
    """
    options = options or {}
    doc = _parse_html(data, url, content_type)
    messages = doc.xpath('//div[contains(concat(" ", normalize-space(@class), " "), " tgme_widget_message ")]'
                         '[@data-post]')
    if not messages:
        if doc.xpath('//*[contains(@class, "tgme_page")]'):
            raise FeedError(f"{url}: this Telegram channel shows no public messages (private channel, "
                            f"or previews are disabled for it)")
        raise FeedError(f"{url}: this is not a Telegram channel preview page (no messages found)")
    title_nodes = doc.xpath('//div[contains(@class, "tgme_channel_info_header_title")]')
    title = title_nodes[0].text_content().strip() if title_nodes else ""
    items: list[SocialItem] = []
    skipped = 0
    malformed: list[str] = []
    for msg in reversed(messages):  # the page lists oldest first
        post = msg.get("data-post", "")
        m = re.match(r"^([A-Za-z0-9_]+)/(\d+)$", post)
        if not m:
            skipped += 1
            continue
        channel, number = m.groups()
        try:
            link = within_length(f"https://t.me/{channel}/{number}")
        except MalformedURLError as exc:  # costs this post only, as a feed's over-long link
            malformed.append(str(exc))
            continue
        # A reply shows the quoted post first, in a tgme_widget_message_text div too: not this post's.
        text_nodes = msg.xpath(_TELEGRAM_OWN_TEXT)
        text = _text_with_breaks(text_nodes[0]) if text_nodes else ""
        preview = msg.xpath('.//a[contains(@class, "tgme_widget_message_link_preview")]')
        preview_title = msg.xpath('.//div[contains(@class, "link_preview_title")]')
        preview_desc = msg.xpath('.//div[contains(@class, "link_preview_description")]')
        for node in preview_title[:1] + preview_desc[:1]:  # the linked page's preview card
            text = (text + "\n" + node.text_content().strip()).strip()
        if not text:
            skipped += 1  # photo/video/sticker without a caption: nothing to read
            continue
        links: list[str] = []
        for node in text_nodes[:1] + preview:
            for href in ([node.get("href")] if node.tag == "a" else node.xpath(".//a/@href")):
                if href and href.startswith(("http://", "https://")) and not href.startswith("https://t.me/")\
                        and href not in links:
                    links.append(href)
        times = msg.xpath('.//a[contains(@class, "tgme_widget_message_date")]//time/@datetime')
        when = _iso(times[0]) if times else None
        forwarded = msg.xpath('.//*[contains(@class, "tgme_widget_message_forwarded_from_name")]')
        author = forwarded[0].text_content().strip()[:MAX_AUTHOR_CHARS] if forwarded else None
        items.append(SocialItem(url=canonical_url(link), link=link, title=_first_line(text) or UNTITLED,
                                summary=text[:20_000], published_at=when, author=author, guid=post,
                                kind="telegram", channel=channel, links=tuple(links)))
        if len(items) >= max_items:
            break
    if not items:
        if malformed:  # "none with text" would be the wrong reason: the posts were skipped for their link
            raise FeedError(f"{url}: the Telegram preview holds {len(messages)} messages but none could be "
                            f"kept: {malformed_warning(malformed)}")
        raise FeedError(f"{url}: the Telegram preview holds {len(messages)} messages but none with text")
    # Photos and stickers without a caption are normal in a channel: counted, not a warning.
    return ParsedFeed(title=title, items=items, skipped=skipped + len(malformed),
                      warning=malformed_warning(malformed) if malformed else None)


def _iso(value: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    # Bounded as a feed's dates are: outside them it is a placeholder, not when the post was made.
    return when if when.tzinfo and EARLIEST <= when <= clock.now() + AHEAD else None


def parse_webpage(data: bytes, url: str, options: dict, max_items: int = 50,
                  content_type: str | None = None) -> ParsedFeed:
    """Links on a listing page whose absolute URL matches ``options['link_pattern']`` (a regex,
    searched anywhere in the URL), in page order, deduplicated, titled by their anchor text.
    """
    pattern = _link_pattern(options)
    doc = _parse_html(data, url, content_type)
    doc.make_links_absolute(url, resolve_base_href=True)
    titles = doc.xpath("//title")
    page_title = titles[0].text_content().strip() if titles else ""
    host = urlsplit(url).netloc
    found: dict[str, SocialItem] = {}
    malformed: list[str] = []
    anchors = doc.xpath("//a[@href]")
    for a in anchors:
        href = (a.get("href") or "").strip()
        if not href.lower().startswith(("http://", "https://")) or not pattern.search(href):
            continue
        try:
            canon = canonical_url(within_length(href))
        except MalformedURLError as exc:  # costs this link only
            malformed.append(str(exc))
            continue
        # The title attribute (an image-only link) may hold line breaks too: one line, as the text.
        text = re.sub(r"\s+", " ", a.text_content()).strip() or " ".join((a.get("title") or "").split())
        if canon in found:
            if len(text) > len(found[canon].title) and found[canon].title == UNTITLED:
                found[canon] = SocialItem(**{**found[canon].__dict__, "title": text[:500]})
            continue
        found[canon] = SocialItem(url=canon, link=href, title=text[:500] or UNTITLED, summary="",
                                  published_at=None, author=None, guid=None, kind="webpage",
                                  channel=host, links=())
        if len(found) >= max_items:
            break
    if not found and malformed:  # the pattern matched: the links were skipped for what they hold
        raise FeedError(f"{url}: no link on the page matching link_pattern {pattern.pattern!r} could be "
                        f"kept: {malformed_warning(malformed)}")
    if not found:
        raise FeedError(f"{url}: none of the {len(anchors)} links on the page matches link_pattern "
                        f"{pattern.pattern!r}")
    # A link repeated as image + headline keeps the headline (the longer anchor text).
    return ParsedFeed(title=page_title, items=list(found.values()), skipped=len(malformed),
                      warning=malformed_warning(malformed) if malformed else None)

"""Source kinds: URL building, parsing of each kind's sample, and clear errors."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from saring import clock
from saring.collect.feeds import FeedItem
from saring.collect.kinds import SocialItem, parse_source, source_url
from saring.errors import FeedError
from saring.limits import MAX_URL_CHARS

SOCIAL = Path(__file__).parent / "fixtures" / "social"


def _read(name: str) -> bytes:
    return (SOCIAL / name).read_bytes()


@pytest.mark.parametrize(("kind", "options", "url"), [
    ("google_news", {"query": "pemilu kota batu"},
     "https://news.google.com/rss/search?q=pemilu+kota+batu&hl=id&gl=ID&ceid=ID:id"),
    ("mastodon", {"instance": "https://mastodon.social/", "hashtag": "#pemilu"},
     "https://mastodon.social/tags/pemilu.rss"),
    ("mastodon", {"instance": "mastodon.social", "account": "@kpu_ri"}, "https://mastodon.social/@kpu_ri.rss"),
    ("mastodon", {"instance": "mastodon.social", "account": "bawaslu@social.example.id"},
     "https://social.example.id/@bawaslu.rss"),
    ("reddit", {"subreddit": "r/indonesia"}, "https://www.reddit.com/r/indonesia/new/.rss"),
    ("reddit", {"subreddit": "indonesia", "search": "kpu kota batu"},
     "https://www.reddit.com/r/indonesia/search.rss?q=kpu+kota+batu&sort=new&restrict_sr=on"),
    ("reddit", {"search": "hoaks pemilu"}, "https://www.reddit.com/search.rss?q=hoaks+pemilu&sort=new"),
    ("youtube", {"channel_id": "UCAAAAAAAAAAAAAAAAAAAAAA"},
     "https://www.youtube.com/feeds/videos.xml?channel_id=UCAAAAAAAAAAAAAAAAAAAAAA"),
    ("telegram", {"channel": "https://t.me/s/infopemilu_contoh"}, "https://t.me/s/infopemilu_contoh"),
    ("telegram", {"channel": "@infopemilu_contoh"}, "https://t.me/s/infopemilu_contoh"),
    ("webpage", {"url": "https://kpu.example.id/berita/", "link_pattern": r"/berita/\d{4}/"},
     "https://kpu.example.id/berita/"),
])
def test_source_url(kind, options, url):
    assert source_url(kind, options) == url


@pytest.mark.parametrize(("kind", "options", "words"), [
    ("google_news", {}, "options.query"),
    ("mastodon", {"hashtag": "pemilu"}, "options.instance"),
    ("mastodon", {"instance": "mastodon.social"}, "options.hashtag or options.account"),
    ("reddit", {}, "options.subreddit or options.search"),
    ("youtube", {}, "options.channel_id"),
    ("youtube", {"channel_id": "kpu"}, "options.channel_id must look like"),
    ("telegram", {}, "options.channel"),
    ("telegram", {"channel": "a b"}, "options.channel must be a public channel name"),
    ("webpage", {"url": "https://x.example/"}, "options.link_pattern"),
    ("webpage", {"url": "https://x.example/", "link_pattern": "(["}, "not a valid regular expression"),
    ("myspace", {}, "unknown source kind 'myspace'"),
])
def test_source_url_errors_name_the_option(kind, options, words):
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace("[", r"\[")):
        source_url(kind, options)


def test_mastodon_items_have_title_text_channel_and_outbound_links():
    feed = parse_source("mastodon", _read("mastodon_tag_pemilu.rss"), "https://mastodon.example.id/tags/pemilu.rss",
                        "application/rss+xml", {"instance": "mastodon.example.id", "hashtag": "pemilu"}, 50)
    first, second = feed.items
    assert isinstance(first, SocialItem) and isinstance(first, FeedItem)
    assert first.kind == "mastodon" and first.channel == "@pemantau_batu@mastodon.example.id"
    assert first.title.startswith("Beredar pesan berantai bahwa TPS di Kota Batu")
    assert first.links == ("https://kpu-batukota.example.id/berita/klarifikasi-lokasi-tps",)
    assert "Forum Bakohumas Kota Batu" in second.summary  # the post, not the image caption
    assert second.channel == "@rina_jurnalis@social.example.org" and second.links == ()


def test_reddit_items():
    feed = parse_source("reddit", _read("reddit_indonesia.atom"), "https://www.reddit.com/r/indonesia/new/.rss",
                        "application/atom+xml", {"subreddit": "indonesia"}, 50)
    self_post, link_post = feed.items
    assert self_post.channel == "r/indonesia" and self_post.kind == "reddit"
    assert self_post.title.startswith("Surat suara sudah dicoblos")
    assert "submitted by" not in self_post.summary and "orang dalam KPU" in self_post.summary
    assert self_post.links == ("https://bit.example/suara-batu",)
    assert link_post.links == ("https://www.antaranews.example/berita/kpu-buka-pendaftaran-kpps",)
    assert link_post.summary == link_post.title


def test_youtube_items():
    feed = parse_source("youtube", _read("youtube_channel.xml"),
                        "https://www.youtube.com/feeds/videos.xml?channel_id=UCAAAAAAAAAAAAAAAAAAAAAA",
                        "application/atom+xml", {"channel_id": "UCAAAAAAAAAAAAAAAAAAAAAA"}, 1)
    (video,) = feed.items  # max_items respected
    assert video.url == "https://www.youtube.com/watch?v=AbCdEfGhIj0"
    assert video.channel == "KPU Kota Contoh" and video.kind == "youtube"
    assert "hoaks" in video.summary and video.published_at.isoformat() == "2023-10-11T03:00:07+00:00"


def test_google_news_items_name_the_outlet():
    feed = parse_source("google_news", _read("google_news_pemilu_kota_batu.rss"),
                        "https://news.google.com/rss/search?q=pemilu+kota+batu", "application/rss+xml",
                        {"query": "pemilu kota batu"}, 50)
    assert [(i.title, i.channel) for i in feed.items] == [
        ("KPU Kota Batu Gelar Rapat Koordinasi Forum Bakohumas", "Malang Post"),
        ("Bawaslu Kota Batu Ingatkan Netralitas ASN Jelang Pemilu 2024", "Jatim Pos"),
    ]


@pytest.mark.parametrize("shown", ["0001-01-01T00:00:00+07:00", "1970-01-01T00:00:00Z",
                                   "9999-12-31T23:59:59+00:00", "2031-05-01T07:05:33+00:00"])
def test_a_telegram_placeholder_date_is_no_date_as_in_a_feed(shown):
    # A preview page's <time datetime> from a broken mirror or a post scheduled ahead: a feed's
    # date outside 1990..tomorrow is read as none (9999 on WIB is past Python's last date).
    page = _read("telegram_preview.html").replace(b"2023-10-12T07:05:33+00:00", shown.encode())
    with clock.frozen(datetime(2026, 11, 25, 9, tzinfo=UTC)):
        feed = parse_source("telegram", page, "https://t.me/s/infopemilu_contoh", "text/html")
    older = next(i for i in feed.items if i.link.endswith("/1201"))
    assert older.published_at is None
    assert {i.published_at.isoformat() for i in feed.items if i is not older} == {"2023-10-12T09:12:00+00:00"}


def test_telegram_preview_messages():
    feed = parse_source("telegram", _read("telegram_preview.html"), "https://t.me/s/infopemilu_contoh",
                        "text/html", {"channel": "infopemilu_contoh"}, 50)
    assert feed.title == "Info Pemilu Contoh"
    assert feed.skipped == 1  # the photo without a caption
    newest, older = feed.items
    assert newest.link == "https://t.me/infopemilu_contoh/1203"
    assert "Klarifikasi: Surat Suara Belum Dicetak" in newest.summary
    assert newest.links == ("https://kpu-batukota.example.id/berita/klarifikasi-surat-suara",)
    assert older.url == "https://t.me/infopemilu_contoh/1201" and older.channel == "infopemilu_contoh"
    assert older.author == "Grup Lain"  # forwarded from
    assert older.published_at.isoformat() == "2023-10-12T07:05:33+00:00"
    assert older.title.startswith("⚠️ VIRAL: surat suara Pemilu 2024")
    assert "\n" in older.summary and older.links == ("https://bit.example/suara-batu",)


def test_webpage_listing_links():
    opts = {"url": "https://kpu-kota.example.id/berita/", "link_pattern": r"/berita/\d{4}/\d{2}/"}
    feed = parse_source("webpage", _read("webpage_listing.html"), opts["url"], "text/html", opts, 50)
    assert [(i.url, i.title) for i in feed.items] == [
        ("https://kpu-kota.example.id/berita/2023/10/12/rapat-koordinasi-bakohumas",
         "KPU Kota Contoh Gelar Rapat Koordinasi Forum Bakohumas"),
        ("https://kpu-kota.example.id/berita/2023/10/11/pendaftaran-kpps-dibuka",
         "Pendaftaran KPPS Pemilu 2024 Dibuka"),
        ("https://kpu-kota.example.id/berita/berita/2023/10/10/klarifikasi-hoaks-surat-suara",
         "Klarifikasi Hoaks Surat Suara Tercoblos"),
    ]
    assert {i.channel for i in feed.items} == {"kpu-kota.example.id"}


@pytest.mark.parametrize(("kind", "data", "options", "reason"), [
    ("telegram", b"<html><body><div class='tgme_page'>Channel</div></body></html>", {"channel": "abcde"},
     "shows no public messages"),
    ("telegram", b"<html><body><p>hello</p></body></html>", {"channel": "abcde"},
     "not a Telegram channel preview"),
    ("telegram", b"", {"channel": "abcde"}, "empty"),
    ("webpage", b"<html><body><a href='/about'>About</a></body></html>",
     {"url": "https://x.example/", "link_pattern": "/berita/"}, "none of the 1 links"),
    ("mastodon", b"<html><body>Not found</body></html>", {}, "web page, not an RSS/Atom feed"),
])
def test_nothing_usable_is_a_feed_error(kind, data, options, reason):
    with pytest.raises(FeedError, match=reason):
        parse_source(kind, data, "https://x.example/", "text/html", options, 50)


def test_fetch_and_parse_over_http(httpserver):
    """The bytes a real HTTP download returns parse the same (content type from the server)."""
    httpserver.expect_request("/s/infopemilu_contoh").respond_with_data(
        _read("telegram_preview.html"), content_type="text/html; charset=utf-8")
    httpserver.expect_request("/tags/pemilu.rss").respond_with_data(
        _read("mastodon_tag_pemilu.rss"), content_type="application/rss+xml; charset=utf-8")
    for kind, path, opts in [("telegram", "/s/infopemilu_contoh", {"channel": "infopemilu_contoh"}),
                             ("mastodon", "/tags/pemilu.rss", {})]:
        response = httpx.get(httpserver.url_for(path))
        feed = parse_source(kind, response.content, str(response.url), response.headers["content-type"],
                            opts, 50)
        assert len(feed.items) == 2 and feed.warning is None


def test_webpage_link_with_a_malformed_port_costs_only_that_link():
    page = (b"<html><body><a href='https://kota.example/berita/1'>Satu</a>"
            b"<a href='https://kota.example:notaport/berita/2'>Dua</a></body></html>")
    feed = parse_source("webpage", page, "https://kota.example/", options={"link_pattern": "/berita/"})
    assert [i.url for i in feed.items] == ["https://kota.example/berita/1"]
    assert feed.skipped == 1 and "port is not a number" in feed.warning


def test_an_over_long_link_on_a_listing_page_costs_only_that_link_with_the_reason():
    # A broken or hostile listing page may put megabytes in an href: the link became the item's stored
    # address (and the page saring asked for), as a feed's <link> once did.
    base = "https://kpu-kota.example.id/berita/"
    first = b"/berita/2023/10/12/rapat-koordinasi-bakohumas"
    second = b"https://kpu-kota.example.id/berita/2023/10/11/pendaftaran-kpps-dibuka?utm_source=home"
    page = _read("webpage_listing.html")
    assert page.count(b'href="' + second) == 1
    site = b"https://kpu-kota.example.id"  # the href is read against it: its absolute form is stored
    longest = first + b"?src=" + b"9" * (MAX_URL_CHARS - len(site + first) - 5)  # as long as one may be
    data = page.replace(b'href="' + first, b'href="' + longest).replace(
        b'href="' + second, b'href="' + second + b"&q=" + b"9" * 1_000_000)
    feed = parse_source("webpage", data, base, "text/html", {"link_pattern": r"/berita/\d{4}/\d{2}/"}, 50)
    assert len(feed.items[0].link) == MAX_URL_CHARS and feed.items[0].title.startswith("KPU Kota Contoh")
    assert [i.title for i in feed.items[1:]] == ["Klarifikasi Hoaks Surat Suara Tercoblos"]
    assert feed.skipped == 1
    assert feed.warning.startswith("1 entries with a malformed link were skipped: the link ")
    assert f"longer than {MAX_URL_CHARS:,} characters" in feed.warning and len(feed.warning) < 400


def test_an_over_long_telegram_post_address_costs_only_that_post_with_the_reason():
    # A broken or hostile mirror of t.me/s/ may put megabytes in data-post: the post's address built
    # from it became the item's stored url, link and guid, as a listing page's href once did.
    page = _read("telegram_preview.html")
    own = "https://t.me/infopemilu_contoh/"
    longest = b"infopemilu_contoh/" + b"1" * (MAX_URL_CHARS - len(own))  # as long as one may be
    data = page.replace(b'data-post="infopemilu_contoh/1203"', b'data-post="' + longest + b'"').replace(
        b'data-post="infopemilu_contoh/1201"', b'data-post="infopemilu_contoh/' + b"1" * 1_000_000 + b'"')
    feed = parse_source("telegram", data, "https://t.me/s/infopemilu_contoh", "text/html",
                        {"channel": "infopemilu_contoh"}, 50)
    (kept,) = feed.items
    assert len(kept.link) == MAX_URL_CHARS and kept.guid == longest.decode()
    assert kept.summary.startswith("KPU Kota Batu: kabar surat suara")
    assert feed.skipped == 2  # the photo without a caption, and the over-long post
    assert feed.warning.startswith("1 entries with a malformed link were skipped: the link ")
    assert f"longer than {MAX_URL_CHARS:,} characters" in feed.warning and len(feed.warning) < 400


def test_a_listing_page_whose_every_matching_link_is_over_long_says_they_were_skipped_and_why():
    # A broken listing page put megabytes in every article's href: the source's error on the health
    # page said "none of the 10 links on the page matches link_pattern", sending the maintainer to
    # rewrite a pattern that matched them all.
    page = _read("webpage_listing.html")
    data = page
    for href in (b"/berita/2023/10/12/rapat-koordinasi-bakohumas",
                 b"https://kpu-kota.example.id/berita/2023/10/11/pendaftaran-kpps-dibuka?utm_source=home",
                 b"berita/2023/10/10/klarifikasi-hoaks-surat-suara"):
        assert b'href="' + href + b'"' in data
        data = data.replace(b'href="' + href + b'"', b'href="' + href + b"&q=" + b"9" * 1_000_000 + b'"')
    with pytest.raises(FeedError) as failed:
        parse_source("webpage", data, "https://kpu-kota.example.id/berita/", "text/html",
                     {"link_pattern": r"/berita/\d{4}/\d{2}/"}, 50)
    said = str(failed.value)
    assert "matches link_pattern" not in said, said
    assert "entries with a malformed link were skipped: the link " in said, said
    assert f"longer than {MAX_URL_CHARS:,} characters" in said and len(said) < 500, said


def test_a_telegram_preview_whose_every_post_address_is_over_long_says_they_were_skipped_and_why():
    # A broken or hostile mirror of t.me/s/ put megabytes in every data-post: the source's error said
    # "holds 3 messages but none with text" of a channel whose posts all had text.
    page = _read("telegram_preview.html")
    data = page
    for post in (b"1201", b"1203"):  # 1202 is a photo without a caption
        data = data.replace(b'data-post="infopemilu_contoh/' + post + b'"',
                            b'data-post="infopemilu_contoh/' + post + b"1" * 1_000_000 + b'"')
    with pytest.raises(FeedError) as failed:
        parse_source("telegram", data, "https://t.me/s/infopemilu_contoh", "text/html",
                     {"channel": "infopemilu_contoh"}, 50)
    said = str(failed.value)
    assert "none with text" not in said, said
    assert "2 entries with a malformed link were skipped: the link " in said, said
    assert f"longer than {MAX_URL_CHARS:,} characters" in said and len(said) < 500, said


def test_a_feed_is_parsed_once(monkeypatch):
    # feedparser is most of a feed's cost: the items and their outbound links come from one reading.
    import feedparser

    calls = []
    real = feedparser.parse
    monkeypatch.setattr(feedparser, "parse", lambda *a, **k: calls.append(1) or real(*a, **k))
    feed = parse_source("mastodon", _read("mastodon_tag_pemilu.rss"), "https://mastodon.example.id/tags/pemilu.rss",
                        "application/rss+xml", {"instance": "mastodon.example.id", "hashtag": "pemilu"}, 50)
    assert len(calls) == 1
    assert feed.items[0].links == ("https://kpu-batukota.example.id/berita/klarifikasi-lokasi-tps",)


def test_a_telegram_reply_is_read_as_its_own_text_not_the_quoted_post():
    # t.me/s/ shows a reply with the quoted post first, in a div that also has the class
    # tgme_widget_message_text (plus js-message_reply_text), inside tgme_widget_message_reply.
    page = b"""<html><head><meta charset="utf-8"></head><body><section class="tgme_channel_history">
<div class="tgme_widget_message_wrap"><div class="tgme_widget_message js-widget_message"
 data-post="infopemilu_contoh/1204"><div class="tgme_widget_message_bubble">
<a class="tgme_widget_message_reply" href="https://t.me/infopemilu_contoh/1203">
 <div class="tgme_widget_message_author accent_color"><span class="tgme_widget_message_author_name"
  dir="auto">Info Pemilu Contoh</span></div>
 <div class="tgme_widget_message_text js-message_reply_text" dir="auto">KPU Kota Batu: kabar surat suara
  sudah dicoblos adalah hoaks.</div></a>
<div class="tgme_widget_message_text js-message_text" dir="auto">Rilis lengkap KPU Kota Batu:
 <a href="https://kpu-batukota.example.id/berita/rilis">baca di sini</a></div>
<span class="tgme_widget_message_meta"><a class="tgme_widget_message_date"
 href="https://t.me/infopemilu_contoh/1204"><time datetime="2023-10-12T10:00:00+00:00">17:00</time></a></span>
</div></div></div>
<div class="tgme_widget_message_wrap"><div class="tgme_widget_message js-widget_message"
 data-post="infopemilu_contoh/1205"><div class="tgme_widget_message_bubble">
<a class="tgme_widget_message_reply" href="https://t.me/infopemilu_contoh/1203">
 <div class="tgme_widget_message_metatext js-message_reply_text" dir="auto">KPU Kota Batu: kabar surat suara
  sudah dicoblos adalah hoaks.</div></a>
<a class="tgme_widget_message_photo_wrap" href="https://t.me/infopemilu_contoh/1205"></a>
<span class="tgme_widget_message_meta"><a class="tgme_widget_message_date"
 href="https://t.me/infopemilu_contoh/1205"><time datetime="2023-10-12T10:05:00+00:00">17:05</time></a></span>
</div></div></div></section></body></html>"""
    feed = parse_source("telegram", page, "https://t.me/s/infopemilu_contoh", "text/html",
                        {"channel": "infopemilu_contoh"}, 50)
    (reply,) = feed.items  # the photo replying without a caption has no text of its own
    assert reply.link == "https://t.me/infopemilu_contoh/1204"
    assert reply.summary.startswith("Rilis lengkap KPU Kota Batu") and "dicoblos" not in reply.summary
    assert reply.links == ("https://kpu-batukota.example.id/berita/rilis",)
    assert feed.skipped == 1


@pytest.mark.parametrize("charset", ["utf-8", "windows-1252"])
def test_a_listing_page_without_a_meta_charset_is_read_in_the_charset_its_server_names(httpserver, charset):
    # Many CMS pages name their charset only in the Content-Type header; lxml alone reads such
    # bytes as Latin-1 and "–" / "“" became "â€“" / "â€œ" in the stored headline.
    headline = "Klarifikasi KPU – “Surat Suara Belum Dicetak”"
    page = (f"<html><head><title>Berita – KPU Kota Contoh</title></head><body>"
            f"<a href='/berita/2023/10/12/klarifikasi'>{headline}</a></body></html>").encode(charset)
    httpserver.expect_request("/berita/").respond_with_data(page,
                                                            content_type=f"text/html; charset={charset}")
    response = httpx.get(httpserver.url_for("/berita/"))
    feed = parse_source("webpage", response.content, str(response.url), response.headers["content-type"],
                        {"link_pattern": r"/berita/\d{4}/"}, 50)
    assert [i.title for i in feed.items] == [headline]
    assert feed.title == "Berita – KPU Kota Contoh"

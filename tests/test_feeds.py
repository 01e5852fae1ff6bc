"""feedparser's own corpus (BSD-2, see fixtures/feeds/SOURCE.md): nothing escapes parse_feed."""

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from saring import clock
from saring.collect.feeds import feedparser_parse, parse_feed, strip_html
from saring.collect.kinds import parse_source
from saring.errors import FeedError
from saring.limits import MAX_AUTHOR_CHARS, MAX_GUID_CHARS, MAX_URL_CHARS
from saring.textclean import fix_mojibake

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
ALL = sorted(FEEDS.rglob("*.xml"))


def test_corpus_is_present():
    assert len(ALL) >= 39


@pytest.mark.parametrize("path", ALL, ids=lambda p: str(p.relative_to(FEEDS)))
def test_every_corpus_file_parses_or_fails_cleanly(path):
    try:
        feed = parse_feed(path.read_bytes(), "http://127.0.0.1/feed.xml")
    except FeedError as exc:
        assert "feed" in str(exc)  # a sentence, not a traceback
        return
    for item in feed.items:
        assert item.url.startswith(("http://", "https://"))
        assert item.title


RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Uji</title>
<item><title>Satu</title><link>https://a.example/1?utm_source=wa</link>
<pubDate>Wed, 25 Nov 2026 01:00:00 +0700</pubDate>\
<description>&lt;p&gt;Ringkasan &amp;amp; isi&lt;/p&gt;</description></item>
<item><title>Tanpa tautan</title></item>
<item><title>Satu lagi</title><link>https://a.example/1</link></item>
</channel></rss>"""


def test_items_are_canonical_deduplicated_and_dated():
    with clock.frozen(datetime(2026, 11, 25, 9, tzinfo=UTC)):  # a date ahead of the clock is no date
        feed = parse_feed(RSS, "http://127.0.0.1/feed.xml")
    assert [i.url for i in feed.items] == ["https://a.example/1"]
    assert feed.skipped == 1
    item = feed.items[0]
    assert item.published_at.isoformat() == "2026-11-24T18:00:00+00:00"
    assert item.summary == "Ringkasan & isi"


def test_html_page_is_not_a_feed():
    with pytest.raises(FeedError, match="web page, not an RSS/Atom feed"):
        parse_feed(b"<!doctype html><html><body><p>Halo</p></body></html>", "http://x/feed")


def test_a_home_page_with_a_long_comment_before_its_html_is_not_a_feed():
    # A feed address that now answers with the site's home page, still labelled application/rss+xml,
    # an XHTML theme's declaration, doctype and credits comment taking its first kilobytes: saring
    # read it as a feed that is "ok" with no items (or "not well-formed"), every run.
    home = (SAMPLE / "malangpost" / "index.html").read_bytes()
    credits = b"<!-- " + b"Tema oleh Redaksi Malangpost.id. " * 100 + b"-->\n"
    xhtml = (b'<?xml version="1.0" encoding="utf-8"?>\n'
             b'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
             b'"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n' + credits
             + b'<html xmlns="http://www.w3.org/1999/xhtml" lang="id">'
             b"<head><title>Malangpost.id</title></head><body><p>Berita Malang Raya</p></body></html>")
    for page in (xhtml, credits + home, b"\xef\xbb\xbf" + credits + home.replace(b"<html", b"<HTML")):
        assert b"<html" not in page[:2048].lower()
        with pytest.raises(FeedError, match="web page, not an RSS/Atom feed"):
            parse_feed(page, "https://malangpost.id/feed/", "application/rss+xml")


def test_empty_body():
    with pytest.raises(FeedError, match="empty"):
        parse_feed(b"   ", "http://x/feed")


def test_strip_html():
    assert strip_html("<b>KPU</b>&nbsp;Kota&#32;Batu") == "KPU Kota Batu"


ODD_LINKS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Uji</title>
<item><title>Baik</title><link>https://a.example/baik</link></item>
<item><title>IPv6 lokal</title><link>http://[::1]:18082/x</link></item>
<item><title>IPv6 publik</title><link>http://[2606:4700:4700::1111]/berita</link></item>
<item><title>Port huruf</title><link>http://a.example:notaport/x</link></item>
<item><title>Port besar</title><link>http://a.example:99999/x</link></item>
</channel></rss>"""


def test_a_malformed_link_costs_only_its_entry_with_the_reason():
    feed = parse_feed(ODD_LINKS, "http://127.0.0.1/feed.xml")
    assert [i.url for i in feed.items] == [
        "https://a.example/baik", "http://[::1]:18082/x", "http://[2606:4700:4700::1111]/berita"]
    assert feed.skipped == 2
    assert "2 entries with a malformed link were skipped" in feed.warning
    assert "port is not a number" in feed.warning and "notaport" in feed.warning


def test_a_body_that_names_a_local_file_is_not_read_from_this_machine(tmp_path):
    """feedparser opens a bytes argument as a file name when it can: a feed server answering with a
    path ("/dev/stdin", a file of this machine) must not make saring read that file."""
    local = tmp_path / "private.xml"
    local.write_bytes(RSS.replace(b"<title>Uji</title>", b"<title>Rahasia lokal</title>"))
    with pytest.raises(FeedError) as caught:
        parse_feed(str(local).encode(), "http://127.0.0.1/feed.xml")
    assert "Rahasia" not in str(caught.value)


def test_hashtags_stay_whole_and_a_photo_caption_is_not_the_summary():
    # The bundled sample's real Mastodon markup: a hashtag is <a ...>#<span>pemilu</span></a>,
    # and every tag read as a space put "jelang # pemilu 2024" in the digest's headline. Its
    # photo's <media:description> ("Rapat forum Bakohumas") reaches feedparser's `content` and
    # was taken as the item's summary instead of the post (news feeds caption photos the same way).
    sample = Path(__file__).parent.parent / "sample" / "site" / "social" / "mastodon" / "tags" / "pemilu.rss"
    for kind in ("rss", "mastodon"):
        feed = parse_source(kind, sample.read_bytes(), "https://social.example.org/tags/pemilu.rss")
        (post,) = [i for i in feed.items if "Bakohumas" in i.summary]
        assert post.summary == ("Forum Bakohumas Kota Batu hari ini membahas cara menangkal hoaks "
                                "jelang #pemilu 2024.")
    assert strip_html('<p>Kata <span class="h-card"><a href="https://x.example/@kpu">@<span>kpu_batu</span></a>'
                      "</span></p><p>Baris dua<br>tiga</p>") == "Kata @kpu_batu Baris dua tiga"


SAMPLE = Path(__file__).parent.parent / "sample" / "site"


def _encoded_twice(data: bytes) -> bytes:
    """UTF-8 bytes read as Windows-1252 and saved as UTF-8 again (MySQL's "latin1" keeps the five
    bytes Windows-1252 leaves undefined as C1 controls): "–" becomes "â€“"."""
    return "".join(bytes([b]).decode("cp1252", "ignore") or chr(b) for b in data).encode()


def test_a_feed_whose_text_was_encoded_twice_reads_as_written():
    # A WordPress site whose database table is "latin1" encodes its UTF-8 text a second time: its
    # feed said "Malangpost.id â€“ Kamis" and "â€œSaring sebelum sharingâ€\x9d", and the digest showed it so.
    clean = (SAMPLE / "malangpost" / "feed.xml").read_bytes()
    assert not clean.isascii()  # its text has dashes and quotes to spoil
    url = "https://malangpost.id/feed/"
    twice = parse_source("rss", _encoded_twice(clean), url)
    assert "â€" in _encoded_twice(clean).decode()
    assert [(i.title, i.summary, i.author) for i in twice.items] == \
        [(i.title, i.summary, i.author) for i in parse_source("rss", clean, url).items]


def test_text_that_was_encoded_once_is_left_as_it_is():
    # Indonesian news and chats use dashes, curly quotes, "…", NBSPs and emoji: none of them is mojibake.
    texts = [entry.get(key) or "" for path in sorted(SAMPLE.rglob("*.xml")) + sorted(SAMPLE.rglob("*.rss"))
             for entry in feedparser_parse(path.read_bytes(), "https://a.example/feed").entries
             for key in ("title", "summary")]
    texts += [p.read_text(encoding="utf-8") for p in sorted(SAMPLE.parent.glob("seed_articles/*.txt"))
              + sorted((Path(__file__).parent / "fixtures" / "social").glob("*.txt"))]
    assert sum(not t.isascii() for t in texts) > 20
    assert [t for t in texts if fix_mojibake(t) != t] == []


def test_character_references_python_has_no_character_for_cost_nothing():
    # Some encoders write an emoji as its two UTF-16 halves ("&#55357;&#56911;" for 🙏), which XML
    # forbids: feedparser's fallback parser then raised UnicodeEncodeError (ValueError for a number
    # past U+10FFFF), and the source failed every run until the entry left its feed.
    clean = (SAMPLE / "malangpost" / "feed.xml").read_bytes()
    title = b"<title>KPU Kota Batu Bentuk Bakohumas"
    assert clean.count(title) == 1
    for refs, shown in [(b" &#55357;&#56911;", " 🙏"), (b" &#xD83D;&#xDE4F;", " 🙏"),
                        (b" &#55357;", " \ufffd"), (b" &#56911;&#55357;", " \ufffd\ufffd"),
                        (b" &#1114112;", " \ufffd"),
                        (b" &#99999999999;", " \ufffd"), (b" &#x110000; &#128591;", " \ufffd 🙏"),
                        (b" &#" + b"9" * 5000 + b";", " \ufffd"), (b" &#x0000D83D;&#56911;", " 🙏")]:
        feed = parse_source("rss", clean.replace(title, title + refs), "https://malangpost.id/feed/")
        assert feed.items[0].title == "KPU Kota Batu Bentuk Bakohumas" + shown, refs
    # The same halves inside the summary's HTML (CDATA) were shown as "��".
    summary = b"melaksanakan pertemuan"
    feed = parse_source("rss", clean.replace(summary, b"&#55357;&#56911; " + summary),
                        "https://malangpost.id/feed/")
    assert "🙏 melaksanakan pertemuan" in feed.items[0].summary


def test_an_author_is_cut_like_a_title():
    # A hostile or broken feed may put megabytes in <dc:creator> (or a Telegram forward's name):
    # the author is stored with every item and shown as its channel in the digest.
    clean = (SAMPLE / "malangpost" / "feed.xml").read_bytes()
    creator = b"<![CDATA[Tim Redaksi Malangpost.id]]>"
    assert creator in clean
    huge = parse_source("rss", clean.replace(creator, b"Redaksi " * 200_000), "https://malangpost.id/feed/")
    assert {len(i.author) for i in huge.items} == {MAX_AUTHOR_CHARS}
    first = huge.items[0]
    assert first.author.startswith("Redaksi Redaksi") and first.channel == first.author
    preview = (Path(__file__).parent / "fixtures" / "social" / "telegram_preview.html").read_bytes()
    assert preview.count(b'<span dir="auto">Grup Lain</span>') == 1
    forwarded = parse_source("telegram", preview.replace(b"Grup Lain", b"Grup " * 200_000),
                             "https://t.me/s/infopemilu_contoh", "text/html")
    (author,) = [i.author for i in forwarded.items if i.author]
    assert len(author) == MAX_AUTHOR_CHARS and author.startswith("Grup Grup")


def test_a_guid_is_cut_like_an_author_and_a_real_one_is_kept_whole():
    # A hostile or broken feed may put megabytes in <guid>: stored with the item, every entry.
    clean = (SAMPLE / "malangpost" / "feed.xml").read_bytes()
    guid = b"{{SITE}}/malangpost/?p=67959"
    assert clean.count(b">" + guid + b"</guid>") == 1
    url = "https://malangpost.id/feed/"
    (item,) = parse_source("rss", clean, url).items
    assert item.guid == guid.decode()
    huge = parse_source("rss", clean.replace(guid, guid + b"&amp;x=" + b"9" * 3_000_000), url)
    (item,) = huge.items
    assert len(item.guid) == MAX_GUID_CHARS and item.guid.startswith(guid.decode() + "&x=999")


def _without_entries(feed: bytes, tag: bytes) -> bytes:
    start, end = feed.index(b"<" + tag + b">"), feed.rindex(b"</" + tag + b">") + len(tag) + 3
    return feed[:start] + feed[end:]


def test_a_real_feed_with_no_items_stays_ok_and_is_read_like_any_feed():
    # A quiet regional feed between elections lists nothing: not a failure.
    rss = _without_entries((SAMPLE / "malangpost" / "feed.xml").read_bytes(), b"item").replace(
        b"<title>Malangpost.id</title>", "<title>Malangpost.id – Berita Malang Raya</title>".encode())
    atom = _without_entries((SAMPLE / "kompas" / "atom.xml").read_bytes(), b"entry")
    for data, url in [(rss, "https://malangpost.id/feed/"), (atom, "https://kompas.example/atom.xml")]:
        feed = parse_feed(data, url, "application/xml; charset=utf-8")
        assert (feed.items, feed.warning) == ([], "the feed has no items")
    # Its title is read as a feed's with items is (a WordPress "latin1" table encodes it twice).
    twice = parse_feed(_encoded_twice(rss), "https://malangpost.id/feed/", "application/rss+xml")
    assert twice.title == "Malangpost.id – Berita Malang Raya"


@pytest.mark.parametrize(("document", "root"), [
    (b'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
     b"<url><loc>https://malangpost.id/2021/05/20/kpu-kota-batu-bentuk-bakohumas/</loc></url></urlset>",
     "urlset"),
    (b'<?xml version="1.0" encoding="UTF-8"?>\n<!-- generator --><Error><Code>NoSuchKey</Code>'
     b"<Message>The specified key does not exist.</Message><Key>feed.xml</Key></Error>", "Error"),
], ids=["sitemap", "error-document"])
def test_an_xml_document_that_is_not_a_feed_fails_saying_what_it_is(document, root):
    # The feed address now answers with the site's sitemap, or a storage bucket's XML error, as
    # application/xml: saring read it as a feed that is "ok" with no items, every run, and the
    # source never showed as failing in the health section.
    with pytest.raises(FeedError) as caught:
        parse_feed(document, "https://malangpost.id/feed/", "application/xml")
    assert str(caught.value) == (f"https://malangpost.id/feed/: this is not an RSS/Atom feed "
                                 f"(the document's root is <{root}>)")


def test_an_over_long_link_costs_only_its_entry_with_the_reason():
    # A hostile or broken feed may put megabytes in <link>: they became the item's stored address (and
    # the page saring asked for). A real article address, tracking parameters and all, is far shorter.
    site = b"https://kompas.example"
    atom = (SAMPLE / "kompas" / "atom.xml").read_bytes().replace(b"{{SITE}}", site)
    first, second = (re.search(rb'href="([^"]*/%s/[^"]*)"' % article, atom).group(1)
                     for article in (b"14333587", b"22260861"))
    assert atom.count(b'href="' + first) == atom.count(b'href="' + second) == 1
    longest = first + b"?src=" + b"9" * (MAX_URL_CHARS - len(first) - 5)  # as long as an address may be
    data = atom.replace(b'href="' + first, b'href="' + longest).replace(
        b'href="' + second, b'href="' + second + b"?q=" + b"9" * 1_000_000)
    feed = parse_feed(data, "https://kompas.example/atom.xml")
    assert len(longest) == MAX_URL_CHARS and feed.items[0].link == longest.decode()
    assert len(feed.items) == 5 and feed.skipped == 1
    assert not [i for i in feed.items if i.link.startswith(second.decode())]
    assert feed.warning.startswith("1 entries with a malformed link were skipped: the link ")
    assert f"longer than {MAX_URL_CHARS:,} characters" in feed.warning and len(feed.warning) < 400

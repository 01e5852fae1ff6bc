from pathlib import Path

import pytest
from pydantic import ValidationError

from saring.config import load_config, parse_config
from saring.errors import SourceConfigError

REPO = Path(__file__).resolve().parent.parent


def test_repo_sources_yaml_is_valid():
    config = load_config(REPO / "sources.yaml")
    ids = {s.id for s in config.sources}
    assert {"malangpost", "jatimpos"} <= ids
    assert len([s for s in config.sources if s.kind != "google_news"]) >= 10
    gn = [s for s in config.sources if s.kind == "google_news"]
    assert gn and all(s.url.startswith("https://news.google.com/rss/search?q=") for s in gn)
    assert all(not s.options.fetch_articles for s in gn)
    assert config.schedule.timezone == "Asia/Jakarta"
    # without a fact-checker's feed, a deployment never shows "cocok dengan cek fakta"
    assert any(s.is_factcheck for s in config.sources)


def _write(tmp_path, text):
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "text, expected",
    [
        ("sources:\n  - id: malangpost\n    name: Malang Post\n    url: ftp://x\n",
         "source 'malangpost', field 'url': must be an http:// or https:// address"),
        ("sources:\n  - id: a1\n    name: A\n    url: https://a.id/feed\n    kind: tiktok\n",
         "source 'a1': kind must be one of 'rss', 'atom'"),
        ("sources:\n  - id: a1\n    name: A\n    url: https://a.id/feed\n"
         "  - id: a1\n    name: B\n    url: https://b.id/feed\n",
         "source id 'a1' is used twice"),
        ("sources:\n  - name: A\n    url: https://a.id/feed\n", "source #1, field 'id': Field required"),
        ("sources:\n  - id: a1\n    name: A\n    url: https://a.id/feed\n    colour: red\n",
         "source 'a1': unknown field 'colour'"),
        ("sources:\n  - id: gn\n    name: G\n    kind: google_news\n", "needs options.query"),
        ("sources: [\n", "is not valid YAML near line"),
        ("hello: world\n", "must be a mapping with a 'sources:' list"),
        ("settings:\n  fetch:\n    timeout: -1\nsources:\n  - id: a1\n    name: A\n    url: https://a.id/f\n",
         "'fetch.timeout'"),
    ],
)
def test_bad_sources_file_gives_one_clear_message(tmp_path, text, expected):
    with pytest.raises(SourceConfigError) as info:
        load_config(_write(tmp_path, text))
    assert expected in str(info.value)
    assert "Traceback" not in str(info.value)


@pytest.mark.parametrize("kind", ["", "    kind: rss\n", "    kind: atom\n", "    kind: factcheck\n"])
def test_a_feed_source_without_its_address_is_refused_by_the_check(tmp_path, kind):
    # A maintainer added an outlet and forgot its `url:` line: `saring sources check` said "OK" and
    # every hourly run then failed it with "refused '': only http and https links are fetched".
    path = _write(tmp_path, "sources:\n  - id: kabar-batu\n    name: Kabar Batu\n" + kind)
    with pytest.raises(SourceConfigError) as info:
        load_config(path)
    assert "source 'kabar-batu', field 'url': is missing" in str(info.value)
    assert "https://" in str(info.value)  # what to write there


def test_a_webpage_source_without_its_address_says_where_the_address_goes(tmp_path):
    # The message said "needs options.url"; a maintainer who moved the address under options:
    # got the same message again (the address is the source's own `url:` line).
    page = "sources:\n  - id: pemkot-batu\n    name: Pemkot Batu\n    kind: webpage\n"
    address = "https://batukota.example.go.id/berita"
    for where in ("    options:\n      link_pattern: /berita/\n",
                  f"    options:\n      url: {address}\n      link_pattern: /berita/\n"):
        with pytest.raises(SourceConfigError) as info:
            load_config(_write(tmp_path, page + where))
        assert "options.url" not in str(info.value)
        assert "needs url: " in str(info.value) and "not under options" in str(info.value)
    fixed = page + f"    url: {address}\n    options:\n      link_pattern: /berita/\n"
    assert load_config(_write(tmp_path, fixed)).sources[0].url == address


def test_two_sources_reading_the_same_address_are_refused_by_the_check(tmp_path):
    # A maintainer adds an outlet by copying the block above it and changes its id and name but
    # not its url: the check said OK, and every run read the first outlet's feed twice, the copy
    # "ok" with 0 new items (its items were already the first's) while the new outlet went unread.
    first = "  - id: malangpost\n    name: Malang Post\n    url: https://malangpost.id/feed/\n"
    copy = "  - id: kabar-batu\n    name: Kabar Batu\n    url: https://MalangPost.id/feed/\n"
    with pytest.raises(SourceConfigError) as info:
        load_config(_write(tmp_path, "sources:\n" + first + copy))
    said = str(info.value)
    assert "'malangpost' and 'kabar-batu'" in said and "same address" in said, said
    # Switched off, or read as another kind (a fact-checker's feed), it is not read twice.
    assert load_config(_write(tmp_path, "sources:\n" + first + copy + "    enabled: false\n"))
    assert load_config(_write(tmp_path, "sources:\n" + first + copy + "    kind: factcheck\n"))
    page = ("    kind: webpage\n    url: https://batukota.example.go.id/berita\n"
            "    options:\n      link_pattern: ")
    two_lists = ("sources:\n  - id: pemkot-berita\n    name: Berita\n" + page + "/berita/\n"
                 "  - id: pemkot-pengumuman\n    name: Pengumuman\n" + page + "/pengumuman/\n")
    assert len(load_config(_write(tmp_path, two_lists)).sources) == 2  # one page, two kinds of link


def test_two_sources_with_the_same_name_are_refused_naming_both_ids(tmp_path):
    # A maintainer adds Kompas's regional feed beside its national one and names both "Kompas":
    # the digest and the desk show an item's source by its name, so nobody could tell which feed
    # (or which health warning) was meant.
    first = "  - id: kompas\n    name: Kompas\n    url: https://www.kompas.com/getrss/nasional\n"
    second = "  - id: kompas-regional\n    name: KOMPAS \n    url: https://www.kompas.com/getrss/regional\n"
    with pytest.raises(SourceConfigError) as info:
        load_config(_write(tmp_path, "sources:\n" + first + second))
    said = str(info.value)
    assert "'kompas' and 'kompas-regional'" in said and "same name" in said and "Kompas" in said, said
    renamed = second.replace("KOMPAS ", "Kompas Regional")
    assert [s.name for s in load_config(_write(tmp_path, "sources:\n" + first + renamed)).sources] == [
        "Kompas", "Kompas Regional"]


def test_missing_file(tmp_path):
    with pytest.raises(SourceConfigError, match="file not found"):
        load_config(tmp_path / "nope.yaml")


def test_config_is_frozen():
    config = parse_config({"sources": [{"id": "a1", "name": "A", "url": "https://a.id/f"}]})
    with pytest.raises(ValidationError):
        config.sources[0].url = "https://evil.example"  # type: ignore[misc]


@pytest.mark.parametrize(("entry", "host"), [
    ({"url": "https://www.jatimpos.co/index.php?format=feed"}, "jatimpos.co"),
    ({"url": "https://rss.kabarbatu.co.id/terkini"}, "kabarbatu.co.id"),  # the site, not the feed's host
    ({"url": "https://kabarbatu.blogspot.com/feeds/posts/default"}, "kabarbatu.blogspot.com"),
    ({"url": "http://127.0.0.1:8000/feed.xml"}, "127.0.0.1"),
    ({"url": "https://malangpost.id/feed/", "options": {"outlet": False}}, None),
    # switched off, it is still the outlet its past items came from (Store.outlet_hosts skips it)
    ({"url": "https://malangpost.id/feed/", "enabled": False}, "malangpost.id"),
    ({"kind": "mastodon", "options": {"instance": "mastodon.social", "hashtag": "pemilu"}}, None),
    ({"kind": "mastodon", "options": {"instance": "kabar.example", "hashtag": "x", "outlet": True}},
     "kabar.example"),
])
def test_outlet_host_of_a_source(entry, host):
    """Links to a configured news source's site are news links for the hoax model's link cue."""
    assert parse_config({"sources": [{"id": "s1", "name": "S", **entry}]}).sources[0].outlet_host == host


GOOD = "sources:\n  - id: malangpost\n    name: Malang Pôst\n    url: https://malangpost.id/feed/\n"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig"])
def test_a_sources_file_saved_by_notepad_is_read(tmp_path, encoding):
    # Notepad's "Unicode" is UTF-16 with a byte-order mark; its "UTF-8" starts with one too.
    path = tmp_path / "sources.yaml"
    path.write_bytes(GOOD.encode(encoding))
    assert load_config(path).sources[0].name == "Malang Pôst"


@pytest.mark.parametrize(("data", "expected"), [
    # Saved as ANSI (Windows-1252): the ô is one byte no UTF-8 reader accepts.
    (GOOD.encode("cp1252"), "is not saved as UTF-8 (line 3); save it again choosing UTF-8"),
    # Indented with the Tab key.
    (GOOD.replace("  - id", "\t- id").encode(), "uses a tab to indent line 2; indent with spaces"),
])
def test_an_unreadable_sources_file_says_what_to_do(tmp_path, data, expected):
    path = tmp_path / "sources.yaml"
    path.write_bytes(data)
    with pytest.raises(SourceConfigError) as info:
        load_config(path)
    assert expected in str(info.value) and "codec" not in str(info.value)


def test_a_schedule_time_zone_may_be_written_as_people_say_it():
    # "WITA" in sources.yaml was refused while `saring tipline import --tz WITA` took it.
    base = {"sources": [{"id": "kabar-a", "name": "A", "url": "https://a.example/feed"}]}
    for said, zone in (("WIB", "Asia/Jakarta"), ("wita", "Asia/Makassar"), ("WIT", "Asia/Jayapura"),
                       ("Asia/Makassar", "Asia/Makassar")):
        config = parse_config(base | {"settings": {"schedule": {"timezone": said}}})
        assert config.schedule.timezone == zone, said
    with pytest.raises(SourceConfigError, match="WIB, WITA, WIT"):
        parse_config(base | {"settings": {"schedule": {"timezone": "Jawa"}}})

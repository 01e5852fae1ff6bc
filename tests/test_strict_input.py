"""Loose input that used to pass or crash: each is now one clear sentence and a non-zero exit."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from saring.cli.main import app

GOOD = "sources:\n  - id: s1\n    name: Satu\n    url: https://satu.example/feed/\n"


def check(tmp_path, text: str):
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["sources", "check", "--sources", str(path)], env={"COLUMNS": "400"})
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


def test_a_good_file_passes(tmp_path):
    assert check(tmp_path, GOOD).exit_code == 0


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("'http://[::1'", "IPv6"),
        ("http://satu.example:port/feed", "port"),
        ("http://satu.example:70000/feed", "port"),
        ("http://satu.example:0/feed", "port"),
        ("'http://satu.example/ berita'", "spaces"),
        ("http://-satu-.example/feed", "host name"),
        ("http://satu..example/feed", "host name"),
        ("'http:///feed'", "host name"),
    ],
)
def test_broken_addresses_fail_the_check(tmp_path, url, says):
    result = check(tmp_path, GOOD.replace("https://satu.example/feed/", url))
    assert result.exit_code == 2
    assert "source 's1', field 'url'" in result.output and says in result.output


def test_an_address_with_a_password_in_it_fails_the_check_without_showing_the_password(tmp_path):
    # A members-only feed pasted with its login (https://user:password@...): the check said OK,
    # every run then refused it, and the refusal, password and all, went into the digest's health
    # section and the published copy of the sources table.
    for url in ("https://forum:rahasia123@satu.example/feed/", "https://forum@satu.example/feed/"):
        result = check(tmp_path, GOOD.replace("https://satu.example/feed/", url))
        assert result.exit_code == 2, result.output
        assert "source 's1', field 'url'" in result.output and "user name or password" in result.output
        assert "rahasia123" not in result.output and "forum@" not in result.output


@pytest.mark.parametrize("cron", ["a b c d e", "61 * * * *", "0 25 * * *", "* * * * 8"])
def test_bad_cron_schedules_fail_the_check(tmp_path, cron):
    result = check(tmp_path, GOOD + f"    schedule: '{cron}'\n")
    assert result.exit_code == 2 and "source 's1', field 'schedule'" in result.output
    result = check(tmp_path, GOOD + f"settings:\n  schedule:\n    digest: '{cron}'\n")
    assert result.exit_code == 2 and "schedule.digest" in result.output and "cron" in result.output


@pytest.mark.parametrize("cron", ["0 6 * * 5L", "0 6 LW * *", "0 6 * * 1,5L", "0 6 L * *", "0 6 * * 5#2",
                                  "30 6 * * MON-FRI", "0 7 * JUL 1"])
def test_a_schedule_the_check_accepts_is_one_saring_serve_can_start(tmp_path, cron):
    # A forum wanting its report on the last Friday wrote "0 6 * * 5L": `saring sources check`
    # said OK, then `saring serve` crashed on it (Prefect's schedules know neither 5L nor LW).
    from prefect.schedules import Cron

    try:
        Cron(cron, timezone="Asia/Jakarta")
        serve_starts = True
    except ValueError:
        serve_starts = False
    result = check(tmp_path, GOOD + f"    schedule: '{cron}'\n")
    assert (result.exit_code == 0) == serve_starts, result.output
    if not serve_starts:
        assert "source 's1', field 'schedule'" in result.output and "does not support" in result.output


def test_unknown_time_zone_fails_the_check(tmp_path):
    result = check(tmp_path, GOOD + "settings:\n  schedule:\n    timezone: Mars/Olympus\n")
    assert result.exit_code == 2 and "'Mars/Olympus' is not a time zone" in result.output
    assert check(tmp_path, GOOD + "settings:\n  schedule:\n    timezone: Asia/Makassar\n").exit_code == 0


def test_duplicate_keys_are_an_error_naming_the_key(tmp_path):
    result = check(tmp_path, GOOD + "    url: https://lain.example/feed/\n")
    assert result.exit_code == 2 and "'url' appears twice" in result.output and "line 5" in result.output
    result = check(tmp_path, GOOD + "settings:\n  digest: {high: 0.8}\n  digest: {high: 0.9}\n")
    assert result.exit_code == 2 and "'digest' appears twice" in result.output


@pytest.mark.parametrize("nested", ["[" * 20_000 + "]" * 20_000, "{a: " * 20_000 + "1" + "}" * 20_000])
def test_deeply_nested_yaml_is_refused_cleanly(tmp_path, nested):
    result = check(tmp_path, GOOD + f"settings:\n  digest: {nested}\n")
    assert result.exit_code == 2 and "nested far too deeply" in result.output


def test_mastodon_options_that_are_not_a_mapping_are_reported_under_the_source(tmp_path):
    text = "sources:\n  - id: m1\n    name: Mastodon\n    kind: mastodon\n    options: [1, 2]\n"
    result = check(tmp_path, text)
    assert result.exit_code == 2
    assert "source 'm1'" in result.output and "options must be a mapping" in result.output
    assert "settings" not in result.output



@pytest.mark.parametrize(("extra", "named"), [("2024: pemilu\n", "2024"), ("on: true\n", "True"),
                                              ("1: x\nsumber: y\n", "1, sumber")])
def test_a_top_level_key_yaml_reads_as_a_number_or_yes_is_named_not_a_crash(tmp_path, extra, named):
    # A stray "2024:" line, or "on:" (YAML reads on/yes as true), at the left margin: the check
    # crashed with a TypeError instead of naming the key.
    result = check(tmp_path, GOOD + extra)
    assert result.exit_code == 2 and f"unknown top-level key(s): {named}." in result.output



@pytest.mark.parametrize(("text", "says"), [
    # Capitals or a space in an id: the check showed the regular expression ^[a-z0-9][a-z0-9_\-]{1,63}$.
    (GOOD.replace("id: s1", "id: Malang Post"),
     "source 'Malang Post', field 'id': must be small letters (a-z), digits, '-' or '_'"),
    # Indonesian writes 0,8 for 0.8: "unable to parse string as a number" did not say what to change.
    (GOOD + "settings:\n  digest:\n    high: 0,8\n", "'digest.high': must be a number; write 0.8"),
    (GOOD + "settings:\n  fetch:\n    retries: dua\n", "'fetch.retries': must be a whole number, not 'dua'"),
    (GOOD + "    enabled: tidak\n", "field 'enabled': must be true or false, not 'tidak'"),
    # A kind written as people say it: "Input should be 'rss', 'atom', ...".
    (GOOD + "    kind: RSS\n", "source 's1': kind must be one of 'rss', 'atom', 'google_news',"),
    (GOOD + "    kind: RSS\n", "; did you mean 'rss'?"),
    (GOOD + "    kind: Google News\n", "; did you mean 'google_news'?"),
    ("sources:\n  - id: s1\n    name: Satu\n    kind: Mastodon\n    options: {instance: m.example}\n",
     "source 's1': kind must be one of 'rss', "),  # not "url is missing"
    # A new source whose address is still to be filled in: "Input should be a valid string".
    (GOOD.replace("https://satu.example/feed/", ""), "field 'url': is empty; write a value after 'url:'"),
    (GOOD.replace("name: Satu", "name: 2024"), "field 'name': must be text; write it in quotes: '2024'"),
    # Sources written as bare names, and channels as a mapping: "dictionary or instance of Source",
    # "a valid tuple".
    ("sources:\n  - malangpost\n", "source #1: must be a block of 'name: value' lines"),
    (GOOD + "settings:\n  delivery:\n    channels:\n      wa: {url_env: WA}\n",
     "'delivery.channels': must be a list, one entry per line starting with '- '"),
])
def test_a_wrong_value_is_explained_in_plain_words(tmp_path, text, says):
    result = check(tmp_path, text)
    assert result.exit_code == 2 and says in result.output, result.output
    for jargon in ("pattern", "Input should", "instance of", "tuple", "parse string"):
        assert jargon not in result.output



@pytest.mark.parametrize(("text", "says"), [
    # A line indented one level too little: "unknown field 'max_items'" for a name the maintainer
    # copied from the documentation, with nothing saying where it goes.
    (GOOD + "    max_items: 20\n", "source 's1': unknown field 'max_items'; it belongs under 'options:'"),
    (GOOD + "settings:\n  timezone: WITA\n",
     "settings: unknown field 'timezone'; it belongs under 'schedule:'"),
    (GOOD + "forum:\n  area: Kota Batu\n", "unknown top-level key(s): forum; it belongs under 'settings:'"),
    # A typo of a real name.
    (GOOD + "    enabeld: false\n", "source 's1': unknown field 'enabeld'; did you mean 'enabled'?"),
    (GOOD + "    options:\n      fetch_article: false\n",
     "unknown field 'options.fetch_article'; did you mean 'fetch_articles'?"),
    (GOOD + "settings:\n  digest:\n    hihg: 0.8\n", "unknown field 'digest.hihg'; did you mean 'high'?"),
    (GOOD + "setings:\n  digest:\n    high: 0.8\n",
     "unknown top-level key(s): setings; did you mean 'settings'?"),
])
def test_an_unknown_name_says_where_it_belongs_or_which_name_was_meant(tmp_path, text, says):
    result = check(tmp_path, text)
    assert result.exit_code == 2 and says in result.output, result.output


# --------------------------------------------------------------------------- the archive server


def test_archive_server_serves_only_the_archives_own_files(tmp_path):
    import socket

    import httpx

    from saring.report.archive import ArchiveServer

    archive = tmp_path / "arsip"
    archive.mkdir()
    (archive / "index.html").write_text("<p>Arsip</p>", encoding="utf-8")
    (archive / "digest-2026-11-25.txt").write_text("RINGKASAN", encoding="utf-8")
    secret = tmp_path / "rahasia.txt"
    secret.write_text("kata sandi", encoding="utf-8")
    (archive / "bocor.txt").symlink_to(secret)
    (archive / "luar").symlink_to(tmp_path)
    (archive / "sub").mkdir()
    (archive / "sub" / "x.txt").write_text("x", encoding="utf-8")
    (archive / ".env").write_text("SARING_EMAIL_URL=mailtos://rahasia", encoding="utf-8")
    with ArchiveServer(archive, port=0) as server:
        assert httpx.get(server.url).text == "<p>Arsip</p>"
        assert httpx.get(server.url + "digest-2026-11-25.txt").text == "RINGKASAN"
        for path in ("bocor.txt", "luar/", "luar/rahasia.txt", "sub/", "sub/x.txt", "sub", ".env",
                     "%2e%2e/rahasia.txt", "..%2frahasia.txt", "%ff", "%00", "x%00.txt"):
            r = httpx.get(server.url + path)
            assert r.status_code == 404, path
            assert "kata sandi" not in r.text and "x.txt" not in r.text
        # A raw request with a NUL byte: an answer, not a dropped connection.
        host, port = server.httpd.server_address[:2]
        with socket.create_connection((host, port), timeout=10) as sock:
            sock.sendall(b"GET /%00 HTTP/1.0\r\n\r\n")
            answer = b""
            # read to the end: closing mid-page breaks the server's write, and its thread's traceback
            # lands in whatever test runs next (one that reads its own output failed on it)
            while chunk := sock.recv(65536):
                answer += chunk
            assert answer.startswith(b"HTTP/1.0 404")


def test_serving_the_archive_on_every_address_warns(tmp_path):
    (tmp_path / "arsip").mkdir()
    # 192.0.2.1 (TEST-NET-1) is not this machine's: nothing is opened, but the warning comes first.
    result = CliRunner().invoke(
        app, ["serve", "--archive", str(tmp_path / "arsip"), "--host", "192.0.2.1", "--port", "8765"],
        env={"COLUMNS": "400"},
    )
    assert "WARNING: listening on 192.0.2.1" in result.output
    assert result.exit_code == 2 and "cannot listen on 192.0.2.1:8765" in result.output
    assert "Traceback" not in result.output


# --------------------------------------------------------------------------- huge texts


def _long_texts():
    from saring.limits import MAX_TEXT_CHARS

    sentence = "KPU Kota Batu membuka pendaftaran petugas KPPS untuk pemilihan kepala daerah. "
    head = (sentence * (MAX_TEXT_CHARS // len(sentence) + 1))[:MAX_TEXT_CHARS]
    tail = "Beredar pesan berantai viral: awas hoaks, sebarkan segera sebelum dihapus! " * 20_000
    return head, head + tail


def test_saring_score_caps_one_enormous_line(tmp_path, scorer, monkeypatch):
    import pandas as pd

    head, huge = _long_texts()
    assert len(huge) > 1_000_000
    src = tmp_path / "in.csv"
    pd.DataFrame({"id": ["pendek", "raksasa"], "text": [head, huge]}).to_csv(src, index=False)
    monkeypatch.setattr("saring.cli.models._scorer", lambda: scorer)
    result = CliRunner().invoke(app, ["score", str(src), "--output", str(tmp_path / "out.csv")])
    assert result.exit_code == 0, result.output
    out = pd.read_csv(tmp_path / "out.csv", dtype={"text": str})
    assert out["text"][1] == huge  # the row is written back whole ...
    assert out["hoax_score"][0] == out["hoax_score"][1]  # ... but only its first 100,000 chars count
    assert out["election_score"][0] == out["election_score"][1]


def test_ingest_scores_at_most_the_capped_text(scorer):
    from saring.pipeline.ingest import score_rows

    head, huge = _long_texts()
    short, long = score_rows(["a", "b"], [None, None], [head, huge], scorer)
    assert (short["hoax_score"], short["election_score"]) == (long["hoax_score"], long["election_score"])


def test_saring_score_reads_a_csv_saved_by_excel_with_semicolons(tmp_path, scorer, monkeypatch):
    # Excel where ',' is the decimal mark (Windows set to Indonesian) separates cells with ';'.
    import pandas as pd

    src = tmp_path / "dari-excel.csv"
    src.write_bytes("\ufeffid;text\r\n1;KPU Kota Batu membuka pendaftaran KPPS, kata ketua KPU.\r\n2;\r\n"
                    .encode("utf-8"))
    monkeypatch.setattr("saring.cli.models._scorer", lambda: scorer)
    result = CliRunner().invoke(app, ["score", str(src), "--output", str(tmp_path / "out.csv")])
    assert result.exit_code == 0, result.output
    out = pd.read_csv(tmp_path / "out.csv", dtype={"id": str, "text": str})
    assert list(out["id"]) == ["1", "2"] and out["text"][0].endswith("kata ketua KPU.")
    assert out["hoax_score"].notna().tolist() == [True, False]


@pytest.mark.parametrize("url", ["http://localhost:8080/feed/", "http://127.0.0.1/rss", "http://192.168.1.20/feed",
                                 "http://[::1]:8000/feed", "http://berita.localhost/feed"])
def test_a_feed_on_this_computer_or_a_private_network_fails_the_check_unless_allowed(tmp_path, url):
    # A maintainer copied the demo's feed address (http://127.0.0.1:...) or an intranet server's
    # into sources.yaml without options.allow_private: the check said OK, then every run refused it.
    local = GOOD.replace("https://satu.example/feed/", url)
    result = check(tmp_path, local)
    output = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert "source 's1'" in output and "every run" in output and "options.allow_private: true" in output
    assert check(tmp_path, local + "    options: {allow_private: true}\n").exit_code == 0
    assert check(tmp_path, local + "    enabled: false\n").exit_code == 0


def test_the_check_never_resolves_a_host_name(tmp_path, monkeypatch):
    # No network where the check runs (CI): only written addresses are judged, never looked up.
    import socket

    def no_dns(*args, **kwargs):
        raise AssertionError("the check resolved a host name")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    assert check(tmp_path, GOOD.replace("satu.example", "intranet.kpu-kota.example")).exit_code == 0


@pytest.mark.parametrize(("kind", "url", "says"), [
    ("youtube", "https://www.youtube.com/@kpu", "options.channel_id"),
    ("youtube", "https://youtube.com/channel/UCAAAAAAAAAAAAAAAAAAAAAA", "options.channel_id"),
    ("telegram", "https://t.me/kpu_ri", "options.channel: kpu_ri"),
    ("mastodon", "https://mastodon.social/@kpu", "options.account"),
    ("mastodon", "https://mastodon.social/tags/pemilu", "options.hashtag"),
    ("reddit", "https://www.reddit.com/r/indonesia/", "options.subreddit: indonesia"),
    ("reddit", "https://old.reddit.com/r/indonesia/search?q=pemilu&restrict_sr=on",
     "options.subreddit: indonesia and options.search: pemilu"),
    ("google_news", "https://news.google.com/search?q=pilkada%20batu&hl=id&gl=ID&ceid=ID:id",
     "options.query: pilkada batu"),
])
def test_a_platform_page_given_as_a_feed_url_fails_the_check_saying_how_to_write_the_source(
        tmp_path, kind, url, says):
    # The channel's address copied from the browser into url: a page, not the feed saring reads;
    # the check said OK and every run failed with "this is a web page, not an RSS/Atom feed".
    result = check(tmp_path, GOOD.replace("https://satu.example/feed/", url) + f"    kind: {kind}\n")
    output = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert "source 's1'" in output and "leave out url" in output and says in output, output


@pytest.mark.parametrize(("kind", "url"), [
    ("youtube", "https://www.youtube.com/feeds/videos.xml?channel_id=UCAAAAAAAAAAAAAAAAAAAAAA"),
    ("telegram", "https://t.me/s/kpu_ri"),
    ("mastodon", "https://mastodon.social/@kpu.rss"),
    ("mastodon", "https://mastodon.social/tags/pemilu.rss"),
    ("reddit", "https://www.reddit.com/r/indonesia/new/.rss"),
    ("reddit", "https://www.reddit.com/r/indonesia.rss"),
    ("google_news", "https://news.google.com/rss/search?q=pilkada&hl=id&gl=ID&ceid=ID:id"),
])
def test_a_platforms_own_feed_address_given_as_url_passes_the_check(tmp_path, kind, url):
    result = check(tmp_path, GOOD.replace("https://satu.example/feed/", url) + f"    kind: {kind}\n")
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.output, result.output


@pytest.mark.parametrize(("kind", "url", "options", "says"), [
    ("youtube", "https://www.youtube.com/feeds/videos.xml?channel_id=UCAAAAAAAAAAAAAAAAAAAAAA",
     "{channel_id: UCBBBBBBBBBBBBBBBBBBBBBB}", "options.channel_id"),
    ("mastodon", "https://mastodon.social/tags/pemilu.rss", "{instance: mastodon.social, hashtag: pilkada}",
     "options.instance, options.hashtag"),
    ("reddit", "https://www.reddit.com/r/indonesia/new/.rss", "{subreddit: jakarta}", "options.subreddit"),
    ("google_news", "https://news.google.com/rss/search?q=pemilu&hl=id&gl=ID&ceid=ID:id",
     "{query: pilkada batu}", "options.query"),
    ("telegram", "https://t.me/s/kpu_ri", "{channel: bawaslu_ri}", "options.channel"),
])
def test_a_url_that_overrides_the_kinds_options_is_said_by_the_check(tmp_path, kind, url, options, says):
    # A maintainer points a source at another channel (or search) by changing its options and leaves
    # the old url: every run still read the url, the options were passed over, and the check said OK.
    result = check(tmp_path, GOOD.replace("https://satu.example/feed/", url)
                   + f"    kind: {kind}\n    options: {options}\n")
    output = " ".join(result.output.split())
    assert result.exit_code == 0 and "Warning" in output, output
    assert f"source 's1': every run reads {url}" in output and f"{says} not used" in output, output


def test_options_that_give_the_same_address_as_the_url_pass_the_check_quietly(tmp_path):
    url = "https://www.youtube.com/feeds/videos.xml?channel_id=UCAAAAAAAAAAAAAAAAAAAAAA"
    result = check(tmp_path, GOOD.replace("https://satu.example/feed/", url)
                   + "    kind: youtube\n    options: {channel_id: UCAAAAAAAAAAAAAAAAAAAAAA}\n")
    assert result.exit_code == 0 and "Warning" not in result.output, result.output


def test_the_check_prints_every_warning_even_when_a_source_is_refused(tmp_path):
    # A maintainer fixing a sources.yaml with a demo address (refused) and a youtube source whose old
    # url overrides its options saw only the error; after fixing it, a second run showed the warning.
    text = (GOOD.replace("https://satu.example/feed/", "http://127.0.0.1/rss")
            + "  - id: s2\n    name: Dua\n    kind: youtube\n"
            + "    url: https://www.youtube.com/feeds/videos.xml?channel_id=UCAAAAAAAAAAAAAAAAAAAAAA\n"
            + "    options: {channel_id: UCBBBBBBBBBBBBBBBBBBBBBB}\n")
    result = check(tmp_path, text)
    output = " ".join(result.output.split())
    assert result.exit_code == 2, output
    assert "Error: source 's1'" in output and "Warning: source 's2'" in output, output
    assert "1 source(s) would fail on every run" in output and "OK:" not in output, output

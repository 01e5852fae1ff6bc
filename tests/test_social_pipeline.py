"""Issue 7 end to end: social kinds, fact-check sources, stories and the tipline, wired into
ingest and the digest, on the served sample sites (real DuckDB files, real HTTP)."""

import re

import pytest
from typer.testing import CliRunner

from saring.cli.main import app
from saring.config import parse_config
from saring.pipeline.demo import demo_chat, demo_sources
from saring.pipeline.forwarded import purge_tipline
from saring.pipeline.ingest import run_ingest
from saring.report.digest import build_digest, render, today_wib
from saring.storage.database import Store

PHONE = re.compile(r"812[\s-]?0000[\s-]?000\d")  # the (fake) numbers in the sample chats


def test_factchecks_matches_stories_and_kinds(ingested, sample_config):
    assert {"factcheck", "mastodon"} <= {s.kind for s in sample_config.sources}
    with Store(ingested) as store:
        con = store.con
        verdicts = con.execute("SELECT DISTINCT verdict FROM factchecks").fetchall()
        assert verdicts == [("HOAKS",)]
        # Fact-checks live in their own table, not among the news items.
        assert con.execute("SELECT count(*) FROM items WHERE source_id = 'cekfakta'").fetchone()[0] == 0
        matched = con.execute(
            "SELECT count(DISTINCT item_id) FROM factcheck_matches").fetchone()[0]
        assert matched >= 2
        kinds = dict(con.execute("SELECT source_id, any_value(kind) FROM items GROUP BY 1").fetchall())
        assert kinds["mastodon-pemilu"] == "mastodon" and kinds["malangpost"] == "rss"
        channels = {c for (c,) in con.execute(
            "SELECT channel FROM items WHERE source_id = 'mastodon-pemilu'").fetchall()}
        assert channels and None not in channels
        multi = con.execute("SELECT max(n_outlets) FROM story_overview").fetchone()[0]
        assert multi >= 2
        # The matched sample articles are not about elections: show every item to see the checks.
        digest = build_digest(con, today_wib(), store_settings(election_threshold=0.0))
    with_check = [i for i in digest.election_items if i.factchecks]
    assert with_check and with_check[0].factchecks[0]["verdict"] == "HOAKS"
    assert any(i.story_outlets > 1 for i in digest.election_items)
    text = render(digest, "whatsapp")
    assert "✅ Cek fakta: [HOAKS] " in text and "📰 Diberitakan" in text  # the verdict once, in its title
    # One entry per story: no story id appears twice.
    assert len({i.item_id for i in digest.election_items}) == len(digest.election_items)


def store_settings(**changes):
    from saring.config import DigestSettings

    return DigestSettings(**changes)


def test_rerun_is_idempotent_for_matches_and_stories(ingested, sample_site, scorer):
    def counts():
        with Store(ingested) as store:
            return [store.con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                    for t in ("factchecks", "factcheck_matches", "stories")]

    before = counts()
    raw = demo_sources(sample_site.base_url, sample_site.root_dir)
    with Store(ingested) as store:
        store.con.execute("UPDATE sources SET etag = NULL")  # force the feeds to be re-read
        run_ingest(parse_config(raw), store, scorer=scorer)
    assert counts() == before


def test_tipline_import_pseudonymises_fetches_and_shows_in_digest(ingested, sample_site, tmp_path,
                                                                   monkeypatch):
    monkeypatch.setenv("SARING_TIPLINE_SECRET", "uji-rahasia-lokal-0123456789")
    chat = demo_chat(sample_site.base_url, tmp_path / "chat.txt")
    with chat.open("a", encoding="utf-8") as fh:  # a link to a page no feed carried
        fh.write(f"13/10/23, 09.00 - Budi Santoso: yang ini juga {sample_site.base_url}/kompas/\n")
    result = CliRunner().invoke(app, ["tipline", "import", str(chat), "--db", str(ingested)])
    assert result.exit_code == 0, result.output
    assert "messages kept" in result.output
    with Store(ingested) as store:
        con = store.con
        n = con.execute("SELECT count(*) FROM items WHERE kind = 'tipline'").fetchone()[0]
        assert n >= 5
        # Links to private addresses from a chat are refused (the demo alone opts in).
        errors = con.execute("SELECT a.extraction_error FROM articles a JOIN items i USING (item_id) "
                             "WHERE i.kind = 'tipline' AND i.link LIKE 'http://127.0.0.1%'").fetchall()
        assert errors and all("private or local" in (e or "") for (e,) in errors)
        for table in ("items", "articles", "tipline_messages", "scores"):
            for row in con.execute(f"SELECT * FROM {table}").fetchall():
                text = " ".join(v for v in row if isinstance(v, str))
                assert not PHONE.search(text), (table, row)
        assert "Budi Santoso" not in str(con.execute("SELECT * FROM tipline_messages").fetchall())
        digest = build_digest(con, today_wib(), store_settings())
        assert digest.tipline and "BEREDAR DI GRUP" in render(digest, "whatsapp")
        # Forwarded messages get their places too ("Surat suara ... di Kota Batu").
        local = con.execute("SELECT count(*) FROM item_places p JOIN items i USING (item_id) "
                            "WHERE i.kind = 'tipline' AND i.channel = 'grup' "
                            "AND p.code = '35.79'").fetchone()[0]
        assert local >= 2
        # Retention: the raw text goes, the counts stay.
        from datetime import UTC, datetime, timedelta

        purge_tipline(store, 0, now=datetime.now(UTC) + timedelta(seconds=1))
        con = store.con  # the purge rewrote the file and reopened it
        left = con.execute("SELECT count(*) FROM articles a JOIN items i USING (item_id) "
                           "WHERE i.kind = 'tipline' AND a.text_source IN ('tipline', 'summary') "
                           "AND a.text IS NOT NULL").fetchone()[0]
        assert left == 0
        assert con.execute("SELECT count(*) FROM tipline_messages WHERE text IS NOT NULL").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM items WHERE kind = 'tipline'").fetchone()[0] == n


def test_misconfigured_social_source_names_the_option():
    from saring.errors import SourceConfigError

    with pytest.raises(SourceConfigError, match="needs options.hashtag or options.account"):
        parse_config({"sources": [{"id": "m1", "name": "M", "kind": "mastodon",
                                   "options": {"instance": "mastodon.social"}}]})
    with pytest.raises(SourceConfigError, match="source 'yt'"):
        parse_config({"sources": [{"id": "yt", "name": "Y", "kind": "youtube",
                                   "options": {"channel_id": "x"}}]})
    cfg = parse_config({"sources": [{"id": "tg", "name": "T", "kind": "telegram",
                                     "options": {"channel": "@kpu_ri"}}]})
    assert cfg.sources[0].url == "https://t.me/s/kpu_ri" and not cfg.sources[0].options.fetch_articles


def test_matching_catches_up_after_a_run_killed_before_it(ingested, sample_config, scorer):
    with Store(ingested) as store:
        before = store.con.execute("SELECT count(*) FROM factcheck_matches").fetchone()[0]
        assert before > 0
        # As if the run had been killed after storing its items, before matching them.
        store.con.execute("DELETE FROM factcheck_matches")
        store.con.execute("UPDATE runs SET finished_at = NULL, status = 'interrupted'")
        run_ingest(sample_config, store, scorer=scorer)  # feeds unchanged: nothing new
        assert store.con.execute("SELECT count(*) FROM factcheck_matches").fetchone()[0] == before

"""The scores on the demo, end to end: chain messages outrank the news, only election stories sit
under the election headings, and a false-verdict fact-check raises and explains the risk."""

from __future__ import annotations

import statistics

import pytest
from typer.testing import CliRunner

from saring.cli.main import app
from saring.config import DigestSettings, Source
from saring.judge.classifier.evidence import (
    FLOOR_TOP,
    LINK_ONLY_REASON,
    LINK_UNREAD_REASON,
    STRONG_AT,
    best_evidence,
    floor_for,
    is_clarification,
    judged_by_links,
    served,
)
from saring.judge.classifier.explain import CUE_REASONS
from saring.judge.factcheck import MATCH_THRESHOLD
from saring.pipeline.demo import demo_chat
from saring.pipeline.ingest import run_ingest
from saring.report.digest import FORMATS, build_digest, render, today_wib
from saring.storage.database import Store

SEEDS = {"Malangpost.id", "Jatimpos.co"}  # the two real election articles; every other article is not


@pytest.fixture()
def forwarded(ingested, sample_site, tmp_path, monkeypatch):
    """The ingested sample with the demo's chat imported: the forum's forwarded messages."""
    monkeypatch.setenv("SARING_TIPLINE_SECRET", "uji-rahasia-lokal-0123456789")
    chat = demo_chat(sample_site.base_url, tmp_path / "chat.txt")
    result = CliRunner().invoke(app, ["tipline", "import", str(chat), "--db", str(ingested)])
    assert result.exit_code == 0, result.output
    return ingested


KPU_FORWARD = ("SELECT {columns} FROM items i JOIN item_overview o USING (item_id) "
               "WHERE i.source_id = 'tipline' AND i.channel = 'grup' "
               "AND o.text LIKE '%www.kpu-batukota.example.id%'")
"""The forwarded message that links a site no source of the demo covers."""


def test_chain_messages_rank_above_the_median_news_item(forwarded):
    with Store(forwarded) as store:
        con = store.con
        news = [
            s
            for (s,) in con.execute(
                "SELECT o.hoax_score FROM item_overview o JOIN items i USING (item_id) "
                "WHERE i.kind IN ('rss', 'atom') AND o.hoax_score IS NOT NULL"
            ).fetchall()
        ]
        chains = con.execute(
            "SELECT o.hoax_score, o.hoax_terms, o.text FROM tipline_messages m "
            "JOIN items i ON i.guid = m.message_id AND i.kind = 'tipline' "
            "JOIN item_overview o USING (item_id) WHERE m.forwarded"
        ).fetchall()
    assert len(news) >= 60 and chains
    median = statistics.median(news)
    labels = set(CUE_REASONS.values())
    for score, reasons, text in chains:
        assert score > median, (score, median, text)
        # Reasons a forum member understands: named cue kinds, in Indonesian.
        assert any(r.split(":")[0] in labels for r in reasons), reasons


def test_only_election_stories_under_the_election_headings(ingested):
    with Store(ingested) as store:
        digest = build_digest(store.con, today_wib(), DigestSettings())
    sources = {i.source_name for i in digest.election_items}
    news = {i.source_name for i in digest.election_items if i.kind in ("rss", "atom")}
    assert "Malangpost.id" in sources, (
        sources
    )  # the real election articles are there (Batu and Madiun: two stories) ...
    assert news <= SEEDS, news  # ... and no catfish myth or Facebook rumour is
    text = render(digest, "whatsapp")
    assert "Lele" not in text and "Facebook" not in text.split("BEREDAR DI GRUP")[0]


def test_factcheck_floor_rule():
    bands = DigestSettings()
    high, medium = bands.high, bands.medium
    assert floor_for(MATCH_THRESHOLD - 0.01, "HOAKS", high, medium) is None  # not a match
    assert floor_for(0.9, "BENAR", high, medium) is None  # not a false verdict
    assert floor_for(MATCH_THRESHOLD, "SALAH", high, medium) == pytest.approx(
        medium
    )  # a topic match: "sedang"
    assert floor_for(STRONG_AT, "hoaks", high, medium) == pytest.approx(high)  # the same claim: "tinggi"
    assert floor_for(0.2, "HOAKS", high, medium) < floor_for(0.45, "DISINFORMASI", high, medium) <= FLOOR_TOP
    assert floor_for(0.99, "HOAKS", high, medium) == FLOOR_TOP
    matches = [
        ("f1", "[HOAKS] Facebook akan ditutup", "https://cek.example/1", "HOAKS", 0.35),
        ("f2", "[BENAR] lain", "https://cek.example/2", "BENAR", 0.6),
    ]
    rumour = "Facebook akan ditutup tanggal 24 April, sebarkan ke teman-teman"
    ev = best_evidence(matches, rumour, high)
    assert ev is not None and ev.factcheck_id == "f1"
    assert served(0.2, ev) == ev.floor and served(0.99, ev) == 0.99
    assert ev.reason.startswith(
        "cocok dengan cek fakta: [HOAKS] Facebook akan ditutup (https://cek.example/1)"
    )
    # A report of the debunk matches the fact-check too: it is not floored.
    debunk = "Kominfo: kabar Facebook akan ditutup tanggal 24 April tidak benar"
    assert is_clarification(debunk) and best_evidence(matches, debunk, high) is None


def test_a_long_fact_check_title_in_the_reason_is_cut_between_words():
    # Fact-checkers' titles are often a whole sentence; here the sample Facebook fact-check's own
    # first sentence. The reason the digest and the desk show read "... media sosial ini b…".
    title = ("[HOAKS] Pekan ini, beredar konten di linimasa Facebook yang menyatakan media sosial ini "
             "bakal diblokir atau ditutup aksesnya di Indonesia pada 24 April 2018")
    rumour = "Facebook akan ditutup tanggal 24 April, sebarkan ke teman-teman"
    ev = best_evidence([("f1", title, "https://cek.example/1", "HOAKS", 0.35)], rumour, DigestSettings().high)
    assert ev is not None
    quoted = ev.reason.removeprefix("cocok dengan cek fakta: ").removesuffix(" (https://cek.example/1)")
    assert quoted == ("[HOAKS] Pekan ini, beredar konten di linimasa Facebook yang menyatakan media "
                      "sosial ini…")
    assert title.startswith(quoted.removesuffix("…")) and len(quoted) <= 90


def test_factcheck_evidence_is_served_everywhere(ingested):
    with Store(ingested) as store:
        con = store.con
        matched = con.execute("SELECT count(DISTINCT item_id) FROM factcheck_matches").fetchone()[0]
        rows = con.execute(
            "SELECT o.hoax_score, o.text_hoax_score, o.hoax_terms, e.floor FROM hoax_evidence e "
            "JOIN item_overview o USING (item_id)"
        ).fetchall()
        assert matched >= 2
        assert rows, "the demo's fact-check feed should floor at least one matching rumour"
        for score, text_score, terms, floor in rows:
            assert score == pytest.approx(max(text_score, floor)) and score >= DigestSettings().medium
            assert terms[0].startswith("cocok dengan cek fakta: [HOAKS]")
        # Matched debunk articles keep their own (low) text score.
        kept = con.execute(
            "SELECT count(*) FROM factcheck_matches m LEFT JOIN hoax_evidence e USING (item_id) "
            "WHERE e.item_id IS NULL"
        ).fetchone()[0]
        assert kept >= 1


def test_links_to_the_forums_own_news_sources_are_news_links(forwarded, sample_site):
    """The model's list of news hosts cannot know every local outlet: the hosts of the news sources
    in sources.yaml count as news too (here the sample sites on 127.0.0.1), anything else does not."""
    with Store(forwarded) as store:
        assert store.outlet_hosts() == ["127.0.0.1"]
        rows = store.con.execute(
            "SELECT o.text, o.hoax_terms FROM items i JOIN item_overview o USING (item_id) "
            "WHERE i.source_id = 'tipline' AND i.channel = 'grup'").fetchall()  # the messages
    non_news = CUE_REASONS["links_non_news"]
    local = [reasons for text, reasons in rows if sample_site.base_url in text]
    elsewhere = [reasons for text, reasons in rows if "www.kpu-batukota.example.id" in text]
    assert len(local) == 2 and len(elsewhere) == 1
    assert not any(r.startswith(non_news) for reasons in local for r in reasons), local
    assert any(r.startswith(non_news) for r in elsewhere[0])  # no configured source
    # ... and the digest shows, next to a message, the risk of the page its link points at.
    with Store(forwarded) as store:
        digest = build_digest(store.con, today_wib(), DigestSettings())
    forward = next(i for i in digest.tipline if "kpu-kota-batu-bentuk-bakohumas" in i.excerpt)
    assert [(ln["title"], ln["source"]) for ln in forward.linked] == [("KPU Kota Batu Bentuk Bakohumas",
                                                                        "Malangpost.id")]
    with Store(forwarded) as store:
        (own,) = store.con.execute("SELECT hoax_score FROM item_overview WHERE source_id <> 'tipline' AND "
                                   "title = 'KPU Kota Batu Bentuk Bakohumas'").fetchone()
    assert forward.linked[0]["hoax_score"] == own  # the article's own score, not the message's
    for fmt in FORMATS:  # the HTML e-mail showed it under the election items, never under the messages
        text = render(digest, fmt)
        assert "Isi tautannya" in text and "KPU Kota Batu Bentuk Bakohumas" in text, fmt


def test_a_forwarded_message_in_the_html_digest_is_not_a_link_to_an_address_that_does_not_exist(forwarded):
    # A member tapped a forwarded message's title in the digest's web page (the archive) and the
    # phone opened https://tipline.saring.invalid/..., the never-fetched key saring stores a chat
    # message under: "site cannot be reached". Its text is the message; only its links are links.
    with Store(forwarded) as store:
        digest = build_digest(store.con, today_wib(), DigestSettings())
    assert digest.tipline
    page = render(digest, "html")
    assert "Sebarkan ke semua grup" in page and "tipline.saring.invalid" not in page
    assert 'href="http://127.0.0.1' in page  # the pages its links point at stay links


def test_a_long_forwarded_message_s_title_is_cut_between_words(forwarded):
    # The digest's web page, the desk and `saring check`'s similar items showed the demo's chain
    # message as "... Hubungi [nom…" and the KTP video rumour as "... pemungutan sua…".
    with Store(forwarded) as store:
        rows = store.con.execute(
            "SELECT o.title, o.text FROM items i JOIN item_overview o USING (item_id) "
            "WHERE i.source_id = 'tipline' AND i.channel = 'grup'").fetchall()
    cut = [(title, " ".join(text.split())) for title, text in rows if title.endswith("…")]
    assert len(cut) >= 2, rows
    for title, text in cut:
        head = title.removesuffix("…")
        assert text.startswith(head) and text[len(head)] == " ", title


def test_a_message_that_only_forwards_a_link_is_judged_by_the_linked_page(forwarded):
    """ "Ada yang kirim ini ke grup, mohon dicek <link>" gives no reason of its own: its short
    informal text alone scored "sedang" above the harmless page it asks about. The digest ranks it
    by that page's risk and says why; a message with reasons of its own keeps its score."""
    with Store(forwarded) as store:
        digest = build_digest(store.con, today_wib(), DigestSettings())
        own = dict(store.con.execute(
            "SELECT o.text, o.hoax_score FROM items i JOIN item_overview o USING (item_id) "
            "WHERE i.source_id = 'tipline' AND i.channel = 'grup'").fetchall())
    forward = next(i for i in digest.tipline if "kpu-kota-batu-bentuk-bakohumas" in i.excerpt)
    (text_score,) = [s for t, s in own.items() if "kpu-kota-batu-bentuk-bakohumas" in t]
    page = forward.linked[0]
    assert text_score >= DigestSettings().medium > page["hoax_score"]  # what the forum saw before
    assert forward.by_link and (forward.hoax_score, forward.risk) == (page["hoax_score"], page["risk"])
    assert forward.hoax_terms == [LINK_ONLY_REASON.format(own=f"{text_score:.0%}")]
    chain = next(i for i in digest.tipline if "Sebarkan" in i.excerpt)
    assert not chain.by_link and chain.hoax_terms and chain.risk == "tinggi"
    ranked = [i.hoax_score for i in digest.tipline]
    assert ranked == sorted(ranked, reverse=True)
    for fmt in FORMATS:  # every format says why, for the chain message and for the forward
        text = render(digest, fmt)
        assert "hanya meneruskan tautan" in text and "ajakan menyebarkan" in text, fmt


def test_the_forwarded_messages_shown_are_the_riskiest_once_judged_by_their_links(forwarded):
    """Importing a chat export turns all its kept messages into the day's items: more than
    max_items. The ones shown must be the riskiest as ranked, a "mohon dicek <link>" by its page."""
    with Store(forwarded) as store:
        every = build_digest(store.con, today_wib(), DigestSettings()).tipline
        forward = next(i for i in every if i.by_link and "Facebook" in i.linked[0]["title"])
        # The page it asks about is scored risky (here its stored score is raised to 0.9).
        store.con.execute("UPDATE scores SET hoax_score = 0.9 WHERE item_id = (SELECT item_id FROM "
                          "item_overview WHERE title = ? AND source_id <> 'tipline')",
                          [forward.linked[0]["title"]])
        shown = build_digest(store.con, today_wib(), DigestSettings(max_items=4)).tipline
    assert len(every) > 4 and len(shown) == 4
    assert forward.item_id in [i.item_id for i in shown]
    judged = next(i for i in shown if i.item_id == forward.item_id)
    assert judged.by_link and judged.hoax_score == 0.9 and judged.risk == "tinggi"
    ranked = [i.hoax_score for i in shown]
    assert ranked == sorted(ranked, reverse=True)


def test_the_same_message_forwarded_by_two_members_is_one_entry_saying_so(ingested, sample_site, tmp_path,
                                                                         monkeypatch):
    """A chain message reaches the group from several members: the digest shows it once, with how
    many times it came in, instead of the same text twice (pushing other messages out)."""
    monkeypatch.setenv("SARING_TIPLINE_SECRET", "uji-rahasia-lokal-0123456789")
    chat = demo_chat(sample_site.base_url, tmp_path / "chat.txt")
    lines = chat.read_text(encoding="utf-8").splitlines()
    start = next(n for n, line in enumerate(lines) if "*Diteruskan*" in line)
    again = ["12/10/23, 10.02 - Sri Wahyuni: *Diteruskan*", *lines[start + 1:start + 3]]  # the same chain
    chat.write_text("\n".join(lines + again) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["tipline", "import", str(chat), "--db", str(ingested)])
    assert result.exit_code == 0, result.output
    with Store(ingested) as store:
        digest = build_digest(store.con, today_wib(), DigestSettings())
    chains = [i for i in digest.tipline if "Sebarkan ke semua grup" in i.excerpt]
    assert len(chains) == 1 and chains[0].copies == 2
    others = [i for i in digest.tipline if i is not chains[0]]
    assert others and all(i.copies == 1 for i in others)
    for fmt in FORMATS:
        text = render(digest, fmt)
        once = text.count("Beredar video yang menyebut Bawaslu")  # a message that came in once
        assert once and text.count("Surat suara Pemilu 2024 di Kota Batu") == once, fmt
        assert "Dikirim 2 kali ke grup" in text, fmt


def test_only_a_message_without_reasons_of_its_own_takes_its_links_risk():
    assert judged_by_links(0.54, [], [0.37, 0.2]) == (0.37, LINK_ONLY_REASON.format(own="54%"))
    assert judged_by_links(0.54, [], []) is None  # no link: its own score stands
    # links, none read: its own score stands, saying that the page is not in it
    assert judged_by_links(0.54, [], [], has_links=True) == (0.54, LINK_UNREAD_REASON)
    assert judged_by_links(0.96, ["tautan ke situs yang bukan media berita: 'x.example'"], [0.1]) is None
    assert judged_by_links(0.96, ["tautan ke situs yang bukan media berita: 'x.example'"], [], True) is None


def test_a_forward_whose_link_saring_could_not_read_says_so_instead_of_a_bare_sedang(forwarded):
    """ "Ini beritanya <link> mohon dicek": the demo cannot reach the news site it links, so the
    digest showed "sedang" with no reason at all, a score of the note's few words. It keeps that
    score and says that the page itself was not read."""
    with Store(forwarded) as store:
        digest = build_digest(store.con, today_wib(), DigestSettings())
    forward = next(i for i in digest.tipline if "kpu-kota-batu-bantah-surat-suara" in i.excerpt)
    assert forward.linked == [] and not forward.by_link
    assert forward.risk != "rendah" and forward.tipline_reasons == [LINK_UNREAD_REASON]
    for fmt in FORMATS:
        assert "isi tautannya belum terbaca" in render(digest, fmt), fmt


def test_a_new_news_source_rescores_the_messages_that_link_to_its_site(forwarded, sample_config, scorer):
    """Adding a source to sources.yaml changes what counts as a news link: the next run scores the
    stored messages that link to its site again (without `saring rescore`)."""
    query = KPU_FORWARD.format(columns="o.hoax_score, o.hoax_terms")
    others = ("SELECT s.item_id, s.scored_at FROM items i JOIN scores s USING (item_id) "
              "WHERE i.source_id = 'tipline' AND i.title NOT LIKE '%kpu-batukota%' ORDER BY 1")
    with Store(forwarded) as store:
        (before, reasons), = store.con.execute(query).fetchall()
        untouched = store.con.execute(others).fetchall()
    non_news = CUE_REASONS["links_non_news"]
    assert any(r.startswith(non_news) for r in reasons)
    kpu = Source(id="kpu_batu", name="KPU Kota Batu", url="https://rss.kpu-batukota.example.id/feed")
    config = sample_config.model_copy(update={"sources": [*sample_config.sources, kpu]})
    with Store(forwarded) as store:  # the new source is recorded, not fetched (no network here)
        run_ingest(config, store, scorer=scorer, only=[sample_config.sources[0].id])
        (after, reasons), = store.con.execute(query).fetchall()
        assert store.sync_sources(config.sources, complete=True) == []  # nothing changed since
        # Only what names the new site is scored again, not every message with a link.
        assert store.con.execute(others).fetchall() == untouched
    assert not any(r.startswith(non_news) for r in reasons), reasons
    assert after < before


def test_scorer_with_outlets_leaves_the_shared_scorer_alone(scorer):
    text = "Ada yang kirim ini ke grup, mohon dicek https://beritabatu.example/2024/01/02/kpu-rapat/"
    non_news = CUE_REASONS["links_non_news"]
    before = scorer.score([text])[0]
    local = scorer.with_outlets(["beritabatu.example"]).score([text])[0]
    assert any(r.startswith(non_news) for r in before.hoax_terms)
    assert not any(r.startswith(non_news) for r in local.hoax_terms)
    assert local.hoax_score < before.hoax_score
    assert scorer.score([text])[0] == before
    # The whole site counts, subdomains included; a look-alike host that only contains its name does not.
    sub = text.replace("https://beritabatu.example", "https://m.beritabatu.example")
    fake = text.replace("https://beritabatu.example", "https://beritabatu.example.kabar-viral.com")
    outlets = scorer.with_outlets(["beritabatu.example"])
    assert not any(r.startswith(non_news) for r in outlets.score([sub])[0].hoax_terms)
    assert any(r.startswith(non_news) for r in outlets.score([fake])[0].hoax_terms)


@pytest.mark.parametrize("text", [
    "Ada yang kirim ini ke grup, sumber beritanya www.beritabatu.example.",
    "Ada yang kirim ini ke grup (sumber: https://beritabatu.example), mohon dicek",
    "Ada yang kirim ini ke grup, sumber: https://m.beritabatu.example, mohon dicek",
])
def test_a_news_sources_site_at_the_end_of_a_sentence_is_still_a_news_link(scorer, text):
    """Punctuation after a bare address ends up in the host urlsplit reads; the outlet's site
    must still be recognised (a look-alike with the same punctuation stays a cue)."""
    non_news = CUE_REASONS["links_non_news"]
    outlets = scorer.with_outlets(["beritabatu.example"])
    assert not any(r.startswith(non_news) for r in outlets.score([text])[0].hoax_terms)
    fake = text.replace("beritabatu.example", "beritabatu.example.kabar-viral.com")
    assert any(r.startswith(non_news) for r in outlets.score([fake])[0].hoax_terms)


def test_a_run_that_stops_after_recording_new_sites_leaves_the_rescoring_to_the_next(
        forwarded, sample_config, scorer):
    """The sites are recorded when a run starts and the linked articles scored again at its end: a
    run stopped in between (killed, or its scoring failed) must not lose that second scoring."""
    query = KPU_FORWARD.format(columns="o.hoax_terms")
    non_news = CUE_REASONS["links_non_news"]
    kpu = Source(id="kpu_batu", name="KPU Kota Batu", url="https://rss.kpu-batukota.example.id/feed")
    config = sample_config.model_copy(update={"sources": [*sample_config.sources, kpu]})
    with Store(forwarded) as store:
        assert store.sync_sources(config.sources, complete=True)  # the run that stops here
    with Store(forwarded) as store:
        run_ingest(config, store, scorer=scorer, only=[sample_config.sources[0].id])
        (reasons,), = store.con.execute(query).fetchall()
        assert store.sync_sources(config.sources, complete=True) == []
    assert not any(r.startswith(non_news) for r in reasons), reasons


def test_forwarded_messages_take_the_forums_own_risk_bands_for_a_factcheck_floor(ingested, sample_site,
                                                                                tmp_path, monkeypatch):
    # A forum that set settings.digest.high to 0.85 reads "tinggi" from 0.85: a forwarded message
    # matching a [HOAKS] fact-check was floored at the default 0.7 and so shown as "sedang".
    import yaml

    from saring.pipeline.demo import write_demo_sources

    monkeypatch.setenv("SARING_TIPLINE_SECRET", "uji-rahasia-lokal-0123456789")
    sources = write_demo_sources(tmp_path / "sources.yaml", sample_site.base_url)
    raw = yaml.safe_load(sources.read_text(encoding="utf-8"))
    raw.setdefault("settings", {})["digest"] = {"high": 0.85, "medium": 0.5}
    sources.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    chat = demo_chat(sample_site.base_url, tmp_path / "chat.txt")
    # the viral post as the demo's fact-check quotes it ([HOAKS] Facebook akan ditutup di Indonesia):
    # its picture's caption, headline and time (the headline and time alone are 0.134 from it, below
    # the threshold in the digest as in `saring check`)
    chat.write_text(chat.read_text(encoding="utf-8") + "13/10/23, 09.00 - Sri Wahyuni: *Diteruskan*\n"
                    "Facebook diblokir\nFB Indonesia Akan Dimatikan. 24 April 2018 Pukul 00.00 WIB.\n",
                    encoding="utf-8")
    result = CliRunner().invoke(app, ["tipline", "import", str(chat), "--db", str(ingested),
                                      "--sources", str(sources)])
    assert result.exit_code == 0, result.output
    with Store(ingested) as store:
        rows = store.con.execute(
            "SELECT e.similarity, e.verdict, e.floor FROM hoax_evidence e JOIN items i USING (item_id) "
            "WHERE i.source_id = 'tipline'").fetchall()
    assert rows, "the forwarded post should match the demo's fact-check"
    for similarity, verdict, floor in rows:
        assert floor == pytest.approx(floor_for(similarity, verdict, 0.85, 0.5))


def test_a_member_asking_whether_a_forward_is_a_hoax_keeps_its_factcheck_floor(ingested, sample_site,
                                                                              tmp_path, monkeypatch):
    # A member forwards the viral post as it came, asking "hoaks atau bukan?". The word "hoaks"
    # read as the member denying the claim, so the match to the [HOAKS] fact-check raised nothing
    # and the digest showed the forward at its text score. Asking is not denying.
    from saring.judge.classifier.textfeatures import CUE_KINDS, cue_counts

    monkeypatch.setenv("SARING_TIPLINE_SECRET", "uji-rahasia-lokal-0123456789")
    chat = demo_chat(sample_site.base_url, tmp_path / "chat.txt")
    # the viral post as the demo's fact-check quotes it ([HOAKS] Facebook akan ditutup di Indonesia)
    post = "Facebook diblokir\nFB Indonesia Akan Dimatikan. 24 April 2018 Pukul 00.00 WIB."
    chat.write_text(chat.read_text(encoding="utf-8")
                    + f"13/10/23, 09.00 - Sri Wahyuni: *Diteruskan*\n{post}\n"
                    f"13/10/23, 09.01 - Budi Santoso: *Diteruskan*\n{post}\nIni hoaks atau bukan?\n",
                    encoding="utf-8")
    result = CliRunner().invoke(app, ["tipline", "import", str(chat), "--db", str(ingested)])
    assert result.exit_code == 0, result.output
    with Store(ingested) as store:
        rows = store.con.execute(
            "SELECT o.text, m.similarity, e.floor FROM items i JOIN item_overview o USING (item_id) "
            "JOIN factcheck_matches m USING (item_id) LEFT JOIN hoax_evidence e USING (item_id) "
            "WHERE i.source_id = 'tipline' AND o.text LIKE '%Dimatikan%' ORDER BY o.text").fetchall()
    assert len(rows) == 2 and all(sim >= MATCH_THRESHOLD for _, sim, _ in rows)
    assert [text.endswith("atau bukan?") for text, _, _ in rows] == [False, True]
    assert rows[1][2] == pytest.approx(floor_for(rows[1][1], "HOAKS", DigestSettings().high,
                                                 DigestSettings().medium))
    asked = rows[1][0]
    assert not is_clarification(asked)
    # Only the floor's decision changed: the model still reads the word as a clarification cue.
    assert cue_counts(asked)[CUE_KINDS.index("clarify")] > 0
    # A question answered in the same lead is still a clarification.
    assert is_clarification("Benarkah Facebook akan ditutup 24 April? "
                            "Kominfo memastikan kabar itu tidak benar.")


def test_a_forwarded_message_scores_what_saring_check_gives_the_same_text(forwarded, scorer):
    """A forwarded message's title is its own first line, and scoring read "title\\ntext": the
    message twice, every cue counted twice. The digest said 96 % for the KPU-link forward
    while `saring check` on the same words said 91 %, and the doubled text even made a cue of
    its last word and its first ("pengumuman Tolong dicek")."""
    with Store(forwarded) as store:
        rows = store.con.execute(
            "SELECT o.text, o.text_hoax_score FROM items i JOIN item_overview o USING (item_id) "
            "WHERE i.source_id = 'tipline' AND o.text_source = 'tipline' "
            "AND o.text_hoax_score IS NOT NULL").fetchall()
        scorer = scorer.with_outlets(store.outlet_hosts())  # as a run scores: outlet links are news
    assert rows
    for text, stored in rows:
        assert stored == pytest.approx(scorer.score([text])[0].hoax_score, abs=1e-6), text


def _rows(spec):
    """(similarity, label, fact-check, text score) rows: ``spec`` is [(similarity, hoax, not hoax)],
    spread over six fact-checks; the text scores sit low, as for short informal forwards."""
    rows = []
    for similarity, hoax, not_hoax in spec:
        for k in range(hoax + not_hoax):
            rows.append((similarity, int(k < hoax), f"f{(len(rows) % 6) + 1}", 0.2))
    return rows


def test_the_fact_check_floor_is_fitted_only_on_enough_labels_and_only_when_it_serves_better():
    # The rule is set, not fitted; `saring train` fits it once the forum's labels on matched
    # items are enough, and keeps it only if it rises with the similarity and gives the served
    # scores a lower Brier score across fact-checks. Numbers here, not texts: the fit's mechanics.
    from saring.judge.classifier.evidence import MIN_FIT_LABELS, FittedFloor, fit_floor

    high, medium = DigestSettings().high, DigestSettings().medium
    few = fit_floor(_rows([(0.35, 5, 5)]), high, medium)
    assert few["kind"] == "rule" and few["labels"] == 10 and f"fitting needs {MIN_FIT_LABELS}" in few["why"]
    # Topic matches between 0.3 and 0.4 are mostly not the hoax (the rule says "tinggi" there);
    # near-copies are.
    topical = fit_floor(_rows([(0.15, 1, 9), (0.3, 2, 10), (0.4, 3, 9), (0.55, 9, 1), (0.7, 10, 0)]),
                        high, medium)
    assert topical["kind"] == "fitted" and topical["slope"] > 0, topical
    assert topical["brier_fitted"] < topical["brier_rule"]
    curve = FittedFloor(topical["intercept"], topical["slope"])
    assert curve.floor(0.3, high) < floor_for(0.3, "HOAKS", high, medium)
    assert floor_for(0.3, "HOAKS", high, medium, curve) == curve.floor(0.3, high)
    assert floor_for(MATCH_THRESHOLD - 0.01, "HOAKS", high, medium, curve) is None  # still no match
    assert curve.floor(5.0, high) == FLOOR_TOP  # never above the rule's top
    # Labels that fall as the similarity rises: no curve is kept.
    falling = fit_floor(_rows([(0.15, 9, 1), (0.3, 8, 2), (0.55, 2, 8), (0.7, 1, 9)]), high, medium)
    assert falling["kind"] == "rule" and "does not rise" in falling["why"]


def test_the_forum_s_labels_on_matched_items_are_what_the_floor_is_fitted_on(ingested):
    # The sample's news items that match a false-verdict fact-check, labelled at the desk.
    from saring.judge.classifier.evidence import fit_floor, labelled_evidence
    from saring.judge.labels import add_label, current_labels

    bands = DigestSettings()
    with Store(ingested) as store:
        stored = dict(store.con.execute(
            "SELECT e.item_id, e.similarity FROM hoax_evidence e").fetchall())
        assert stored, "the sample's news should match its fact-checks"
        for k, item_id in enumerate(sorted(stored)):
            add_label(store.con, item_id, "hoax", k % 2, "uji")
        rows = labelled_evidence(store.con, current_labels(store.con, "hoax"), bands.high, bands.medium)
    assert sorted((r[0], r[1]) for r in rows) == sorted(
        (stored[i], k % 2) for k, i in enumerate(sorted(stored)))
    assert fit_floor(rows, bands.high, bands.medium)["kind"] == "rule"  # far too few to fit

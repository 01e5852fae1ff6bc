"""Clarification cards: WhatsApp text and a 1080 px PNG, for items and checks."""

import io
import re

import duckdb
import pytest
from _db import forward_pratiwi_post, makassar_db
from PIL import Image

from saring.desk.card import (
    NO_CLARIFICATION,
    SLOGAN,
    card_for_check,
    card_for_check_id,
    card_for_item,
    card_png,
    card_text,
)
from saring.desk.check import FactCheck, run_check
from saring.storage.database import connect_snapshot

#: The reply's verdict line for the sample's "[HOAKS] Facebook akan ditutup di Indonesia": its title says it.
FACEBOOK_HOAX = "Hasil cek fakta: *[HOAKS] Facebook akan ditutup di Indonesia*"


def test_item_card_without_fact_check(ingested):
    con = connect_snapshot(ingested)
    item_id, title, source = con.execute(
        "SELECT item_id, title, source_name FROM item_overview "
        "WHERE item_id NOT IN (SELECT item_id FROM factcheck_matches) ORDER BY hoax_score DESC LIMIT 1"
    ).fetchone()
    card = card_for_item(con, item_id)
    con.close()
    text = card_text(card)
    assert f"*{SLOGAN}*" in text and NO_CLARIFICATION.capitalize() in text
    assert "https://www.kpu.go.id" in text and "https://www.bawaslu.go.id" in text
    assert source in text and "bukan putusan" in text
    assert text.count("*") % 2 == 0  # every bold opened is closed
    png = Image.open(io.BytesIO(card_png(card)))
    assert png.format == "PNG" and png.width == 1080 and 600 < png.height < 3000
    assert len(set(png.convert("L").getdata())) > 10  # text was drawn


def test_check_card_with_fact_check_verdict_and_link(ingested, scorer):
    con = duckdb.connect(str(ingested), read_only=True)
    title, text, url = con.execute(
        "SELECT title, text, url FROM item_overview WHERE title ILIKE '%hoaks%' LIMIT 1"
    ).fetchone()
    con.close()
    result = run_check(" ".join(text.split()[:40]), ingested, scorer=scorer)
    result.factchecks = [FactCheck(title=title, url=url, verdict="Hoaks", similarity=0.9)]
    card = card_for_check(result)
    wa = card_text(card)
    assert "Hasil cek fakta: *HOAKS*" in wa and url in wa and NO_CLARIFICATION not in wa.lower()
    assert "pesan yang beredar" in wa
    assert Image.open(io.BytesIO(card_png(card))).width == 1080


def test_markup_in_the_rumour_cannot_break_the_reply(ingested, scorer):
    con = connect_snapshot(ingested)
    words = con.execute("SELECT title FROM item_overview ORDER BY item_id LIMIT 1").fetchone()[0].split()
    con.close()
    marked = " ".join(f"{m}{w}{m}" for m, w in zip("*_~`" * 10, words, strict=False))  # as forwarded
    result = run_check(marked, ingested, scorer=scorer, save=False)
    wa = card_text(card_for_check(result))
    headline = wa.splitlines()[2]
    assert headline.startswith("*") and headline.endswith("*") and headline.count("*") == 2
    assert "_" not in headline and "~" not in headline and "`" not in headline



def test_a_forwarded_rumour_s_markup_leaves_single_spaces_in_the_reply(ingested, scorer):
    # A rumour pasted as forwarded: "*Diteruskan*" then the text; the card's headline has no gap.
    con = connect_snapshot(ingested)
    title = con.execute("SELECT title FROM item_overview ORDER BY item_id LIMIT 1").fetchone()[0]
    con.close()
    result = run_check(f"*Diteruskan*\n{title}", ingested, scorer=scorer, save=False)
    headline = card_text(card_for_check(result)).splitlines()[2]
    assert "  " not in headline and headline.startswith("*Diteruskan ")


def _hold_the_database(db):
    """Another process holding the writer's file, as the hourly ingest does while it runs."""
    import subprocess
    import sys
    import textwrap

    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys
        from saring.storage.database import Store
        with Store({str(db)!r}):
            print("held", flush=True)
            sys.stdin.readline()
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held", holder.stderr.read()
    return holder


def _check_made_after_the_last_run(db, scorer):
    con = connect_snapshot(db)
    title = con.execute("SELECT title FROM item_overview ORDER BY item_id LIMIT 1").fetchone()[0]
    con.close()
    result = run_check(f"Beredar di grup: {title}", db, scorer=scorer)
    assert result.saved
    return result


def test_a_check_s_card_during_an_ingest_waits_for_the_database_instead_of_saying_no_such_check(
        ingested, scorer):
    # A member checked a forward, then asked `saring card <check id>` while the hourly ingest ran:
    # the read-only open of the database failed at once, the analysts' copy (published before the
    # check) has no such check, and saring said "no item or check with id". It now waits for the
    # run, saying so, and prints the card.
    import subprocess
    import sys

    result = _check_made_after_the_last_run(ingested, scorer)
    holder = _hold_the_database(ingested)
    try:
        card = subprocess.Popen([sys.executable, "-m", "saring", "card", result.check_id,
                                 "--db", str(ingested), "--by", "rina"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        said = []
        for line in card.stderr:  # until it says it waits (or ends without waiting)
            said.append(line)
            if "waiting" in line:
                break
        holder.communicate("\n", timeout=60)  # the run ends
        out, rest = card.communicate(timeout=120)
    finally:
        for proc in (holder, card):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert card.returncode == 0, "".join(said) + rest
    assert "KLARIFIKASI" in out and "pesan yang beredar" in out, out
    assert "busy" in "".join(said)


def test_a_check_s_card_while_a_long_run_holds_the_database_says_to_try_again_after_it(
        ingested, scorer, monkeypatch):
    # The run outlasts the card's wait: the member is told the check is not readable until the
    # run ends, not that it does not exist.
    from typer.testing import CliRunner

    from saring.cli import web
    from saring.cli.main import app

    monkeypatch.setattr(web, "CARD_WAIT", 0.5, raising=False)
    result = _check_made_after_the_last_run(ingested, scorer)
    holder = _hold_the_database(ingested)
    try:
        said = CliRunner().invoke(app, ["card", result.check_id, "--db", str(ingested), "--by", "rina"])
    finally:
        holder.communicate("\n", timeout=60)
    text = " ".join(said.output.split())
    assert said.exit_code == 2, text
    assert "no item or check" not in text and "try again when the run has finished" in text, text


def test_emoji_the_card_font_cannot_draw_are_left_out_of_the_picture_not_drawn_as_boxes(ingested, scorer):
    # Forwards start with "🚨🚨" and end with "🙏🙏": the card's font (DejaVu) has no such glyphs, and
    # the PNG shared in the WhatsApp group showed empty boxes before the headline.
    from dataclasses import replace

    con = connect_snapshot(ingested)
    title = con.execute("SELECT title FROM item_overview ORDER BY item_id LIMIT 1").fetchone()[0]
    con.close()
    card = card_for_check(run_check(title, ingested, scorer=scorer, save=False))
    forwarded = replace(card, headline=f"🚨🚨 {title} 🙏🙏\ufe0f")
    assert card_png(forwarded) == card_png(card)


def test_a_makassar_forums_card_is_dated_on_its_own_calendar_day(tmp_path):
    # A Makassar forum (schedule.timezone: WITA) shared a card for what saring saw at 00:30 WITA
    # on 25 November, and a check made then: both cards said "24 November 2026" (Jakarta's day).
    import yaml
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from saring.cli.main import app
    from saring.desk.app import create_app
    from saring.desk.auth import add_user
    from saring.desk.check import CheckResult

    db, seen = makassar_db(tmp_path)
    con = connect_snapshot(db)
    own = card_for_item(con, "m1", zone="Asia/Makassar")
    jakarta = card_for_item(con, "m1")  # the default: WIB
    con.close()
    assert own.origin == "Fajar, 25 November 2026" and jakarta.origin == "Fajar, 24 November 2026"
    check = CheckResult("c1", "Rapat pleno KPU", None, None, "Rapat pleno KPU", 0.9, 0.2, [], [], "m1",
                        checked_at=seen)
    assert card_for_check(check, zone="Asia/Makassar").origin == "pesan yang beredar, dicek 25 November 2026"

    sources = tmp_path / "sources.yaml"
    sources.write_text(yaml.safe_dump({
        "sources": [{"id": "fajar", "name": "Fajar", "url": "https://fajar.test/feed"}],
        "settings": {"schedule": {"timezone": "WITA"}}}), encoding="utf-8")
    said = CliRunner().invoke(app, ["card", "m1", "--db", str(db), "--sources", str(sources), "--by", "rina"])
    assert said.exit_code == 0, said.output
    assert "Fajar, 25 November 2026" in said.output

    add_user(db, "rina", "kata-sandi-rahasia")
    client = TestClient(create_app(db, secret_key="test-key", timezone="Asia/Makassar"))
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"csrf": token, "name": "rina", "password": "kata-sandi-rahasia",
                                "next": "/"}, follow_redirects=False)
    page = client.get("/card/item/m1")
    assert page.status_code == 200 and "Fajar, 25 November 2026" in page.text


def test_the_picture_shows_a_long_fact_check_title_cut_as_the_whatsapp_reply_does(ingested, scorer):
    # A fact-checker's feed that puts its summary in the title (up to the feeds' 500-character
    # cap): the reply cut it at 160 characters, the PNG printed all of it, ten lines tall.
    from dataclasses import replace

    con = duckdb.connect(str(ingested), read_only=True)
    title, text, url = con.execute(
        "SELECT title, text, url FROM factchecks WHERE text IS NOT NULL ORDER BY factcheck_id LIMIT 1"
    ).fetchone()
    con.close()
    long_title = " ".join(f"{title} {text}".split())[:500]
    result = run_check(title, ingested, scorer=scorer, save=False)
    result.factchecks = [FactCheck(title=long_title, url=url, verdict="HOAKS", similarity=0.9)]
    card = card_for_check(result)
    wa = card_text(card).splitlines()
    # its title states the verdict ("[HOAKS] ..."), so the title stands in the verdict's line
    shown = next(line for line in wa if line.startswith("Hasil cek fakta: *"))[len("Hasil cek fakta: *"):-1]
    assert shown.endswith("…") and len(shown) <= 161
    as_replied = replace(card, factcheck=replace(card.factcheck, title=shown))
    assert card_png(card) == card_png(as_replied)


@pytest.mark.parametrize("forward, shown", [
    # A forward of only emoji (its photo or voice note did not come with it): an empty headline.
    ("🚨🚨🙏🙏", "(pesan tanpa teks)"),
    # A forward in Chinese (Indonesian-Chinese groups): the card's font has no Han characters.
    ("注意 选举", "(teks dalam aksara yang tidak dapat ditampilkan)"),
    # Words of a script the font lacks, in a headline it can otherwise draw, are not dropped unsaid.
    ("KPU 注意 选举 Kota Batu", "KPU … Kota Batu"),
])
def test_a_headline_the_card_font_cannot_draw_is_not_left_empty_or_silently_shortened(
        ingested, scorer, forward, shown):
    from dataclasses import replace

    card = card_for_check(run_check(forward, ingested, scorer=scorer, save=False))
    assert card.headline == forward  # the WhatsApp reply keeps the text: the phone draws it
    assert card_png(card) == card_png(replace(card, headline=shown))


def test_the_card_looks_the_same_on_a_machine_without_the_system_dejavu_fonts(ingested, scorer, monkeypatch):
    # A maintainer's Mac or a minimal server has no /usr/share/fonts/.../dejavu: the card fell back
    # to Pillow's own font, without bold, the Arabic of a forward's opening greeting, or the "—".
    from saring.desk import card as cards

    con = connect_snapshot(ingested)
    title = con.execute("SELECT title FROM item_overview ORDER BY item_id LIMIT 1").fetchone()[0]
    con.close()
    card = card_for_check(run_check(f"بسم الله {title}", ingested, scorer=scorer, save=False))
    cards._font.cache_clear()
    here = card_png(card)
    monkeypatch.setattr(cards, "FONT_DIRS", ())
    cards._font.cache_clear()
    try:
        assert card_png(card) == here
    finally:
        cards._font.cache_clear()


def test_a_card_states_a_fact_checks_verdict_only_for_the_same_claim_not_for_its_topic(ingested, scorer):
    # ANTARA's report that the police will question Facebook Indonesia again (a data-leak case) shares
    # only its topic with the "[HOAKS] Facebook akan ditutup di Indonesia" fact-check (similarity
    # 0.23, under evidence.STRONG_AT): its card, pasted into the members' groups, said
    # "Hasil cek fakta: *HOAKS*" about a true news report. Kompas' article on that very claim (0.33)
    # keeps the verdict, and so does a check of a text, which takes the same rule.
    con = connect_snapshot(ingested)
    cards = {}
    for title in ("Polisi Akan Kembali Periksa Facebook Indonesia",
                  "Viral Kabar Facebook Bakal Diblokir 24 April Hoaks atau Fakta"):
        (item_id,) = con.execute("SELECT item_id FROM item_overview WHERE title = ?", [title]).fetchone()
        cards[title] = card_for_item(con, item_id)
    con.close()
    police = cards["Polisi Akan Kembali Periksa Facebook Indonesia"]
    text = card_text(police)
    assert "HOAKS" not in text and NO_CLARIFICATION.capitalize() in text
    same_claim = card_text(cards["Viral Kabar Facebook Bakal Diblokir 24 April Hoaks atau Fakta"])
    assert FACEBOOK_HOAX in same_claim and "/cekfakta/facebook-akan-ditutup" in same_claim

    result = run_check("Polisi akan kembali periksa Facebook Indonesia soal kebocoran data", ingested,
                       scorer=scorer, save=False)
    weak = FactCheck(title=police.headline, url="https://cek.example/fb", verdict="HOAKS", similarity=0.2)
    result.factchecks = [weak]
    assert "HOAKS" not in card_text(card_for_check(result))


def _sample_message(first: str) -> str:
    """A message of the bundled sample chat beginning with ``first``, as a member copies it from WhatsApp."""
    from saring.collect.tipline import parse_chat
    from saring.pipeline.demo import sample_dir

    chat = (sample_dir().parent / "tipline" / "demo-chat.txt").read_text(encoding="utf-8")
    return next(m.text for m in parse_chat(chat) if m.text and m.text.startswith(first))


def _sample_chain_message() -> str:
    """The forwarded chain message of the bundled sample chat."""
    return _sample_message("*Diteruskan*")


def test_a_card_for_a_pasted_message_shows_no_phone_number_as_a_stored_forward_s_card_does(ingested, scorer):
    # A member pasted the demo chat's chain message into `saring check`: the card, made to be shared
    # in the WhatsApp groups, repeated "Hubungi 0812-0000-0009", which the tipline's cards mask.
    from saring.collect.scrub import MASK_PHONE

    pasted = _sample_chain_message()
    assert "0812-0000-0009" in pasted
    result = run_check(pasted, ingested, scorer=scorer, save=False)
    card = card_for_check(result)
    text = card_text(card)
    assert "0812-0000-0009" not in text and MASK_PHONE in card.headline, text
    assert "Surat suara Pemilu 2024 di Kota Batu" in card.headline  # the picture draws this headline


def test_a_checked_reply_with_no_claim_gets_a_card_saying_so_not_to_hold_it_back(ingested, scorer):
    # A member checked the sample chat's reply "Siap, terima kasih @Budi Santoso" (no claim, hoax
    # score 0): its card told the group "Belum ada klarifikasi resmi. Mohon jangan diteruskan dulu
    # sebelum ada keterangan resmi", as for a rumour, with "risiko hoaks rendah (0%)".
    reply = _sample_message("Siap, terima kasih")
    result = run_check(reply, ingested, scorer=scorer)
    assert result.hoax_score == 0
    with duckdb.connect(str(ingested), read_only=True) as con:  # `saring card <id>` of the stored check
        stored = card_for_check_id(con, result.check_id)
    for card in (card_for_check(result), stored):
        text = card_text(card)
        assert "tidak memuat klaim" in text.lower(), text
        assert "jangan diteruskan" not in text and NO_CLARIFICATION not in text.lower(), text
        assert "risiko hoaks" not in text.lower() and "https://www.kpu.go.id" in text and SLOGAN in text
        assert Image.open(io.BytesIO(card_png(card))).width == 1080


def test_a_stored_check_of_a_reply_copied_with_its_senders_number_still_says_it_holds_no_claim(
        ingested, scorer):
    # A member copied the sample chat's reply from WhatsApp with its header, the sender's number
    # in it: the check said "tidak memuat klaim", but the stored check (masked number, "[nomor
    # disamarkan]") reloaded on the desk and in `saring card <id>` read "risiko hoaks rendah (0%)"
    # and "Mohon jangan diteruskan dulu", as for a rumour.
    reply = f"[08.25, 12/10/2023] +62 812-0000-0002: {_sample_message('Siap, terima kasih')}"
    result = run_check(reply, ingested, scorer=scorer)
    assert result.hoax_score == 0 and result.no_claim
    with duckdb.connect(str(ingested), read_only=True) as con:
        stored = card_for_check_id(con, result.check_id)
    text = card_text(stored)
    assert "812-0000-0002" not in text and "tidak memuat klaim" in text.lower(), text
    assert "jangan diteruskan" not in text and "risiko hoaks" not in text.lower(), text


def _kompas_as_a_fact_check_without_verdict(db):
    """Kompas' "Viral Kabar Facebook Bakal Diblokir 24 April Hoaks atau Fakta" (its fact-check rubric:
    the question in the title, the answer in the text) stored as a fact-check, and the run's matching."""
    from saring.collect.urls import url_key
    from saring.judge.factcheck import match_items, upsert_factchecks
    from saring.storage.database import Store

    with Store(db) as store:
        (title, text, url), = store.con.execute(
            "SELECT title, text, url FROM item_overview WHERE title = "
            "'Viral Kabar Facebook Bakal Diblokir 24 April Hoaks atau Fakta'").fetchall()
        upsert_factchecks(store.con, [dict(factcheck_id=url_key(url), source_id="kompas", url=url,
                                           title=title, text=text)])
        match_items(store.con)
        store.publish_snapshot()
    return url


def test_a_card_states_the_verdict_of_a_same_claim_fact_check_when_a_closer_one_has_none_in_its_title(
        ingested):
    # Tribunnews' "Facebook Akan Ditutup 24 April ..." matched Kompas' fact-check (0.72, no verdict in
    # its title) and "[HOAKS] Facebook akan ditutup di Indonesia" (0.32, the same claim): the digest
    # showed both, but the card said "Belum ada klarifikasi resmi ... jangan diteruskan", without
    # either link.
    kompas = _kompas_as_a_fact_check_without_verdict(ingested)
    card = _card_of(ingested, "Facebook Akan Ditutup 24 April%")
    text = card_text(card)
    assert FACEBOOK_HOAX in text and "/cekfakta/facebook-akan-ditutup" in text, text
    assert NO_CLARIFICATION not in text.lower() and kompas not in text, text


def test_a_card_gives_the_link_of_a_same_claim_fact_check_whose_title_carries_no_verdict(ingested):
    # The fact-checker published "Facebook akan ditutup di Indonesia" before adding "[HOAKS]" to its
    # title: the digest showed it under Kompas' article, the card left it out and only said
    # "Belum ada klarifikasi resmi". It now links it, stating no verdict the title does not give.
    from saring.storage.database import Store

    with Store(ingested) as store:
        store.con.execute("UPDATE factchecks SET verdict = NULL, "
                          "title = regexp_replace(title, '^\\[HOAKS\\] ', '')")
        store.publish_snapshot()
    card = _card_of(ingested, VIRAL_FACEBOOK)
    text = card_text(card)
    assert "/cekfakta/facebook-akan-ditutup" in text and "Facebook akan ditutup di Indonesia" in text, text
    assert "Hasil cek fakta" not in text and "HOAKS" not in text, text
    assert Image.open(io.BytesIO(card_png(card))).width == 1080


def test_a_forward_s_card_keeps_the_fact_check_the_digest_shows_once_retention_purged_its_text(
        ingested, tmp_path, scorer):
    # A forum keeps chat text for 14 days. A forwarded post of the Facebook-block hoax matched
    # "[HOAKS] Facebook akan ditutup di Indonesia" (kept after the purge, as its risk floor): its
    # card, made after the purge, matched the placeholder "(pesan dihapus: masa simpan habis)"
    # instead and told the group "Belum ada klarifikasi resmi", beside "risiko hoaks tinggi".
    from datetime import UTC, datetime, timedelta

    from saring.pipeline.forwarded import purge_tipline
    from saring.storage.database import Store

    with Store(ingested) as store:
        forward_pratiwi_post(store, tmp_path, 513, scorer)  # a Facebook-block hoax post (topic 11)
        store.publish_snapshot()
    con = connect_snapshot(ingested)
    (item_id,) = con.execute("SELECT item_id FROM item_overview WHERE source_id = 'tipline'").fetchone()
    before = card_text(card_for_item(con, item_id))
    con.close()
    assert FACEBOOK_HOAX in before and "/cekfakta/facebook-akan-ditutup" in before, before
    with Store(ingested) as store:
        purge_tipline(store, 0, now=datetime.now(UTC) + timedelta(seconds=1))
        store.publish_snapshot()
    con = connect_snapshot(ingested)
    after = card_text(card_for_item(con, item_id))
    con.close()
    assert "(pesan dihapus" in after and "risiko hoaks tinggi" in after, after
    assert after.split("\n\n")[2] == before.split("\n\n")[2], after  # the same fact-check and link


def test_a_card_stating_a_true_verdict_is_not_drawn_in_the_red_of_a_hoax(ingested, scorer):
    # Tempo and cekfakta.com also rate a checked claim "Benar": a member checked the forward "Reog
    # Ponorogo dibakar di Filipina", which the consulate confirmed. The picture's banner and its
    # "BENAR" were drawn in the red of a "HOAKS" card, which the groups read at a glance as "false".
    from dataclasses import replace

    con = connect_snapshot(ingested)
    title, url = con.execute(
        "SELECT title, url FROM item_overview WHERE title = 'Konjen RI di Davao Akui Ada Pembakaran Reog'"
    ).fetchone()
    con.close()
    result = run_check("Reog Ponorogo dibakar di Filipina", ingested, scorer=scorer, save=False)
    result.factchecks = [FactCheck(title=title, url=url, verdict="BENAR", similarity=0.9)]
    true = card_for_check(result)
    hoax = replace(true, factcheck=replace(true.factcheck, verdict="HOAKS"))
    red = Image.open(io.BytesIO(card_png(hoax))).convert("RGB").getpixel((5, 5))
    r, g, b = Image.open(io.BytesIO(card_png(true))).convert("RGB").getpixel((5, 5))
    assert red == (183, 28, 28) and g > r, (r, g, b)
    assert "Hasil cek fakta: *BENAR*" in card_text(true)


def test_a_card_states_the_verdict_once_when_the_fact_check_s_title_already_says_it(ingested, monkeypatch):
    # Kompas' article on the Facebook-block claim matched "[HOAKS] Facebook akan ditutup di
    # Indonesia": the reply read "Hasil cek fakta: *HOAKS*" then "[HOAKS] Facebook ...", and the
    # picture drew "HOAKS" then "[HOAKS] Facebook ...": the verdict twice. The digest shows it once.
    from dataclasses import replace

    card = _card_of(ingested, VIRAL_FACEBOOK)
    assert card.factcheck.title.startswith("[HOAKS] ") and card.factcheck.verdict == "HOAKS"
    verdict = card_text(card).split("\n\n")[2]  # the fact-check's lines
    assert verdict.count("HOAKS") == 1 and f"Hasil cek fakta: *{card.factcheck.title}*" in verdict, verdict

    drawn = _drawn_text(monkeypatch)
    card_png(card)
    assert sum(line.count("HOAKS") for line in drawn) == 1, drawn
    # a title without the verdict still gets it stated, in the reply and the picture
    bare = replace(card, factcheck=replace(card.factcheck, title="Facebook akan ditutup di Indonesia"))
    assert "Hasil cek fakta: *HOAKS*\nFacebook akan ditutup di Indonesia" in card_text(bare)
    drawn.clear()
    card_png(bare)
    assert "HOAKS" in drawn and "Facebook akan ditutup di Indonesia" in drawn, drawn


def test_a_card_just_under_tinggi_does_not_show_the_tinggi_percentage(ingested, scorer, monkeypatch):
    # A pasted rumour matching a [HOAKS] fact-check at similarity 0.298 is floored at 0.6962, just
    # under "tinggi" (0.7): the reply read "risiko hoaks sedang (70%)", which contradicts itself
    # for a member who knows 70% is "tinggi".
    from saring.judge.classifier.evidence import floor_for

    result = run_check("Polisi akan kembali periksa Facebook Indonesia soal kebocoran data", ingested,
                       scorer=scorer, save=False)
    result.hoax_score = floor_for(0.298, "HOAKS", high=0.7, medium=0.4)
    card = card_for_check(result)
    assert card.risk == "sedang"
    assert "risiko hoaks sedang (69%)" in card_text(card)

    drawn = _drawn_text(monkeypatch)
    card_png(card)
    assert any("sedang (69%)" in line for line in drawn), drawn


VIRAL_FACEBOOK = "Viral Kabar Facebook Bakal Diblokir 24 April Hoaks atau Fakta"
"""Kompas' article on the Facebook-block rumour (the sample's news), matched by its fact-checks."""


def _card_of(db, title: str):
    """The clarification card of the published item whose title is ``title`` (SQL LIKE)."""
    con = connect_snapshot(db)
    try:
        (item_id,) = con.execute("SELECT item_id FROM item_overview WHERE title LIKE ?", [title]).fetchone()
        return card_for_item(con, item_id)
    finally:
        con.close()


def _drawn_text(monkeypatch) -> list[str]:
    """The texts card_png draws from now on (it draws them as ever)."""
    from PIL import ImageDraw

    drawn: list[str] = []
    draw_text = ImageDraw.ImageDraw.text

    def text(self, xy, text, *args, **kwargs):
        drawn.append(text)
        return draw_text(self, xy, text, *args, **kwargs)

    monkeypatch.setattr(ImageDraw.ImageDraw, "text", text)
    return drawn

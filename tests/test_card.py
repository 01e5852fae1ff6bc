"""Clarification cards: WhatsApp text and a 1080 px PNG, for items and checks."""

import io

import duckdb
from PIL import Image

from saring.desk.card import NO_CLARIFICATION, SLOGAN, card_for_check, card_for_item, card_png, card_text
from saring.desk.check import FactCheck, run_check
from saring.storage.database import connect_snapshot


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

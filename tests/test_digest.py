"""The digest from a real ingested database: content, formats, health section."""

from datetime import date, timedelta

import pytest

from saring.config import DigestSettings, parse_config
from saring.pipeline.ingest import run_ingest
from saring.report.daily import make_digest
from saring.report.digest import (
    build_digest,
    excerpt,
    record_reported,
    render,
    risk_label,
    tanggal,
    today_wib,
)
from saring.storage.database import Store


@pytest.fixture()
def ingested(sample_site, sample_config, db_path, httpserver, scorer):
    httpserver.expect_request("/feed").respond_with_data("down", status=500)
    raw = {"sources": [s.model_dump() for s in sample_config.sources]
           + [{"id": "mati", "name": "Sumber Mati", "url": httpserver.url_for("/feed"),
               "options": {"allow_private": True}}],
           "settings": {"fetch": {"retries": 0}}}
    with Store(db_path) as store:
        run_ingest(parse_config(raw), store, scorer=scorer)  # the session's models: loading takes s
    return db_path


def test_digest_content_and_ranking(ingested):
    settings = DigestSettings(election_threshold=0.5)
    with Store(ingested) as store:
        d = build_digest(store.con, today_wib(), settings)
    assert d.items_seen >= 40 and d.unscored == 0
    titles = " ".join(i.title for i in d.election_items)
    assert "Bakohumas" in titles  # the two real local election articles
    scores = [i.hoax_score for i in d.election_items]
    assert scores == sorted(scores, reverse=True)
    assert all(i.election_score >= 0.5 for i in d.election_items)
    assert all(i.election_terms for i in d.election_items)
    failed = [h for h in d.health if h.status == "gagal"]
    assert [h.source_id for h in failed] == ["mati"] and "HTTP 500" in failed[0].detail


def test_whatsapp_and_html_render(ingested, tmp_path):
    d, paths = make_digest(ingested, today_wib(), DigestSettings(), tmp_path / "out")
    text, html = (p.read_text(encoding="utf-8") for p in paths[:2])
    assert [p.suffix for p in paths] == [".txt", ".html", ".md", ".txt", ".html"]
    assert text.startswith("*RINGKASAN HARIAN SARING*")
    assert "KESEHATAN SUMBER" in text and "Sumber Mati" in text
    assert "Saring sebelum Sharing" in text
    assert "<html lang=\"id\">" in html and "Kesehatan sumber" in html
    assert "http" not in html.split("<style>")[1].split("</style>")[0]  # no external assets
    for item in d.election_items:
        assert item.url in text


def test_html_escapes_titles(ingested, tmp_path):
    with Store(ingested) as store:
        store.con.execute("UPDATE articles SET title = '<script>alert(1)</script> KPU'")
        d = build_digest(store.con, today_wib(), DigestSettings())
    html = render(d, "html")
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_empty_day(ingested):
    with Store(ingested) as store:
        d = build_digest(store.con, today_wib() - timedelta(days=3), DigestSettings())
    assert d.items_seen == 0 and not d.election_items
    assert "Tidak ada berita terkait pemilu" in render(d, "whatsapp")


def test_helpers():
    assert tanggal(date(2026, 11, 25)) == "Rabu, 25 November 2026"
    s = DigestSettings(high=0.7, medium=0.4)
    assert [risk_label(x, s) for x in (0.9, 0.5, 0.1)] == ["tinggi", "sedang", "rendah"]
    assert excerpt("satu dua tiga empat", 10) == "satu dua…"


def test_reported_items_not_repeated_unless_score_moved(ingested, tmp_path):
    settings = DigestSettings(rereport_change=0.2)
    today = today_wib()
    with Store(ingested) as store:
        first = build_digest(store.con, today, settings)
        assert first.election_items and first.already_reported == 0
        target = first.election_items[0]
        # Pretend yesterday's digest already reported it with the same score: left out today.
        store.con.execute("INSERT INTO digest_items VALUES (?, ?, ?, 'x', now())",
                          [today - timedelta(days=1), target.item_id, target.hoax_score])
        again = build_digest(store.con, today, settings)
        assert target.item_id not in [i.item_id for i in again.election_items]
        assert again.already_reported == 1 and again.election_count == first.election_count
        # Its score moved by more than rereport_change since: it is back, with the old score shown.
        store.con.execute("UPDATE digest_items SET hoax_score = ? WHERE item_id = ?",
                          [abs(target.hoax_score - 0.5), target.item_id])
        back = build_digest(store.con, today, settings)
        moved = [i for i in back.election_items if i.item_id == target.item_id]
        assert moved and moved[0].previous_score is not None
        assert "skor berubah dari" in render(back, "whatsapp")
        # A later day shows it again only when the score moved (an earlier digest recorded it).
        record_reported(store.con, back)
        tomorrow = build_digest(store.con, today + timedelta(days=1), settings)
        assert tomorrow.items_seen == 0 and not tomorrow.election_items

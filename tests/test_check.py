"""saring check: scores with reasons, near-identical items, fact-checks, repeats — on the served sample."""

from pathlib import Path

import duckdb
import pytest
from _db import published_by_v11
from _net import FakeDNS, expired_certificate_site, pretend_public

from saring.desk.check import CheckError, analyse, fetch_text, run_check
from saring.storage.database import Store

REPO = Path(__file__).resolve().parent.parent


def _item(db_path, where="election_score >= 0.5"):
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute(
            f"SELECT item_id, title, text, url, source_name FROM item_overview WHERE {where} "
            "AND length(text) > 400 ORDER BY election_score DESC, item_id LIMIT 1"
        ).fetchone()
    finally:
        con.close()


def test_check_text_finds_the_seen_item_and_recognises_a_repeat(ingested, scorer):
    item_id, title, text, _, source_name = _item(ingested)
    forwarded = " ".join(text.split()[:60])  # a forwarded excerpt of an article saring has seen
    first = run_check(forwarded, ingested, scorer=scorer, by="rina")
    assert first.saved and not first.previous
    assert 0 <= first.hoax_score <= 1 and 0 <= first.election_score <= 1
    assert first.election_terms  # reasons are given
    assert first.similar and first.similar[0].item_id == item_id
    assert first.similar[0].source_name == source_name and first.similar[0].first_seen_at is not None
    assert first.seconds < 10

    again = run_check(forwarded.upper() + " !!", ingested, scorer=scorer, by="budi")
    assert [p.check_id for p in again.previous] == [first.check_id]
    assert again.previous[0].checked_by == "rina"
    con = duckdb.connect(str(ingested), read_only=True)
    assert con.execute("SELECT count(*), count(DISTINCT fingerprint) FROM checks").fetchone() == (2, 1)
    con.close()


def test_a_pasted_chain_message_is_stored_without_its_phone_number_and_a_repeat_is_still_known(
        ingested, scorer):
    # The demo chat's forward, pasted into saring check twice: the checks table (published to the
    # analysts' copy, never purged) kept "Hubungi 0812-0000-0009" as pasted.
    chat = (REPO / "sample" / "tipline" / "demo-chat.txt").read_text(encoding="utf-8").splitlines()
    forward = "\n".join(chat[5:7])
    assert "0812-0000-0009" in forward
    first = run_check(forward, ingested, scorer=scorer, by="rina")
    again = run_check(forward, ingested, scorer=scorer, by="budi")
    assert [p.check_id for p in again.previous] == [first.check_id]
    con = duckdb.connect(str(ingested), read_only=True)
    try:
        stored = con.execute("SELECT query, text FROM checks").fetchall()
    finally:
        con.close()
    assert len(stored) == 2 and all("[nomor disamarkan]" in q and "0812" not in q + t for q, t in stored)


def stored_reasons(db, check_id: str) -> list[str]:
    """The reasons stored with a check (the checks table is published to the analysts' copy)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT hoax_terms FROM checks WHERE check_id = ?", [check_id]).fetchone()[0]
    finally:
        con.close()


def test_a_reason_quoting_the_pasted_text_is_stored_without_its_e_mail_address(ingested, scorer):
    # The demo chat's forward as it reached a member, "Info dari <sender's address>: …": the
    # reason "sumber tidak jelas: 'Info dari rina@surel.example: …'" went into the checks table
    # (published, never purged) as quoted, though its text column was stored scrubbed.
    chat = (REPO / "sample" / "tipline" / "demo-chat.txt").read_text(encoding="utf-8").splitlines()
    forward = "Info dari rina@surel.example: " + "\n".join(chat[5:7])
    result = run_check(forward, ingested, scorer=scorer, by="rina")
    assert any("rina@surel.example" in term for term in result.hoax_terms)  # the member still sees it
    terms = stored_reasons(ingested, result.check_id)
    assert any("[email disamarkan]" in term for term in terms), terms
    assert not any("surel" in term for term in terms), terms


def test_factchecks_are_matched_when_the_table_exists(ingested, scorer):
    # A real fact-check article from the sample (Kompas: the Facebook-block rumour "dipastikan ... hoaks").
    _, title, text, url, _ = _item(ingested, "title ILIKE '%hoaks%'")
    from saring.collect.urls import url_key
    from saring.judge.factcheck import upsert_factchecks

    with Store(ingested) as store:
        upsert_factchecks(store.con, [dict(factcheck_id=url_key(url), source_id="kompas", url=url,
                                           title=title, verdict="Hoaks", text=text)])
        store.publish_snapshot()
    result = analyse(" ".join(text.split()[:50]), ingested, scorer)
    assert result.best_factcheck is not None
    assert result.best_factcheck.url == url and result.best_factcheck.verdict == "Hoaks"


def test_a_link_is_fetched_and_extracted_and_private_addresses_are_refused(ingested, scorer, monkeypatch):
    _, title, _, url, _ = _item(ingested)
    with pytest.raises(CheckError, match="tidak bisa dibuka"):
        analyse(url, ingested, scorer)  # the sample site is on 127.0.0.1: refused
    monkeypatch.setattr("saring.collect.urls.is_public", lambda address: True)  # pretend it is public
    result = analyse(url, ingested, scorer)
    assert result.url == url and result.title and len(result.text) > 200
    assert result.similar and result.similar[0].similarity > 0.9


def test_a_link_that_cannot_be_checked_says_why_in_indonesian(ingested, scorer, sample_site, monkeypatch):
    # Members paste a KPU decision (a PDF), a screenshot's link, a removed page, a mistyped site or
    # a router's address: the check box showed the fetcher's English for the maintainer ("no
    # article text found on the page", "server answered HTTP 404", "set options.allow_private
    # for this source if that is intended").
    from PIL import Image

    page = Image.new("RGB", (60, 40), "white")
    page.save(sample_site.root_dir / "keputusan-kpu.pdf")  # a real PDF (Pillow writes one)
    page.save(sample_site.root_dir / "tangkapan-layar.png")
    base = sample_site.base_url

    def why(link):
        with pytest.raises(CheckError) as refused:
            analyse(link, ingested, scorer)
        return str(refused.value)

    said = {"lokal": why(f"{base}/keputusan-kpu.pdf")}  # 127.0.0.1 is refused
    said["tidak dikenal"] = why("https://situs-yang-tidak-ada.invalid/berita")
    pretend_public(monkeypatch)
    said["PDF"] = why(f"{base}/keputusan-kpu.pdf")
    said["gambar"] = why(f"{base}/tangkapan-layar.png")
    said["tidak ditemukan"] = why(f"{base}/berita-yang-sudah-dihapus.html")
    for expected, message in said.items():
        assert expected in message, message
        assert message.startswith("tautan"), message
        for english in ("refused", "options.", "answered", "no article", "the page", "resolve"):
            assert english not in message, message


def test_a_link_to_a_site_whose_certificate_expired_says_so_not_try_again_later(tmp_path, monkeypatch):
    # A member pasted a link to a local news site whose certificate had expired: "situsnya tidak
    # menjawab ...; coba lagi nanti", though trying again later fails the same way.
    pretend_public(monkeypatch)
    with expired_certificate_site(tmp_path, monkeypatch) as (port, _), pytest.raises(CheckError) as refused:
        fetch_text(f"https://127.0.0.1:{port}/berita")
    assert "sertifikat" in str(refused.value) and "coba lagi nanti" not in str(refused.value), refused.value


CONTACT_LINKS = ["https://wa.me/6281300000019", "https://wa.me/6281300000019?text=halo",
                 "https://api.whatsapp.com/send?phone=6281300000025", "https://t.me/+6281300000026",
                 "https://chat.whatsapp.com/AbCdEfGhIjK"]


@pytest.mark.parametrize("link", CONTACT_LINKS)
def test_a_pasted_contact_link_is_never_fetched_and_the_member_is_told_why(tmp_path, scorer, monkeypatch,
                                                                            link):
    # A member pasted a chain message's "hubungi wa.me/62813…" into saring check: saring
    # downloaded it, telling WhatsApp (or Telegram) that this number was being looked at, which
    # the tipline never does with the same link. The name is not even looked up now.
    from typer.testing import CliRunner

    from saring.cli.main import app

    dns = FakeDNS({})
    monkeypatch.setattr("saring.collect.urls.system_resolver", dns)
    with pytest.raises(CheckError) as refused:
        analyse(link, tmp_path / "saring.duckdb", scorer)
    assert "tautan kontak" in str(refused.value) and "Tempel teks pesannya" in str(refused.value)
    shell = CliRunner().invoke(app, ["check", link, "--db", str(tmp_path / "saring.duckdb")])
    assert shell.exit_code != 0 and "tautan kontak" in shell.output, shell.output
    assert dns.asked == [], dns.asked
    assert not (tmp_path / "saring.duckdb").exists()  # nothing stored


def test_a_pasted_short_link_that_leads_to_a_contact_link_is_not_followed_there(tmp_path, scorer, monkeypatch,
                                                                                 httpserver):
    # Chain messages hide "hubungi admin" behind a short link (s.id/…, bit.ly/…) that redirects
    # to wa.me/62813…: saring followed the redirect and asked WhatsApp for that number.
    pretend_public(monkeypatch)  # the test server plays the public link shortener
    dns = FakeDNS({})
    monkeypatch.setattr("saring.collect.urls.system_resolver", dns)
    httpserver.expect_request("/daftar-kpps").respond_with_data(
        "", status=302, headers={"Location": "https://wa.me/6281300000019?text=daftar"})
    with pytest.raises(CheckError) as refused:
        analyse(f"http://127.0.0.1:{httpserver.port}/daftar-kpps", tmp_path / "saring.duckdb", scorer)
    assert "tautan kontak" in str(refused.value), refused.value
    assert "6281300000019" not in str(refused.value)
    assert "wa.me" not in dns.asked, dns.asked
    assert [r.path for r, _ in httpserver.log] == ["/daftar-kpps"]


def _kpps_page(httpserver, monkeypatch) -> str:
    """The test server playing a public news site with one article at /daftar; returns its base."""
    pretend_public(monkeypatch)
    page = ("<html><head><title>Pendaftaran KPPS</title></head><body><article><p>"
            + "Pendaftaran anggota KPPS dibuka di kantor kelurahan sampai akhir pekan. " * 8
            + "</p></article></body></html>")
    httpserver.expect_request("/daftar").respond_with_data(page, content_type="text/html")
    return f"http://127.0.0.1:{httpserver.port}"


def test_a_pasted_link_never_sends_a_number_in_it_to_the_site(tmp_path, scorer, monkeypatch, httpserver):
    # A member pasted a registration link carrying someone's number ("…?hp=0813…", "…/daftar/0813…"):
    # saring check opened it as pasted and sent the number to that site, where the tipline drops
    # such a parameter and never opens a link with a number in its path.
    base = _kpps_page(httpserver, monkeypatch)
    result = analyse(f"{base}/daftar?hp=081300000052&tps=07", tmp_path / "saring.duckdb", scorer)
    assert result.title == "Pendaftaran KPPS"
    assert [(r.path, r.query_string) for r, _ in httpserver.log] == [("/daftar", b"tps=07")]
    with pytest.raises(CheckError) as refused:
        analyse(f"{base}/daftar/081300000053", tmp_path / "saring.duckdb", scorer)
    assert "Tempel teks pesannya" in str(refused.value), refused.value
    assert "081300000053" not in str(refused.value)
    assert len(httpserver.log) == 1  # the second link was never opened


def test_a_reason_quoting_a_phone_number_cut_short_is_stored_without_its_digits(ingested, scorer):
    # A reason quotes at most five words of the pasted message ("…: 'Sebarkan, hubungi +62 813 0000…'"):
    # the cut number was no longer a whole one to the scrubber, and its first nine digits stayed in
    # the checks table (published to the analysts' copy, never purged).
    pasted = "Sebarkan, hubungi +62 813 0000 0016 sebelum terlambat"  # the number of the fixture chat
    result = run_check(pasted, ingested, scorer=scorer, by="rina")
    assert any("+62 813 0000…" in term for term in result.hoax_terms), result.hoax_terms  # shown as pasted
    terms = stored_reasons(ingested, result.check_id)
    assert any("[nomor disamarkan]…" in term for term in terms), terms
    assert not any("813" in term for term in terms), terms


def test_a_link_too_long_to_open_is_named_by_its_start_not_echoed_whole(tmp_path, monkeypatch):
    # A link pasted with a megabyte of tracking data glued to it, to a site that does not answer:
    # saring check printed the whole link back in "tautan <link> tidak bisa dibuka" (a megabyte in
    # the terminal; on the desk the error box repeated it under the text box).
    from typer.testing import CliRunner

    from saring.cli.main import app

    monkeypatch.setattr("saring.collect.urls.system_resolver", FakeDNS({}))
    link = "https://situs-yang-tidak-ada.example/berita?utm=" + "x" * 1_000_000
    with pytest.raises(CheckError) as refused:
        fetch_text(link)
    said = str(refused.value)
    assert said.startswith(f"tautan {link[:80]}… tidak bisa dibuka: nama situsnya tidak dikenal"), said[:300]
    assert len(said) < 300, len(said)
    shell = CliRunner().invoke(app, ["check", link, "--db", str(tmp_path / "saring.duckdb")])
    assert shell.exit_code != 0 and "tidak bisa dibuka" in shell.output, shell.output[:300]
    assert len(shell.output) < 1000, len(shell.output)


def test_empty_input_is_refused(ingested, scorer):
    with pytest.raises(CheckError):
        run_check("   ", ingested, scorer=scorer)


@pytest.mark.parametrize("mark", ["\u200e", "\u200b", "\ufeff", "\u2068"])
def test_a_link_pasted_with_an_invisible_mark_around_it_is_opened_as_a_link(tmp_path, scorer, monkeypatch,
                                                                             httpserver, mark):
    # A link copied from an iPhone's WhatsApp comes with a left-to-right mark (U+200E) in front, one
    # from a keyboard or a Windows note with a zero-width space or a BOM: saring check scored the
    # bare address as a forwarded message ("Risiko hoaks: tinggi") and never opened the page.
    link = f"{_kpps_page(httpserver, monkeypatch)}/daftar"
    result = analyse(f"{mark}{link}{mark}\n", tmp_path / "saring.duckdb", scorer)
    assert result.url == link and result.title == "Pendaftaran KPPS", (result.url, result.text[:80])
    assert [r.path for r, _ in httpserver.log] == ["/daftar"]


@pytest.mark.parametrize("link", ["https://[tautan]", "https://[tautan]/daftar-pemilih", "https://kpu.go.id]/pengumuman",
                                  "http://[2001:db8::1/berita"])
def test_a_link_with_a_bracket_in_its_site_name_says_it_is_broken_not_a_crash(tmp_path, link):
    # A chain message's placeholder ("https://[tautan]") or a link copied with a stray bracket,
    # pasted alone: saring check ended in a Python traceback ("ValueError: Invalid IPv6 URL") and
    # the desk's check box answered "Internal Server Error".
    from typer.testing import CliRunner

    from saring.cli.main import app

    with pytest.raises(CheckError, match="tautan") as refused:
        analyse(link, tmp_path / "saring.duckdb")
    assert "IPv6" not in str(refused.value)
    shell = CliRunner().invoke(app, ["check", link, "--db", str(tmp_path / "saring.duckdb")])
    assert shell.exit_code != 0 and "rusak" in shell.output and "Traceback" not in shell.output, shell.output
    assert not (tmp_path / "saring.duckdb").exists()  # nothing stored


def test_a_pasted_message_with_a_bracketed_link_in_it_is_checked_not_a_crash(ingested, scorer):
    # A forward whose link is a placeholder ("https://[tautan]") or lost a bracket when copied:
    # scoring it read each link's site with urlsplit, which raised "ValueError: Invalid IPv6 URL",
    # so saring check ended in a traceback and the desk's check box in "Internal Server Error".
    for pasted in ("Pendaftaran KPPS dibuka, formulirnya di https://[tautan] sampai Jumat",
                   "Pendaftaran KPPS dibuka, formulirnya di http://[2001:db8::1/daftar sampai Jumat"):
        result = run_check(pasted, ingested, scorer=scorer, by="rina")
        assert result.saved and 0 <= result.hoax_score <= 1, pasted


@pytest.mark.parametrize("pasted", ["- KPU Kota Batu memindahkan TPS 7\n- tanpa pemberitahuan",
                                    "-Pendaftaran KPPS dibuka sampai Jumat"])
def test_saring_check_of_a_message_that_starts_with_a_dash_checks_it(tmp_path, pasted):
    # A forward written as a list ("- KPU Kota Batu ...", WhatsApp's usual bullet) pasted into
    # `saring check "..."`: the member read "No such option: - " and nothing was checked.
    from typer.testing import CliRunner

    from saring.cli.main import app

    shell = CliRunner().invoke(app, ["check", pasted, "--db", str(tmp_path / "saring.duckdb"), "--no-save"])
    assert shell.exit_code == 0, shell.output
    assert "Risiko hoaks" in shell.output and "No such option" not in shell.output


def test_a_message_of_invisible_characters_only_is_refused_as_empty(tmp_path, scorer):
    # A member's phone pasted only direction marks and zero-width spaces: saring stored it as a
    # check of its own, with a score, as if a message had been checked.
    with pytest.raises(CheckError, match="tidak ada teks"):
        run_check("\u200e\u200b \u2069\n", tmp_path / "saring.duckdb", scorer=scorer)
    assert not (tmp_path / "saring.duckdb").exists()  # nothing stored


def test_a_pasted_message_shows_the_stored_pages_its_links_point_at(ingested, scorer):
    """ "Tolong dicek <link>" says little by itself: the check shows the linked article saring
    already read, with that article's own risk (as the digest does under a forwarded message)."""
    item_id, title, _, url, source_name = _item(ingested)
    with Store(ingested) as store:
        (own,) = store.con.execute("SELECT hoax_score FROM item_overview WHERE item_id = ?",
                                   [item_id]).fetchone()
        outlets = store.outlet_hosts()
    message = f"Tolong dicek ini benar atau tidak {url} makasih"
    result = analyse(message, ingested, scorer)
    assert [(p["title"], p["source"], p["hoax_score"]) for p in result.linked] == [(title, source_name, own)]
    # Without a reason of its own the message takes that article's risk (as in the digest).
    alone = scorer.with_outlets(outlets).score([f"\n{message}"])[0]
    assert not alone.hoax_terms
    assert result.hoax_score == own and result.hoax_terms[0].startswith("hanya meneruskan tautan")
    assert analyse("Tolong dicek https://situs-lain.example/berita/1", ingested, scorer).linked == []


def test_a_pasted_message_whose_link_saring_has_not_read_says_so(ingested, scorer):
    """A news link saring has not stored: the message's own few words are all it scored, and the
    check says that the page is not in its score (as the digest does)."""
    from saring.judge.classifier.evidence import LINK_UNREAD_REASON

    message = "Tolong dicek ini benar atau tidak https://www.kompas.com/tren/read/2023/10/12/berita makasih"
    alone = scorer.score([f"\n{message}"])[0]
    assert not alone.hoax_terms  # no reason of its own
    result = analyse(message, ingested, scorer)
    assert result.linked == [] and result.hoax_terms == [LINK_UNREAD_REASON]
    assert result.hoax_score == pytest.approx(alone.hoax_score)  # its own score stands


def test_a_check_uses_the_forums_risk_bands_for_its_factcheck_floor(ingested, scorer):
    # The viral post as the demo's fact-check quotes it ([HOAKS] Facebook akan ditutup di Indonesia).
    # A forum whose digest reads "tinggi" from 0.85 must get the floor placed by its own bands.
    from saring.config import DigestSettings
    from saring.judge.classifier.evidence import floor_for

    post = "FB Indonesia Akan Dimatikan. 24 April 2018 Pukul 00.00 WIB."
    forum = DigestSettings(high=0.85, medium=0.5)
    default = analyse(post, ingested, scorer)
    checked = analyse(post, ingested, scorer, bands=forum)
    best = checked.best_factcheck
    assert best is not None and "Facebook" in best.title
    floor = floor_for(best.similarity, best.verdict, forum.high, forum.medium)
    assert checked.hoax_score == pytest.approx(floor) and floor > default.hoax_score


def test_messages_without_latin_words_are_not_taken_for_each_other(ingested, scorer):
    # A greeting in Arabic script and an emoji-only forward have no Latin words: they all had the
    # same fingerprint, so the second one was shown as "already checked by rina" though it is a
    # different message. The same text checked again is still recognised.
    first = run_check("السلام عليكم ورحمة الله", ingested, scorer=scorer, by="rina")
    other = run_check("بسم الله الرحمن الرحيم", ingested, scorer=scorer, by="budi")
    emoji = run_check("🙏🙏🙏", ingested, scorer=scorer, by="budi")
    assert first.saved and not other.previous and not emoji.previous
    again = run_check("السلام عليكم   ورحمة الله", ingested, scorer=scorer, by="budi")
    assert [p.check_id for p in again.previous] == [first.check_id]


def test_saring_check_of_a_makassar_forum_says_its_times_in_wita(ingested, tmp_path):
    # A Makassar forum (schedule.timezone: WITA) checked a forward in the terminal: "Sudah pernah
    # dicek pada … WIB" and "pertama terlihat …" were Jakarta's times, an hour off its own clock;
    # and numeric dates, where the desk and the digest write the month's name.
    import re
    from zoneinfo import ZoneInfo

    import yaml
    from typer.testing import CliRunner

    from saring.cli.main import app
    from saring.localtime import HARI

    wita = ZoneInfo("Asia/Makassar")
    item_id, _, text, _, _ = _item(ingested)
    forwarded = " ".join(text.split()[:60])
    sources = tmp_path / "sources.yaml"
    sources.write_text(yaml.safe_dump({
        "sources": [{"id": "fajar", "name": "Fajar", "url": "https://fajar.example/feed"}],
        "settings": {"schedule": {"timezone": "WITA"}}}), encoding="utf-8")
    args = ["check", forwarded, "--db", str(ingested), "--sources", str(sources), "--by", "rina"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    again = CliRunner().invoke(app, args, env={"COLUMNS": "300"})
    assert again.exit_code == 0, again.output
    con = duckdb.connect(str(ingested), read_only=True)
    checked = con.execute("SELECT min(checked_at) FROM checks").fetchone()[0]
    seen = con.execute("SELECT coalesce(published_at, first_seen_at) FROM item_overview WHERE item_id = ?",
                       [item_id]).fetchone()[0]  # dated as the digest dates it
    con.close()
    # Dated as the desk and the digest date things ("Sabtu, 28 November 2026, 07.34 WITA"), not
    # "2026-11-28 07:34 WITA".
    day = f"{HARI[checked.astimezone(wita).weekday()]}, {checked.astimezone(wita).day} "
    assert f"Sudah pernah dicek pada {day}" in again.output, again.output
    assert f"{checked.astimezone(wita):%H.%M} WITA" in again.output, again.output
    assert f"pertama terlihat {HARI[seen.astimezone(wita).weekday()]}, " in again.output, again.output
    assert f"{seen.astimezone(wita):%H.%M} WITA" in again.output, again.output
    assert "WIB" not in again.output and not re.search(r"\d{4}-\d\d-\d\d", again.output), again.output


def test_a_check_names_a_fact_check_once_and_its_verdict_once(ingested, scorer, tmp_path):
    # The digest was fixed for both; `saring check` and the desk still printed
    # "HOAKS: [HOAKS] Facebook akan ditutup di Indonesia", and twice when the fact-checker's feed
    # had moved to https (its older entries stay stored under http).
    from typer.testing import CliRunner

    from saring.cli.main import app
    from saring.collect.urls import url_key
    from saring.judge.factcheck import upsert_factchecks

    with Store(ingested) as store:
        rows = store.con.execute("SELECT source_id, url, title, text FROM factchecks").fetchall()
        upsert_factchecks(store.con, [dict(factcheck_id=url_key(u.replace("http://", "https://")),
                                           source_id=s, url=u.replace("http://", "https://"), title=t, text=x)
                                      for s, u, t, x in rows])
        store.publish_snapshot()
    source, url, title, text = next(r for r in rows if r[2].startswith("[HOAKS]"))
    message = " ".join((title + " " + text).split()[:40])
    result = analyse(message, ingested, scorer)
    pages = [f.url.split("://", 1)[1] for f in result.factchecks]
    assert pages and len(pages) == len(set(pages)), pages
    assert all(f.label is None for f in result.factchecks if f.title.startswith("[HOAKS]"))
    shown = CliRunner().invoke(app, ["check", message, "--db", str(ingested)], env={"COLUMNS": "300"})
    assert shown.exit_code == 0, shown.output
    lines = [ln for ln in shown.output.splitlines() if title in ln and "kemiripan" in ln]
    assert len(lines) == 1 and lines[0].upper().count("HOAKS") == title.upper().count("HOAKS"), lines


def test_a_check_without_a_readable_database_says_so_in_indonesian_and_logs_the_reason(tmp_path, scorer,
                                                                                        caplog):
    # `saring check --db` pointed at a DuckDB file that is no saring database (or a fresh install
    # before the first ingest): the member read "database belum bisa dibaca (cannot read the
    # database /srv/...: Catalog Error: Table with name schema_version does not exist! ...)".
    import logging

    other = tmp_path / "lain.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE catatan (isi VARCHAR)")
    with caplog.at_level(logging.WARNING, logger="saring.desk.check"):
        result = analyse("Surat suara katanya sudah dicoblos sebelum hari H", other, scorer)
    assert result.note and "belum bisa dibaca" in result.note
    for english in ("Catalog Error", "cannot read", str(tmp_path)):
        assert english not in result.note, result.note
    assert "not a saring database" in caplog.text and str(other) in caplog.text  # the maintainer's reason


def test_a_check_not_stored_while_a_run_holds_the_database_says_why_in_indonesian(ingested, scorer, caplog):
    # The hourly ingest held the database while a member checked a forward: the note read
    # "hasil belum tersimpan: the database /srv/... is in use by another saring process (a flow is
    # running?); analysts should use `saring query` ...".
    import logging
    import subprocess
    import sys
    import textwrap

    from saring.desk.check import save_check

    result = analyse("Surat suara katanya sudah dicoblos sebelum hari H", ingested, scorer)
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys
        from saring.storage.database import Store
        with Store({str(ingested)!r}):
            print("held", flush=True)
            sys.stdin.readline()
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held", holder.stderr.read()
        with caplog.at_level(logging.WARNING, logger="saring.desk.check"):
            save_check(ingested, result, lock_wait=0)
    finally:
        holder.communicate("\n", timeout=60)
    assert not result.saved and "belum tersimpan" in result.note
    for english in ("in use", "analysts", "saring query", str(ingested)):
        assert english not in result.note, result.note
    assert "in use" in caplog.text  # the maintainer's reason


@pytest.mark.parametrize("pasted, gone", [
    ("Sebarkan, cek NIK 3579 0112 0890 0002 kamu sebelum terlambat", ["3579", "0112"]),
    ("Sebarkan, surel rina (at) surel (dot) example sebelum terlambat", ["rina", "surel (at)", "(at) surel"]),
])
def test_a_reason_quoting_a_nik_or_e_mail_address_cut_short_is_stored_without_it(ingested, scorer, pasted,
                                                                                  gone):
    # As a cut phone number: the five-word quote ends inside the NIK ("cek NIK 3579 0112…") or the
    # e-mail address ("rina (at) surel…"); the cut part was no whole NIK or address to the scrubber,
    # and its digits, name and provider stayed in the checks table and the analysts' copy.
    result = run_check(pasted, ingested, scorer=scorer, by="rina")
    terms = stored_reasons(ingested, result.check_id)
    assert any("…" in term for term in result.hoax_terms), result.hoax_terms  # a quote cut short
    assert not any(part in term for term in terms for part in gone), terms


def applied(db) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT max(version) FROM schema_version").fetchone()[0]
    finally:
        con.close()


def test_the_first_check_after_an_upgrade_finds_the_seen_item_and_its_fact_check(ingested, scorer):
    # The forum upgraded saring in the morning, before the next hourly ingest: the first
    # `saring check` read "data saring belum bisa dibaca (misalnya pengambilan berita pertama belum
    # berjalan)", found no similar item nor fact-check, and then upgraded the file to save itself.
    from saring.collect.urls import url_key
    from saring.judge.factcheck import upsert_factchecks
    from saring.storage.schema import SCHEMA_VERSION

    _, title, text, url, _ = _item(ingested, "title ILIKE '%hoaks%'")
    with Store(ingested) as store:
        upsert_factchecks(store.con, [dict(factcheck_id=url_key(url), source_id="kompas", url=url,
                                           title=title, verdict="Hoaks", text=text)])
    published_by_v11(ingested)
    result = run_check(" ".join(text.split()[:50]), ingested, scorer=scorer, by="rina")
    assert result.saved and result.note is None, result.note
    assert result.similar and result.best_factcheck is not None and result.best_factcheck.url == url
    assert applied(ingested) == SCHEMA_VERSION


def test_a_check_without_saving_right_after_an_upgrade_says_the_data_is_being_updated(ingested, scorer):
    # `saring check --no-save` never writes: right after an upgrade it cannot search the older
    # analysts' copy, and told the member the first news fetch had not run yet.
    published_by_v11(ingested)
    message = "Surat suara katanya sudah dicoblos sebelum hari H"
    result = run_check(message, ingested, scorer=scorer, save=False)
    assert not result.saved and not result.similar
    assert "versi saring yang baru" in result.note and "pengambilan berita berikutnya" in result.note
    assert "pertama belum berjalan" not in result.note, result.note
    assert applied(ingested) == 11  # read-only: the next run upgrades it


def test_saring_check_of_a_reply_with_no_claim_says_so_not_a_hoax_risk_of_0(ingested):
    # A member ran `saring check` on the sample chat's "Siap, terima kasih @Budi Santoso": it
    # printed "Risiko hoaks: 0%  (alasan: -)", as if a claim had been weighed and found low.
    from typer.testing import CliRunner

    from saring.cli.main import app

    chat = (REPO / "sample" / "tipline" / "demo-chat.txt").read_text(encoding="utf-8")
    reply = next(line.split(": ", 1)[1] for line in chat.splitlines() if ": Siap, terima kasih" in line)
    args = ["check", reply, "--db", str(ingested), "--no-save"]
    shown = CliRunner().invoke(app, args, env={"COLUMNS": "300"})
    assert shown.exit_code == 0, shown.output
    assert "Risiko hoaks: 0%" not in shown.output and "alasan: -" not in shown.output, shown.output
    assert "tidak memuat klaim" in shown.output, shown.output
    json_out = CliRunner().invoke(app, [*args, "--json"])
    assert '"hoax_score": 0.0' in json_out.output  # the machine-readable result is unchanged


@pytest.mark.parametrize("label", ["HOAKS", "PENIPUAN", "FITNAH"])
def test_a_member_passing_on_a_fact_check_is_not_taken_for_the_hoax_it_debunks(ingested, scorer, label):
    # Members paste the fact-checker's own post (its title and link) to share the debunk. "[HOAKS] ..."
    # read as a clarification, but TurnBackHoax's "[PENIPUAN] ..." and "[FITNAH] ..." did not: the
    # debunk matched its fact-check and got its risk floor, as if it were the scam or slander itself.
    from saring.judge.factcheck import upsert_factchecks

    with Store(ingested) as store:
        (fid, source_id, url, title, text), = store.con.execute(
            "SELECT factcheck_id, source_id, url, title, text FROM factchecks "
            "WHERE title LIKE '%lele mengandung%'").fetchall()
        title = title.replace("[HOAKS]", f"[{label}]")
        upsert_factchecks(store.con, [dict(factcheck_id=fid, source_id=source_id, url=url, title=title,
                                           text=text)])
        store.publish_snapshot()
    result = analyse(f"{title}\n{url}", ingested, scorer)
    assert result.best_factcheck is not None and result.best_factcheck.verdict == label
    assert not any(reason.startswith("cocok dengan cek fakta") for reason in result.hoax_terms)


def test_a_forward_seen_in_the_tipline_is_first_seen_when_it_was_sent_not_when_the_chat_was_imported(
        ingested, sample_site, tmp_path):
    # The demo chat's chain message was sent on 12 Oct 2023 (as the digest dates it), but 'saring
    # check' and the desk's check page said "pertama terlihat <today>", when the export was imported:
    # members read it as the rumour having just appeared.
    import re

    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from saring.cli.main import app
    from saring.desk.app import create_app
    from saring.desk.auth import add_user
    from saring.pipeline.demo import demo_chat, import_demo_chat

    import_demo_chat(ingested, demo_chat(sample_site.base_url, tmp_path / "chat.txt"))
    chat = (REPO / "sample" / "tipline" / "demo-chat.txt").read_text(encoding="utf-8").splitlines()
    forward = "\n".join(chat[5:7])  # its text, as a member pastes it again
    sent = "pertama terlihat Kamis, 12 Oktober 2023, 08.17 WIB"
    checked = CliRunner().invoke(app, ["check", forward, "--db", str(ingested), "--no-save"],
                                 env={"COLUMNS": "300"})
    assert checked.exit_code == 0, checked.output
    similar = checked.output.split("Berita serupa yang sudah terlihat:", 1)[1]
    assert sent in similar, checked.output
    add_user(ingested, "rina", "kata-sandi-rahasia")
    client = TestClient(create_app(ingested, secret_key="k"))
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"csrf": token, "name": "rina", "password": "kata-sandi-rahasia",
                                "next": "/"}, follow_redirects=False)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/check").text).group(1)
    page = client.post("/check", data={"csrf": token, "q": forward}).text
    assert sent in re.search(r'<ul class="plain" id="similar">.*?</ul>', page, re.S).group(0), page[-4000:]

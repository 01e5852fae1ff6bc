"""Tipline: WhatsApp exports (Android/iOS, ID/EN), pseudonymisation, idempotent import, purge."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import stat
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from _net import FakeDNS

from saring.collect.tipline import (
    TiplineError,
    find_urls,
    import_chat,
    load_secret,
    parse_chat,
    pseudonym,
    purge,
    scrub,
)
from saring.storage.database import Store

SOCIAL = Path(__file__).parent / "fixtures" / "social"
ANDROID_ID = SOCIAL / "WhatsApp Chat dengan Bakohumas Kota Batu.txt"
IOS_EN = SOCIAL / "WhatsApp Chat - Bakohumas Demo (iOS, English).txt"
IOS_ID = SOCIAL / "WhatsApp Chat - Bakohumas (iOS, Indonesia).txt"
SECRET = b"test-secret-0123456789abcdef"
# Any Indonesian mobile number, with or without separators or country code.
PHONE_DIGITS = re.compile(r"(?:\+?62|0)\s?8\d{2}[\s.-]?\d{4}[\s.-]?\d{3,4}")


def test_android_indonesian_export():
    messages = parse_chat(ANDROID_ID.read_text(encoding="utf-8"))
    kinds = [m.kind for m in messages]
    assert kinds.count("system") == 4 and kinds.count("media") == 1 and kinds.count("deleted") == 1
    forwarded = messages[4]
    assert forwarded.sender == "+62 812-0000-0002"
    assert forwarded.sent_at == datetime(2023, 10, 12, 1, 17, tzinfo=UTC)  # 08.17 WIB
    assert forwarded.text.count("\n") == 2 and forwarded.text.endswith("Sebarkan ke semua grup!")


def test_ios_english_export_with_am_pm_and_multiline():
    messages = parse_chat(IOS_EN.read_text(encoding="utf-8"))
    assert [m.kind for m in messages] == ["system", "system", "text", "media", "text", "text", "deleted"]
    link = messages[4]
    assert link.sent_at == datetime(2023, 10, 12, 6, 5, 33, tzinfo=UTC)  # 1:05:33 PM WIB, month first
    assert link.text == "Source: https://bit.example/tps-pindah\nask +62 812-0000-0008 for details"


def test_ios_indonesian_export_with_dots():
    messages = parse_chat(IOS_ID.read_text(encoding="utf-8"))
    assert [m.kind for m in messages] == ["text", "media", "text"]
    assert messages[2].sent_at == datetime(2023, 10, 13, 14, 15, tzinfo=UTC)


def test_export_time_zone_may_be_given_as_wita_and_an_unknown_one_is_a_clear_error():
    # A forum in Makassar exports on a WITA phone and types the zone as it is said: --tz WITA.
    text = ANDROID_ID.read_text(encoding="utf-8")
    forwarded = [m for m in parse_chat(text, tz="WITA") if m.text.startswith("*Diteruskan*")][0]
    assert forwarded.sent_at == datetime(2023, 10, 12, 0, 17, tzinfo=UTC)  # 08.17 WITA
    assert parse_chat(text, tz="wit")[0].sent_at == datetime(2023, 10, 11, 23, 0, tzinfo=UTC)
    with pytest.raises(TiplineError, match="Makasar.*Asia/Makassar"):
        parse_chat(text, tz="Makasar")


def test_not_a_chat_export():
    with pytest.raises(TiplineError, match="does not look like a WhatsApp chat export"):
        parse_chat("hello\nworld\n")


def test_urls_and_scrubbing():
    text = "Cek wa.me/6281200000007 dan www.kpu.example/p, https://x.example/a?b=1. Hubungi 0812 0000 0009"
    assert find_urls(text) == ["https://www.kpu.example/p", "https://x.example/a?b=1"]
    clean = scrub(text + " — kata Budi Santoso", ["Budi Santoso"], SECRET)
    assert not PHONE_DIGITS.search(clean) and "6281200000007" not in clean and "Budi" not in clean
    assert "https://x.example/a?b=1" in clean and "tgl 12/10/2023" in scrub("tgl 12/10/2023", [])
    assert pseudonym("+62 812-0000-0001", SECRET) == pseudonym("081200000001", SECRET)
    assert pseudonym("Budi Santoso", SECRET) != pseudonym("Budi Santoso", b"another-secret-value")


def _all_text(con: duckdb.DuckDBPyConnection) -> str:
    parts = []
    for (table,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall():
        for row in con.execute(f'SELECT * FROM "{table}"').fetchall():
            parts.extend(str(v) for v in row)
    return "\n".join(parts)


def _migrated(path):
    """A connection to a new database file with saring's schema (the migrations create the tables)."""
    Store(path, lock_wait=0).close()
    return duckdb.connect(str(path))


def test_import_keeps_rumours_pseudonymises_and_is_idempotent(tmp_path):
    con = _migrated(tmp_path / "saring.duckdb")
    result = import_chat(con, ANDROID_ID, SECRET)
    assert (result.kept, result.skipped) == (4, 8)
    assert result.urls == ["https://malangpost.example/2023/10/12/kpu-kota-batu-bantah-surat-suara-tercoblos/",
                           "https://www.kpu-batukota.example.id/pengumuman"]
    reasons = sorted(r for (r,) in con.execute("SELECT reason FROM tipline_messages").fetchall())
    assert reasons == ["forwarded", "link", "link", "long"]
    assert con.execute("SELECT DISTINCT chat FROM tipline_messages").fetchall() == [("Bakohumas Kota Batu",)]
    again = import_chat(con, ANDROID_ID, SECRET)
    assert again.kept == 4 and again.new == 0
    assert con.execute("SELECT count(*) FROM tipline_messages").fetchone()[0] == 4
    for path in (IOS_EN, IOS_ID):
        import_chat(con, path, SECRET)
    everything = _all_text(con)
    assert not PHONE_DIGITS.search(everything), "a phone number reached the database"
    assert not re.search(r"8120000\d{3}|0000-000\d", everything)
    for name in ("Budi", "Santoso", "Sri Wahyuni", "Rina", "Andi Pratama"):
        assert name not in everything
    assert "[nomor disamarkan]" in everything


def test_an_import_looks_for_links_only_in_the_messages_of_members_it_could_keep(tmp_path, monkeypatch):
    # A year's export of a busy group is mostly system lines, media and deleted messages, which are
    # never kept: scrubbing their links (the slowest part of an import) only made it slower.
    from saring.collect.scrub import Scrubber

    looked: list[str | None] = []
    links = Scrubber.links
    monkeypatch.setattr(Scrubber, "links", lambda self, text: looked.append(text) or links(self, text))
    con = _migrated(tmp_path / "saring.duckdb")
    result = import_chat(con, ANDROID_ID, SECRET)
    members = [m.text for m in parse_chat(ANDROID_ID.read_text(encoding="utf-8"))
               if m.kind == "text" and m.sender is not None]
    assert looked == members and (result.kept, result.skipped) == (4, 8)


def test_the_links_of_an_import_are_each_listed_once_in_the_order_the_chat_first_shares_them(tmp_path):
    # Members share the same article again and again over a year: the fetch pipeline gets each
    # link once, first mention first, whatever the chat's length.
    news = "https://malangpost.example/2023/10/12/kpu-kota-batu-bantah-surat-suara-tercoblos/"
    release = "https://kpu-batukota.example.id/berita/klarifikasi-surat-suara"
    again = (f"13/10/23, 09.00 - Sri Wahyuni: Sudah dicek www.kpu-batukota.example.id/pengumuman {news}\n"
             f"13/10/23, 09.01 - Budi Santoso: Rilisnya {release} (lagi: {release}) dan {news}\n")
    chat = tmp_path / ANDROID_ID.name
    chat.write_text(ANDROID_ID.read_text(encoding="utf-8") + again, encoding="utf-8")
    con = _migrated(tmp_path / "saring.duckdb")
    result = import_chat(con, chat, SECRET)
    listed = [news, "https://www.kpu-batukota.example.id/pengumuman", release]
    assert result.kept == 6 and result.urls == listed and result.new_urls == listed


def test_a_later_export_after_a_new_member_joined_adds_no_duplicates_and_keeps_purged_text_out(tmp_path):
    # The admin exports the whole group again a week later; meanwhile a second "Bambang" joined, so
    # the old message's "pak bambang" is now masked as a shared name ([anggota]), not as one member.
    hostile = SOCIAL / "WhatsApp Chat dengan Relawan Pantau TPS.txt"
    later = tmp_path / hostile.name
    joined = b"19/04/24, 09.00 - Agustina Maharani menambahkan Bambang Wijaya\n"
    later.write_bytes(hostile.read_bytes() + joined)
    con = _migrated(tmp_path / "saring.duckdb")
    first = import_chat(con, hostile, SECRET)
    assert first.new == first.kept > 0
    assert purge(con, 30, now=datetime.now(UTC) + timedelta(days=31)) == first.kept
    again = import_chat(con, later, SECRET)
    assert again.kept == first.kept and again.new == 0
    assert con.execute("SELECT count(*) FROM tipline_messages").fetchone()[0] == first.kept
    assert con.execute("SELECT count(*) FROM tipline_messages WHERE text IS NOT NULL").fetchone()[0] == 0


def test_an_export_saved_again_by_notepad_as_unicode_is_imported_as_the_original(tmp_path):
    # A maintainer who opened the export in Windows' Notepad and saved it as "Unicode" (UTF-16 with
    # a byte-order mark) was told it "does not look like a WhatsApp chat export".
    saved = tmp_path / ANDROID_ID.name
    saved.write_bytes(ANDROID_ID.read_text(encoding="utf-8").encode("utf-16"))
    con = _migrated(tmp_path / "saring.duckdb")
    result = import_chat(con, saved, SECRET)
    assert (result.kept, result.skipped) == (4, 8)
    assert import_chat(con, ANDROID_ID, SECRET).new == 0  # the same messages as the original's


def test_an_export_saved_again_by_notepad_as_ansi_keeps_its_dashes_and_quotes(tmp_path):
    # Notepad's "ANSI" on an Indonesian Windows is Windows-1252 (what it cannot write becomes "?"):
    # the import read it as UTF-8 with errors replaced, and every dash or curly quote became "�".
    hostile = SOCIAL / "WhatsApp Chat dengan Relawan Pantau TPS.txt"
    saved = tmp_path / hostile.name
    saved.write_bytes(hostile.read_text(encoding="utf-8").encode("cp1252", errors="replace"))
    con = _migrated(tmp_path / "saring.duckdb")
    assert import_chat(con, saved, SECRET).kept > 0
    texts = [t for (t,) in con.execute("SELECT text FROM tipline_messages").fetchall()]
    assert not any("\ufffd" in t for t in texts), texts
    assert any("tautan.example/cek/" in t and " — " in t for t in texts), texts


def test_a_utf8_export_with_one_damaged_byte_is_not_read_as_windows_1252(tmp_path):
    # A WhatsApp export cut or damaged in one place (a bad copy off a phone) is still UTF-8: its
    # dashes and its members' emoji stay, only the damaged byte is replaced.
    hostile = SOCIAL / "WhatsApp Chat dengan Relawan Pantau TPS.txt"
    saved = tmp_path / hostile.name
    data = hostile.read_bytes()
    saved.write_bytes(data[:200] + b"\xff" + data[200:])  # in the export's notice, before any message
    con = _migrated(tmp_path / "saring.duckdb")
    assert import_chat(con, saved, SECRET).kept > 0
    texts = [t for (t,) in con.execute("SELECT text FROM tipline_messages").fetchall()]
    assert any(" \u2014 " in t for t in texts) and not any("\u00e2\u20ac" in t for t in texts), texts


def test_an_export_imported_by_an_earlier_saring_is_not_imported_twice(tmp_path):
    # Earlier saring keyed a message by its scrubbed text; the forum's next import after an upgrade
    # re-reads the same (whole-history) export.
    con = _migrated(tmp_path / "saring.duckdb")
    import_chat(con, ANDROID_ID, SECRET)
    for message_id, sender, sent_at, text in con.execute(
            "SELECT message_id, sender_hash, sent_at, text FROM tipline_messages").fetchall():
        stamp = sent_at.astimezone(UTC).isoformat()
        old = hashlib.sha256(f"{sender}\x1f{stamp}\x1f{text}".encode()).hexdigest()[:32]
        con.execute("UPDATE tipline_messages SET message_id = ? WHERE message_id = ?", [old, message_id])
    again = import_chat(con, ANDROID_ID, SECRET)
    assert again.kept == 4 and again.new == 0
    assert con.execute("SELECT count(*) FROM tipline_messages").fetchone()[0] == 4


def test_purge_deletes_raw_text_and_keeps_the_rest(tmp_path):
    con = _migrated(tmp_path / "saring.duckdb")
    import_chat(con, ANDROID_ID, SECRET)
    assert purge(con, 30) == 0
    later = datetime.now(UTC) + timedelta(days=31)
    assert purge(con, 30, now=later) == 4
    rows = con.execute("SELECT text, sender_hash, urls, purged_at FROM tipline_messages").fetchall()
    assert all(text is None and sender and purged for text, sender, _, purged in rows)
    assert sum(len(urls) for *_, urls, _ in rows) == 2
    import_chat(con, ANDROID_ID, SECRET)  # re-importing does not bring the text back
    assert con.execute("SELECT count(*) FROM tipline_messages WHERE text IS NOT NULL").fetchone()[0] == 0


def test_secret_file_is_created_once_with_0600(tmp_path, monkeypatch):
    monkeypatch.delenv("SARING_TIPLINE_SECRET", raising=False)
    db = tmp_path / "saring.duckdb"
    first = load_secret(db)
    secret_file = tmp_path / "saring.duckdb.tipline-secret"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert load_secret(db) == first and len(first) >= 32
    os.chmod(secret_file, 0o644)
    with pytest.raises(TiplineError, match="readable by other users"):
        load_secret(db)
    monkeypatch.setenv("SARING_TIPLINE_SECRET", "short")
    with pytest.raises(TiplineError, match="too short"):
        load_secret(db)
    monkeypatch.setenv("SARING_TIPLINE_SECRET", "x" * 20)
    assert load_secret(db) == b"x" * 20


def test_cli_import(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from saring.cli.main import app

    monkeypatch.delenv("SARING_TIPLINE_SECRET", raising=False)
    # The chat's links are checked before any fetch: that name lookup goes to a scripted resolver,
    # never to real DNS (unknown names do not resolve, so the link costs only itself).
    dns = FakeDNS({})
    monkeypatch.setattr("saring.collect.urls.system_resolver", dns)
    db = tmp_path / "saring.duckdb"
    result = CliRunner().invoke(app, ["tipline", "import", str(IOS_EN), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "bit.example" in dns.asked
    assert "2 messages kept" in result.output and "https://bit.example/tps-pindah" in result.output
    result = CliRunner().invoke(app, ["tipline", "purge", "--older-than-days", "0", "--db", str(db)])
    assert result.exit_code == 0 and "raw text of 2 messages deleted" in result.output
    assert (tmp_path / "saring.duckdb.tipline-secret").exists()


def test_forwards_that_became_items_after_their_import_leave_no_text_behind_once_purged(
        tmp_path, monkeypatch):
    # An import stopped on a half-edited sources.yaml after it stored the messages; the next
    # import made them items. The daily purge then deleted the messages' text (imported first)
    # and, a purge later, the items' copy of it, but that purge had "0 messages" to delete, so
    # it rewrote nothing: the text stayed in the database file and in the analysts' copy.
    from typer.testing import CliRunner

    import saring.storage.publish
    from saring.cli.main import app
    from saring.collect.retention import purge_tipline
    from saring.storage.publish import published_dir

    monkeypatch.delenv("SARING_TIPLINE_SECRET", raising=False)
    monkeypatch.setattr("saring.collect.urls.system_resolver", FakeDNS({}))
    monkeypatch.setattr(saring.storage.publish, "COMPRESSION", "uncompressed")  # text shows in the bytes
    db = tmp_path / "saring.duckdb"
    broken = tmp_path / "sources.yaml"
    broken.write_text("settings:\n  schedule: [timezone\n", encoding="utf-8")
    cli = CliRunner()
    result = cli.invoke(app, ["tipline", "import", str(ANDROID_ID), "--db", str(db),
                              "--sources", str(broken)])
    assert result.exit_code != 0, result.output  # the messages are stored, not yet made items
    between = datetime.now(UTC)
    result = cli.invoke(app, ["tipline", "import", str(ANDROID_ID), "--db", str(db)])
    assert result.exit_code == 0, result.output
    claim = b"sudah dicoblos sebelum hari H"
    with Store(db) as store:
        assert store.con.execute("SELECT count(*) FROM items WHERE kind = 'tipline'").fetchone()[0] > 0
        assert purge_tipline(store, 0, now=between).messages == 4  # the messages' text: imported first
    assert any(claim in p.read_bytes() for p in published_dir(db).rglob("*.parquet"))  # the items' copy
    result = cli.invoke(app, ["tipline", "purge", "--older-than-days", "0", "--db", str(db)])
    assert result.exit_code == 0, result.output
    files = [db, *published_dir(db).rglob("*")]
    assert [p for p in files if p.is_file() and claim in p.read_bytes()] == []

def test_cli_import_prints_each_link_whole_on_one_line(tmp_path, monkeypatch):
    # The import's output saved to a log (cron, `> import.log`): a link longer than the line was
    # folded at 80 columns, so copying or clicking it opened half an address.
    from typer.testing import CliRunner

    from saring.cli.main import app

    monkeypatch.delenv("SARING_TIPLINE_SECRET", raising=False)
    monkeypatch.setattr("saring.collect.urls.system_resolver", FakeDNS({}))
    link = "https://malangpost.example/2023/10/12/kpu-kota-batu-bantah-surat-suara-tercoblos/"
    db = tmp_path / "saring.duckdb"
    result = CliRunner().invoke(app, ["tipline", "import", str(ANDROID_ID), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert f"  {link}" in result.output.splitlines()


def _as_ios(android: str) -> str:
    """The same chat as an iPhone exports it: "[12/10/23 08.15.07] …", seconds rising in a minute."""
    lines, in_minute = [], Counter()
    for line in android.splitlines():
        m = re.match(r"^(\d\d/\d\d/\d\d), (\d\d\.\d\d) - (.*)$", line)
        if m:
            in_minute[m[1], m[2]] += 1
            line = f"[{m[1]} {m[2]}.{7 + 20 * (in_minute[m[1], m[2]] - 1):02d}] {m[3]}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def _same_minute_chat(tmp_path):
    """The Android fixture with Budi's link sent in the minute of his greeting, and its iOS export."""
    android = ANDROID_ID.read_text(encoding="utf-8")
    android = android.replace("12/10/23, 08.20 - Budi", "12/10/23, 08.15 - Budi")
    (tmp_path / "android").mkdir()
    (tmp_path / "ios").mkdir()
    a, i = tmp_path / "android" / ANDROID_ID.name, tmp_path / "ios" / ANDROID_ID.name
    a.write_text(android, encoding="utf-8")
    i.write_text(_as_ios(android), encoding="utf-8")
    return a, i


@pytest.mark.parametrize("first", ["android", "ios"])
def test_the_same_chat_exported_from_an_iphone_and_from_an_android_phone_is_stored_once(tmp_path, first):
    # Two forum members export the group: one from an iPhone (seconds), one from Android (minutes).
    android, ios = _same_minute_chat(tmp_path)
    con = _migrated(tmp_path / "saring.duckdb")
    one, other = (android, ios) if first == "android" else (ios, android)
    assert import_chat(con, one, SECRET).new == 4
    again = import_chat(con, other, SECRET)
    assert (again.kept, again.new) == (4, 0)
    assert import_chat(con, one, SECRET).new == 0 and import_chat(con, other, SECRET).new == 0
    assert con.execute("SELECT count(*) FROM tipline_messages").fetchone()[0] == 4


def test_another_message_at_the_same_sender_minute_and_place_is_kept_apart(tmp_path):
    # The other export holds, at Budi's 08.15 link, a different text (another chat of his, same minute).
    android, ios = _same_minute_chat(tmp_path)
    other = ios.read_text(encoding="utf-8").replace("Ini beritanya", "Ini berita lain")
    ios.write_text(other, encoding="utf-8")
    con = _migrated(tmp_path / "saring.duckdb")
    import_chat(con, android, SECRET)
    assert import_chat(con, ios, SECRET).new == 1
    assert import_chat(con, ios, SECRET).new == 0 and import_chat(con, android, SECRET).new == 0
    both = "SELECT count(*) FROM tipline_messages WHERE text LIKE 'Ini berit%'"
    assert con.execute(both).fetchone()[0] == 2


@pytest.mark.parametrize("purged", [False, True])
def test_an_iphone_export_imported_by_an_earlier_saring_is_recognised_in_the_android_export(tmp_path, purged):
    # Earlier saring keyed an iPhone message by its second; the Android export of the chat has minutes.
    android, ios = _same_minute_chat(tmp_path)
    con = _migrated(tmp_path / "saring.duckdb")
    import_chat(con, ios, SECRET)
    for message_id, sender, sent_at in con.execute(
            "SELECT message_id, sender_hash, sent_at FROM tipline_messages").fetchall():
        stamp = sent_at.astimezone(UTC).isoformat()
        old = hmac.new(SECRET, f"{sender}\x1f{stamp}\x1f1".encode(), hashlib.sha256).hexdigest()[:32]
        con.execute("UPDATE tipline_messages SET message_id = ? WHERE message_id = ?", [old, message_id])
    if purged:
        assert purge(con, 30, now=datetime.now(UTC) + timedelta(days=31)) == 4
    assert import_chat(con, ios, SECRET).new == 0
    assert import_chat(con, android, SECRET).new == 0
    assert con.execute("SELECT count(*) FROM tipline_messages").fetchone()[0] == 4
    if purged:  # the purged text does not come back
        assert con.execute("SELECT count(*) FROM tipline_messages WHERE text IS NOT NULL").fetchone()[0] == 0


@pytest.mark.parametrize(("fixture", "member"), [
    (IOS_ID, "_chat.txt"),  # an iPhone always shares "WhatsApp Chat - <chat>.zip" holding _chat.txt
    (ANDROID_ID, ANDROID_ID.name),  # Android with "Sertakan media": the .txt beside the media files
])
def test_a_zipped_export_is_imported_like_its_text_file(tmp_path, fixture, member):
    # The forum's admin exports the group from a phone and passes the file it shared on, a .zip:
    # it was refused as "does not look like a WhatsApp chat export".
    import zipfile

    zipped = tmp_path / (fixture.stem + ".zip")
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("00000012-PHOTO-2023-10-12-14-06-10.jpg", b"\xff\xd8\xff\xe0 not a real photo")
        archive.writestr(member, fixture.read_bytes())
    con = _migrated(tmp_path / "saring.duckdb")
    from_zip = import_chat(con, zipped, SECRET)
    rows = "SELECT message_id, chat, text FROM tipline_messages ORDER BY 1"
    stored = con.execute(rows).fetchall()
    from_text = import_chat(con, fixture, SECRET)
    assert (from_zip.kept, from_zip.skipped) == (from_text.kept, from_text.skipped)
    assert from_zip.urls == from_text.urls
    assert from_zip.new == from_zip.kept > 0 and from_text.new == 0
    assert con.execute(rows).fetchall() == stored
    # ... under the label the text file gives (the chat's name from the file name, not "_chat")
    alone = _migrated(tmp_path / "text-only.duckdb")
    import_chat(alone, fixture, SECRET)
    assert alone.execute(rows).fetchall() == stored


def test_a_zip_without_a_chat_text_is_a_clear_error(tmp_path):
    import zipfile

    zipped = tmp_path / "WhatsApp Chat - Bakohumas.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("00000012-PHOTO-2023-10-12-14-06-10.jpg", b"\xff\xd8\xff\xe0")
    con = _migrated(tmp_path / "saring.duckdb")
    with pytest.raises(TiplineError, match="no chat text"):
        import_chat(con, zipped, SECRET)
    broken = tmp_path / "WhatsApp Chat - Rusak.zip"
    broken.write_bytes(zipped.read_bytes()[:40])
    with pytest.raises(TiplineError, match="WhatsApp"):
        import_chat(con, broken, SECRET)


def test_a_forward_stored_scrubbed_scores_as_the_same_message_pasted_into_saring_check(
        tmp_path, sample_site, scorer):
    # The demo chat's chain message ("... Hubungi 0812-0000-0009 kalau mau bukti. Sebarkan ke semua
    # grup!") scored 79 % pasted into `saring check` and 98 % once the tipline had stored it
    # scrubbed: the model read "[nomor disamarkan]" as two words, and its phone-number cue found no
    # number. Import, rescore and check now read the masks as what they stand for.
    from saring.collect.scrub import MASK_PHONE, STAND_INS
    from saring.config import DigestSettings
    from saring.desk.check import analyse
    from saring.pipeline.demo import demo_chat
    from saring.pipeline.forwarded import feed_tipline
    from saring.pipeline.ingest import score_pending
    from saring.report.digest import risk_label
    from saring.storage.database import utcnow

    chat = demo_chat(sample_site.base_url, tmp_path / "chat.txt")
    raw = next(m.text for m in parse_chat(chat.read_text(encoding="utf-8"))
               if m.text and m.text.startswith("*Diteruskan*"))
    db = tmp_path / "saring.duckdb"
    query = """SELECT i.item_id, a.text, s.hoax_score, s.hoax_terms FROM items i
               JOIN articles a USING (item_id) JOIN scores s USING (item_id)
               WHERE i.source_id = 'tipline' AND a.text LIKE '%Sebarkan%'"""
    with Store(db) as store:
        started = utcnow()
        result = import_chat(store.con, chat, SECRET)
        feed_tipline(store, since=started, scorer=scorer, allow_private=True, scrubber=result.scrubber)
        item_id, stored, imported, reasons = store.con.execute(query).fetchone()
        score_pending(store, scorer, again=[item_id])  # `saring rescore`
        rescored = store.con.execute(query).fetchone()[2]
        store.publish_snapshot()
    assert "0812-0000-0009" in raw and MASK_PHONE in stored and "0812-0000-0009" not in stored
    checked = analyse(raw, db, scorer)
    pasted_scrubbed = analyse(stored, db, scorer)  # copied from the digest's "Beredar di grup"
    bands = DigestSettings()
    for score in (imported, rescored, pasted_scrubbed.hoax_score):
        assert abs(score - checked.hoax_score) <= 0.02, (score, checked.hoax_score)
        assert risk_label(score, bands) == risk_label(checked.hoax_score, bands)
    # The reasons quote what is stored, never the stand-ins the model read.
    for quoted in [*reasons, *pasted_scrubbed.hoax_terms]:
        assert not any(stand_in in quoted for stand_in in STAND_INS.values()), quoted


def _twelve_hour(android: str, sep: str = ".", am: str = "AM", pm: str = "PM") -> str:
    """The Android fixture as an Indonesian phone set to a 12-hour clock writes it: "8.17 PM"."""
    def clock(m: re.Match[str]) -> str:
        hour, minute = int(m[2]), m[3]
        return f"{m[1]}, {(hour - 1) % 12 + 1}{sep}{minute}\u202f{am if hour < 12 else pm} - "
    return re.sub(r"(?m)^(\d\d/\d\d/\d\d), (\d\d)\.(\d\d) - ", clock, android)


@pytest.mark.parametrize("clock", [
    (".", "AM", "PM"),  # Indonesian: "12/10/23, 8.17 AM"
    (":", "am", "pm"),  # English (United Kingdom, India, Australia): "12/10/23, 8:17 am"
    (":", "a.m.", "p.m."),  # English (Ireland), Spanish: "12/10/23, 8:17 a.m."
])
def test_a_phone_on_a_12_hour_clock_that_writes_the_day_first_is_read_day_first(tmp_path, clock):
    # A member whose phone (Indonesian or English (UK), 12-hour clock) exported the group on its
    # first day: any AM/PM was taken for a US phone ("10/12/23, 8:17 AM"), so 12/10 became 10
    # December. The group's next export (the 13th is there) then stored every message a second time.
    whole = _twelve_hour(ANDROID_ID.read_text(encoding="utf-8"), *clock)
    first_day = "".join(line for line in whole.splitlines(keepends=True) if not line.startswith("13/10/23"))
    forwarded = [m for m in parse_chat(first_day) if m.text.startswith("*Diteruskan*")][0]
    assert forwarded.sent_at == datetime(2023, 10, 12, 1, 17, tzinfo=UTC)  # 8.17 AM WIB, 12 October
    (tmp_path / "first").mkdir()
    earlier, later = tmp_path / "first" / ANDROID_ID.name, tmp_path / ANDROID_ID.name
    earlier.write_text(first_day, encoding="utf-8")
    later.write_text(whole, encoding="utf-8")
    con = _migrated(tmp_path / "saring.duckdb")
    assert import_chat(con, earlier, SECRET).new == 4
    assert import_chat(con, later, SECRET).new == 0
    assert con.execute("SELECT count(*) FROM tipline_messages").fetchone()[0] == 4


@pytest.mark.parametrize(("fixture", "line"), [
    (ANDROID_ID, "12/10/23, 08.26 - Sri Wahyuni: lokasi: https://maps.google.com/?q=-7.871234,112.523456\n"),
    (IOS_EN, "[10/12/23, 1:06:30\u202fPM] Rina Jurnalis: Location: https://maps.google.com/?q=-7.871234,112.523456\r\n"),
    # a place picked from the list an iPhone offers: its name and address, and a Foursquare link
    (IOS_EN, "[10/12/23, 1:06:30\u202fPM] Rina Jurnalis: Alun-Alun Kota Batu (Jl. Munif, Batu, Jawa Timur): "
             "https://foursquare.com/v/4e89af95e5fa82ad4c0aa03b\r\n"),
    (IOS_ID, "[13.10.23 21.16.00] Andi Pratama: Alun-Alun Kota Batu (Jl. Munif, Batu): "
             "https://foursquare.com/v/alun-alun-kota-batu/4e89af95e5fa82ad4c0aa03b\n"),
])
def test_a_shared_location_is_skipped_and_its_coordinates_never_stored(tmp_path, fixture, line):
    # A member shares where they are (a TPS, their home) with WhatsApp's "Lokasi": the export writes it
    # as a maps link, so it was kept as a rumour with a link, its coordinates stored and the page
    # fetched, and it reached the digest as "beredar di grup".
    export = tmp_path / fixture.name
    export.write_bytes(fixture.read_bytes() + line.encode())
    con = _migrated(tmp_path / "saring.duckdb")
    plain = import_chat(_migrated(tmp_path / "plain.duckdb"), fixture, SECRET)
    result = import_chat(con, export, SECRET)
    assert (result.kept, result.skipped, result.urls) == (plain.kept, plain.skipped + 1, plain.urls)
    everything = _all_text(con)
    assert "maps.google" not in everything and "112.523456" not in everything
    assert "foursquare" not in everything and "Munif" not in everything


# An iPhone exporting "with media" names each file where Android writes "(file attached)": a photo, a
# voice note, a sticker, and a document after its own name and page count.
_IOS_ATTACHED_EN = (
    "[10/12/23, 1:08:00\u202fPM] Rina Jurnalis: \u200e<attached: 00000012-PHOTO-2023-10-12-13-08-00.jpg>\r\n"
    "[10/12/23, 1:08:20\u202fPM] Rina Jurnalis: \u200e<attached: 00000013-AUDIO-2023-10-12-13-08-20.opus>\r\n"
    "[10/12/23, 1:08:40\u202fPM] Rina Jurnalis: \u200e<attached: 00000014-STICKER.webp>\r\n"
    "[10/12/23, 1:09:00\u202fPM] Rina Jurnalis: Broadcast KPU Kota Batu.pdf \u2022 \u200e2 pages "
    "\u200e<attached: 00000015-Broadcast KPU Kota Batu.pdf>\r\n"
    "[10/12/23, 1:09:30\u202fPM] Rina Jurnalis: www.kpu-batukota.example.id.pdf \u2022 \u200e1 page "
    "\u200e<attached: 00000016-www.kpu-batukota.example.id.pdf>\r\n")
_IOS_ATTACHED_ID = (
    "[13.10.23 21.16.00] Andi Pratama: \u200e<terlampir: 00000012-PHOTO-2023-10-13-21-16-00.jpg>\n"
    "[13.10.23 21.16.30] Andi Pratama: \u200e<terlampir: 00000013-VIDEO-2023-10-13-21-16-30.mp4>\n"
    "[13.10.23 21.17.00] Andi Pratama: Info A1 Pemilu Kota Batu.pdf \u2022 \u200e3 halaman "
    "\u200e<terlampir: 00000014-Info A1 Pemilu Kota Batu.pdf>\n"
    # the same document exported without media
    "[13.10.23 21.17.30] Andi Pratama: Info A1 Pemilu Kota Batu.pdf \u2022 \u200e3 halaman "
    "\u200edokumen tidak disertakan\n")


@pytest.mark.parametrize(("fixture", "lines"), [(IOS_EN, _IOS_ATTACHED_EN), (IOS_ID, _IOS_ATTACHED_ID)])
def test_files_in_an_iphone_export_with_media_are_skipped_like_android_s(tmp_path, fixture, lines):
    # A member exports the group from an iPhone "with media" (Lampirkan Media): a shared PDF named
    # "Info A1 ..." or "Broadcast ..." was kept as a forwarded rumour, its file name shown as the
    # message; one named like a site was fetched as a link. Android's "(file attached)" is skipped.
    export = tmp_path / fixture.name
    export.write_bytes(fixture.read_bytes() + lines.encode())
    added = lines.count("\n")
    assert [m.kind for m in parse_chat(export.read_text(encoding="utf-8"))][-added:] == ["media"] * added
    plain = import_chat(_migrated(tmp_path / "plain.duckdb"), fixture, SECRET)
    con = _migrated(tmp_path / "saring.duckdb")
    result = import_chat(con, export, SECRET)
    assert (result.kept, result.skipped, result.urls) == (plain.kept, plain.skipped + added, plain.urls)
    everything = _all_text(con)
    assert ".pdf" not in everything and "attached" not in everything and "terlampir" not in everything


def test_a_line_of_a_message_starting_with_a_date_and_a_time_range_stays_in_the_message():
    # A chain message lists the schedule it claims on its own line ("17/04/2024 08.00 - 14.00 WIB
    # ..."): that line was read as a new message, so the forward was cut there and the rest of it
    # (the number to call, "Sebarkan!") became a system line that is never kept.
    hostile = SOCIAL / "WhatsApp Chat dengan Relawan Pantau TPS.txt"
    text = hostile.read_text(encoding="utf-8").replace(
        "INFO A1: pencoblosan 17-04-2024 (juga ditulis 17/04/2024) pukul 08.00-14.00 WIB diundur!",
        "INFO A1: pencoblosan\n17/04/2024 08.00 - 14.00 WIB diundur!")
    messages = parse_chat(text)
    assert len(messages) == len(parse_chat(hostile.read_text(encoding="utf-8")))
    forward = [m for m in messages if m.text.startswith("*Diteruskan*")][0]
    assert "\n17/04/2024 08.00 - 14.00 WIB diundur!" in forward.text and forward.text.endswith("Sebarkan!")


def test_the_same_group_exported_from_a_phone_that_has_not_saved_a_member_is_stored_once(tmp_path):
    # Two forum members export the group. WhatsApp writes each member as the exporting phone knows
    # them: Budi is a saved contact on one phone and only his number on the other, so his link was
    # stored twice, once under each name.
    (tmp_path / "other").mkdir()
    other = tmp_path / "other" / ANDROID_ID.name
    as_number = ANDROID_ID.read_text(encoding="utf-8").replace(" - Budi Santoso: ", " - +62 812-0000-0006: ")
    other.write_text(as_number, encoding="utf-8")
    con = _migrated(tmp_path / "saring.duckdb")
    assert import_chat(con, ANDROID_ID, SECRET).new == 4
    again = import_chat(con, other, SECRET)
    assert (again.kept, again.new) == (4, 0)
    assert import_chat(con, other, SECRET).new == 0 and import_chat(con, ANDROID_ID, SECRET).new == 0
    assert con.execute("SELECT count(*) FROM tipline_messages").fetchone()[0] == 4


@pytest.mark.parametrize("second", ["android", "ios"])
def test_a_second_member_s_export_after_the_purge_does_not_store_the_purged_messages_again(tmp_path, second):
    # The admin imported the group; 30 days later its text was purged. Another member then exports
    # the same group from a phone that knows Budi only by his number: his purged link came back with
    # its text, in the database and the next digest, for 30 more days. What the purge reached stays
    # purged; the import says how many it left out, and stores what is newer.
    newer = "13/10/23, 09.00 - +62 812-0000-0006: Tolong dicek https://jatimpos.example/kpu-kota-madiun-honor-kpps\n"
    (tmp_path / "other").mkdir()
    other = tmp_path / "other" / ANDROID_ID.name
    as_number = ANDROID_ID.read_text(encoding="utf-8").replace(" - Budi Santoso: ", " - +62 812-0000-0006: ")
    chat = as_number + newer
    other.write_text(chat if second == "android" else _as_ios(chat), encoding="utf-8")
    con = _migrated(tmp_path / "saring.duckdb")
    assert import_chat(con, ANDROID_ID, SECRET).new == 4
    assert purge(con, 30, now=datetime.now(UTC) + timedelta(days=31)) == 4
    again = import_chat(con, other, SECRET)
    assert (again.kept, again.new, again.purged) == (5, 1, 1)
    texts = [t for (t,) in con.execute("SELECT text FROM tipline_messages WHERE text IS NOT NULL").fetchall()]
    assert texts == ["Tolong dicek https://jatimpos.example/kpu-kota-madiun-honor-kpps"]
    assert import_chat(con, other, SECRET).new == 0
    assert con.execute("SELECT count(*) FROM tipline_messages").fetchone()[0] == 5


SAMPLE_CHAT = Path(__file__).resolve().parent.parent / "sample" / "tipline" / "demo-chat.txt"


def _sample_exports(tmp_path, later_lines, budi_as_number=False, ios=False):
    """The bundled sample chat as the admin exported it, and a later export of it by another member
    (Budi only a number on their phone, or an iPhone) with ``later_lines`` sent since."""
    chat = SAMPLE_CHAT.read_text(encoding="utf-8").replace("{{SITE}}", "https://situs.example")
    (tmp_path / "first").mkdir()
    (tmp_path / "later").mkdir()
    first, later = tmp_path / "first" / ANDROID_ID.name, tmp_path / "later" / ANDROID_ID.name
    first.write_text(chat, encoding="utf-8")
    chat = chat.rstrip("\n") + "\n" + "".join(line + "\n" for line in later_lines)
    if budi_as_number:
        chat = chat.replace(" - Budi Santoso: ", " - +62 812-0000-0006: ")
    later.write_text(_as_ios(chat) if ios else chat, encoding="utf-8")
    return first, later


def _chain_forward() -> str:
    """The sample chat's forwarded chain message (three lines), as the text a member sends again."""
    lines = SAMPLE_CHAT.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if "*Diteruskan*" in line)
    return "\n".join([lines[start].split(": ", 1)[1], *lines[start + 1:start + 3]])


@pytest.mark.parametrize("ios", [False, True])
@pytest.mark.parametrize("budi_as_number", [False, True])
def test_a_forward_sent_in_the_minute_of_the_last_purged_message_is_stored_by_the_later_import(
        tmp_path, budi_as_number, ios):
    # The sample chat's last message is Budi's link at 08.11; the admin exported the group then, and
    # 30 days later its text was purged. Still at 08.11, Sri forwarded the chain message again; the
    # next export (the admin's, or a member's phone that knows Budi only by his number) took her
    # forward for purged, as the purge was remembered to the minute, and never stored it.
    forward = _chain_forward()
    sri = f"13/10/23, 08.11 - Sri Wahyuni: {forward}"
    first, later = _sample_exports(tmp_path, [sri], budi_as_number, ios)
    con = _migrated(tmp_path / "saring.duckdb")
    assert import_chat(con, first, SECRET).new == 6
    assert purge(con, 30, now=datetime.now(UTC) + timedelta(days=31)) == 6
    again = import_chat(con, later, SECRET)
    assert (again.kept, again.new, again.purged) == (7, 1, 3 if budi_as_number else 0)
    texts = [t for (t,) in con.execute("SELECT text FROM tipline_messages WHERE text IS NOT NULL").fetchall()]
    assert texts == [scrub(forward, ["Sri Wahyuni"], SECRET)]
    assert import_chat(con, later, SECRET).new == 0 and import_chat(con, first, SECRET).new == 0
    assert con.execute("SELECT count(*) FROM tipline_messages").fetchone()[0] == 7


@pytest.mark.parametrize("ios", [False, True])
def test_a_message_the_first_exporter_deleted_for_themselves_does_not_bring_a_purged_one_back(tmp_path, ios):
    # Budi sent two links at 08.11; the admin had deleted the first for themselves ("hapus untuk saya")
    # before exporting, so the import stored only the second, later purged. A member's export still
    # holds both: each of Budi's 08.11 messages is one place further on there, and the purged link
    # must not come back with its text (nor his other, stored under its own place).
    chat = SAMPLE_CHAT.read_text(encoding="utf-8").replace("{{SITE}}", "https://situs.example")
    both = chat.replace("13/10/23, 08.10 - Budi", "13/10/23, 08.11 - Budi")
    (tmp_path / "admin").mkdir()
    (tmp_path / "member").mkdir()
    admin, member = tmp_path / "admin" / ANDROID_ID.name, tmp_path / "member" / ANDROID_ID.name
    admin.write_text("".join(line + "\n" for line in both.splitlines() if "facebook-akan" not in line),
                     encoding="utf-8")
    member.write_text(_as_ios(both) if ios else both, encoding="utf-8")
    con = _migrated(tmp_path / "saring.duckdb")
    assert import_chat(con, admin, SECRET).new == 5
    assert purge(con, 30, now=datetime.now(UTC) + timedelta(days=31)) == 5
    again = import_chat(con, member, SECRET)
    assert again.kept == 6 and again.new == 0
    assert con.execute("SELECT count(*) FROM tipline_messages WHERE text IS NOT NULL").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM tipline_messages").fetchone()[0] == 5


def test_the_import_says_how_many_messages_it_left_out_as_already_purged(tmp_path, monkeypatch):
    # The maintainer imports a second member's export after the purge: the count of new messages
    # alone did not say why the rest of the kept ones were not stored.
    from typer.testing import CliRunner

    from saring.cli.main import app

    monkeypatch.delenv("SARING_TIPLINE_SECRET", raising=False)
    monkeypatch.setattr("saring.collect.urls.system_resolver", FakeDNS({}))  # the chat's links: no real DNS
    (tmp_path / "other").mkdir()
    other = tmp_path / "other" / ANDROID_ID.name
    as_number = ANDROID_ID.read_text(encoding="utf-8").replace(" - Budi Santoso: ", " - +62 812-0000-0006: ")
    other.write_text(as_number, encoding="utf-8")
    db = str(tmp_path / "saring.duckdb")
    for args in (["import", str(ANDROID_ID)], ["purge", "--older-than-days", "0"]):
        assert CliRunner().invoke(app, ["tipline", *args, "--db", db]).exit_code == 0
    result = CliRunner().invoke(app, ["tipline", "import", str(other), "--db", db])
    assert result.exit_code == 0, result.output
    assert "4 messages kept (0 new; 1 from before the last purge, not stored again)" in result.output


def test_an_edited_message_exported_from_an_iphone_and_from_android_is_stored_once_without_the_mark(tmp_path):
    # Budi corrected his message. Android writes "… <Pesan ini diedit>", an iPhone "… \u200e<Pesan ini
    # diedit>" (a direction mark before it): the iPhone's mark stayed in the stored text, so the two
    # exports' texts differed and the message was stored twice, once with the mark for the digest.
    android, ios = _same_minute_chat(tmp_path)
    for path, mark in ((android, " <Pesan ini diedit>"), (ios, " \u200e<Pesan ini diedit>")):
        path.write_text(path.read_text(encoding="utf-8").replace(" mohon dicek\n", f" mohon dicek{mark}\n"),
                        encoding="utf-8")
    con = _migrated(tmp_path / "saring.duckdb")
    assert import_chat(con, ios, SECRET).new == 4
    assert import_chat(con, android, SECRET).new == 0
    texts = [t for (t,) in con.execute("SELECT text FROM tipline_messages").fetchall()]
    assert any(t.endswith("mohon dicek") for t in texts) and not any("diedit" in t for t in texts), texts


def test_a_member_saved_with_a_word_of_a_system_line_in_the_name_is_still_a_sender(tmp_path):
    # Contacts are saved with their role, as "Pak Andi Keamanan" (the neighbourhood's security man):
    # "keamanan" is a word of WhatsApp's security-code notice, so every message of his was taken for
    # a system line, never kept, and his name was not masked where others wrote it.
    ios = IOS_ID.read_text(encoding="utf-8")
    export = tmp_path / IOS_ID.name
    mention = "[13.10.23 21.16.00] Budi Santoso: Pesan berantai dari grup sebelah, kata Pak Andi Keamanan\n"
    export.write_text(ios.replace("] Andi Pratama: ", "] Pak Andi Keamanan: ") + mention, encoding="utf-8")
    chain = parse_chat(export.read_text(encoding="utf-8"))[0]
    assert (chain.sender, chain.kind) == ("Pak Andi Keamanan", "text")
    con = _migrated(tmp_path / "saring.duckdb")
    plain = import_chat(_migrated(tmp_path / "plain.duckdb"), IOS_ID, SECRET)
    assert import_chat(con, export, SECRET).kept == plain.kept + 1  # his chain message and the mention
    everything = _all_text(con)
    assert "KPPS di Kota Batu katanya tidak dibayar" in everything and "Andi" not in everything


def test_a_new_model_version_scores_the_forwards_whose_text_retention_purged(tmp_path, monkeypatch, scorer):
    # Retention purged a chat's forwards (their items keep no text) and a later chat's are stored
    # whole. Once a new model version was promoted, `saring rescore` stopped with a traceback
    # ("TypeError: 'float' object is not subscriptable") and every run's scoring failed the same
    # way: the stored articles stayed on the old model.
    import json
    import shutil

    from typer.testing import CliRunner

    from saring.cli.main import app
    from saring.collect.retention import purge_tipline
    from saring.config import FetchSettings
    from saring.pipeline.forwarded import feed_tipline
    from saring.storage.database import utcnow

    monkeypatch.setattr("saring.collect.urls.system_resolver", FakeDNS({}))  # the chats' links: no real DNS
    db = tmp_path / "saring.duckdb"
    with Store(db) as store:
        for chat in (ANDROID_ID, IOS_ID):
            started = utcnow()
            result = import_chat(store.con, chat, SECRET)
            feed_tipline(store, since=started, fetch=FetchSettings(retries=0, timeout=2), scorer=scorer,
                         scrubber=result.scrubber)
            if chat == ANDROID_ID:
                purge_tipline(store, 0, now=utcnow() + timedelta(seconds=1))
        texts = store.con.execute("SELECT count(*) FILTER (WHERE text IS NULL), count(text) "
                                  "FROM articles").fetchone()
    assert texts[0] > 0 and texts[1] > 0  # purged and whole forwards side by side
    models = tmp_path / "models"  # the shipped models, promoted again under another version name
    models.mkdir()
    for task in ("election", "hoax"):
        shutil.copy(Path(__file__).parent.parent / "classifiers" / f"{task}.skops", models)
        card = json.loads((Path(__file__).parent.parent / "classifiers" / f"{task}.json").read_text("utf-8"))
        card["version"] = f"{task}-baru"
        (models / f"{task}.json").write_text(json.dumps(card), encoding="utf-8")
    monkeypatch.setenv("SARING_MODELS", str(models))
    result = CliRunner().invoke(app, ["rescore", "--db", str(db)])
    assert result.exit_code == 0, result.output
    con = duckdb.connect(str(db), read_only=True)
    try:
        # the whole forwards; a purged one keeps the score its text was given (not one of its placeholder)
        assert con.execute("SELECT count(*) FROM articles a WHERE a.text IS NOT NULL AND NOT EXISTS "
                           "(SELECT 1 FROM scores s WHERE s.item_id = a.item_id "
                           "AND s.model_version = 'election-baru+hoax-baru')").fetchone() == (0,)
    finally:
        con.close()


# A photo sent with a caption, as each phone exports it "with media": Android names the file on the
# message's first line and writes the caption below; an iPhone writes the caption, then the file.
_CAPTION = ("Surat suara Pemilu 2024 di Kota Batu katanya sudah dicoblos sebelum hari H. "
            "Sebarkan ke semua grup!")
_CAPTIONED_ANDROID = f"12/10/23, 13.50 - Sri Wahyuni: IMG-20231012-WA0004.jpg (file attached)\n{_CAPTION}\n"
_CAPTIONED_IOS = (f"[12/10/23 13.50.41] Sri Wahyuni: {_CAPTION} "
                  "\u200e<attached: 00000012-PHOTO-2023-10-12-13-50-41.jpg>\n")


@pytest.mark.parametrize("first", ["android", "ios"])
def test_a_captioned_photo_is_stored_once_as_its_caption_from_an_iphone_and_from_android(tmp_path, first):
    # Two members export the group "with media": the iPhone's file marker stayed at the end of the
    # stored caption (and in the digest), Android's file name above it, so neither text matched the
    # other's and the forward was stored twice.
    (tmp_path / "android").mkdir()
    (tmp_path / "ios").mkdir()
    android, ios = tmp_path / "android" / ANDROID_ID.name, tmp_path / "ios" / ANDROID_ID.name
    chat = ANDROID_ID.read_text(encoding="utf-8")
    android.write_text(chat + _CAPTIONED_ANDROID, encoding="utf-8")
    ios.write_text(_as_ios(chat) + _CAPTIONED_IOS, encoding="utf-8")
    con = _migrated(tmp_path / "saring.duckdb")
    one, other = (android, ios) if first == "android" else (ios, android)
    assert import_chat(con, one, SECRET).new == 5
    assert import_chat(con, other, SECRET).new == 0
    texts = [t for (t,) in con.execute("SELECT text FROM tipline_messages").fetchall()]
    assert _CAPTION in texts, texts
    assert not any(mark in t for t in texts for mark in ("attached", ".jpg", "PHOTO", "\u200e")), texts
    assert con.execute("SELECT count(*) FROM tipline_messages").fetchone()[0] == 5


def test_the_import_lists_only_the_links_of_the_messages_it_stored(tmp_path, monkeypatch):
    # The admin imports the group's export every week, each holding the whole history: under
    # "Tipline: ... 0 new items fetched" the import listed every link of the chat again, as if
    # last week's links had just come in and been fetched.
    from typer.testing import CliRunner

    from saring.cli.main import app

    monkeypatch.delenv("SARING_TIPLINE_SECRET", raising=False)
    monkeypatch.setattr("saring.collect.urls.system_resolver", FakeDNS({}))  # the chat's links: no real DNS
    newer = "13/10/23, 09.00 - Budi Santoso: Tolong dicek https://jatimpos.example/kpu-kota-madiun-honor-kpps\n"
    (tmp_path / "later").mkdir()
    later = tmp_path / "later" / ANDROID_ID.name
    later.write_text(ANDROID_ID.read_text(encoding="utf-8") + newer, encoding="utf-8")
    db = str(tmp_path / "saring.duckdb")
    assert CliRunner().invoke(app, ["tipline", "import", str(ANDROID_ID), "--db", db]).exit_code == 0
    result = CliRunner().invoke(app, ["tipline", "import", str(later), "--db", db])
    assert result.exit_code == 0, result.output
    listed = [line.strip() for line in result.output.splitlines() if line.startswith("  ")]
    assert listed == ["https://jatimpos.example/kpu-kota-madiun-honor-kpps"], result.output
    assert "5 messages kept (1 new), 8 skipped, 3 links (1 new)" in result.output


def test_two_groups_imported_from_their_unzipped_iphone_exports_are_kept_apart(tmp_path):
    # An iPhone shares "WhatsApp Chat - <group>.zip"; the maintainer's computer unzips it into a
    # folder of that name holding "_chat.txt", and that file is imported. Every group became the
    # chat "_chat": once the first group's text was purged, the second group's messages older than
    # the first's last purged one were taken for purged ones and never stored.
    first = tmp_path / "WhatsApp Chat - Bakohumas (iOS, Indonesia)" / "_chat.txt"
    second = tmp_path / "WhatsApp Chat - Bakohumas Demo (iOS, English)" / "_chat.txt"
    for export, fixture in ((first, IOS_ID), (second, IOS_EN)):
        export.parent.mkdir()
        export.write_bytes(fixture.read_bytes())
    con = _migrated(tmp_path / "saring.duckdb")
    assert import_chat(con, first, SECRET).new == 2
    assert purge(con, 30, now=datetime.now(UTC) + timedelta(days=31)) == 2
    result = import_chat(con, second, SECRET)
    assert (result.kept, result.new, result.purged) == (2, 2, 0)
    alone = _migrated(tmp_path / "alone.duckdb")  # each labelled as its zip or its .txt would be
    for fixture in (IOS_ID, IOS_EN):
        import_chat(alone, fixture, SECRET)
    chats = "SELECT DISTINCT chat FROM tipline_messages ORDER BY 1"
    assert con.execute(chats).fetchall() == alone.execute(chats).fetchall()


def test_one_to_one_chats_with_two_unsaved_numbers_are_kept_apart(tmp_path):
    # Members forward rumours to the tipline phone, which has not saved them: each one-to-one export
    # is "WhatsApp Chat - +62 8…", and every such chat was labelled "[nomor disamarkan]". Once the
    # first one's text was purged, the second person's older forwards were taken for purged ones
    # and never stored. Each chat is labelled with its person's pseudonym, as a named one is.
    wahyu = SOCIAL / "WhatsApp Chat - Wahyu Hidayat.txt"
    first = tmp_path / "WhatsApp Chat - +62 813-0000-0031.txt"
    first.write_text(re.sub(r"\] \u200e?Wahyu Hidayat: ", "] +62 813-0000-0031: ",
                            wahyu.read_text(encoding="utf-8")), encoding="utf-8")
    second = tmp_path / "WhatsApp Chat - +62 812-0000-0005.txt"
    second.write_bytes(IOS_ID.read_bytes())
    con = _migrated(tmp_path / "saring.duckdb")
    assert import_chat(con, first, SECRET).new > 0
    assert purge(con, 30, now=datetime.now(UTC) + timedelta(days=31)) > 0
    result = import_chat(con, second, SECRET)
    assert (result.kept, result.new, result.purged) == (2, 2, 0)
    chats = [c for (c,) in con.execute("SELECT DISTINCT chat FROM tipline_messages ORDER BY 1").fetchall()]
    assert len(chats) == 2 and all(re.fullmatch(r"\[anggota [0-9a-f]{8}\]", c) for c in chats), chats
    assert f"[anggota {pseudonym('0812 0000 0005', SECRET)[:8]}]" in chats  # the number's pseudonym
    assert not PHONE_DIGITS.search(_all_text(con))


@pytest.mark.parametrize("number", [
    "+62 341 000007",  # an office's WhatsApp Business on a landline (Malang's area code)
    "+65 8000 0007",  # a member on a Singapore number
])
def test_a_mention_of_a_member_known_only_by_a_number_that_is_not_a_mobile_is_masked(tmp_path, number):
    # The exporting phone has not saved a member, so the export names them by their number and writes
    # a mention of them as its digits ("@62341000007"). Indonesian mobiles ("@62812…") were masked
    # as numbers, but a landline or a foreign number was stored as it was in the forward's text.
    digits = re.sub(r"\D", "", number)
    chat = ANDROID_ID.read_text(encoding="utf-8").replace(" - Budi Santoso: ", f" - {number}: ")
    chat = chat.replace("@Budi Santoso", f"@{digits}").replace("mohon dicek", f"mohon dicek @{digits}")
    export = tmp_path / ANDROID_ID.name
    export.write_text(chat, encoding="utf-8")
    con = _migrated(tmp_path / "saring.duckdb")
    assert import_chat(con, export, SECRET).new == 4
    everything = _all_text(con)
    assert digits not in everything and digits[2:] not in everything
    assert "mohon dicek @[nomor disamarkan]" in everything


def test_a_member_saved_under_a_long_name_with_titles_and_office_is_a_sender(tmp_path):
    # Forum members save officials with their titles and office: a contact name of more than 60
    # characters made each of their messages a system line, so their forwards were never imported
    # and their name was no member's, left unmasked where others wrote it.
    long_name = "Dr. H. Budi Santoso, S.Sos., M.Si. (Kabag Humas Setda Pemkot Batu)"
    assert len(long_name) > 60
    chat = ANDROID_ID.read_text(encoding="utf-8").replace(" - Budi Santoso: ", f" - {long_name}: ")
    export = tmp_path / ANDROID_ID.name
    export.write_text(chat, encoding="utf-8")
    senders = {m.sender for m in parse_chat(chat) if m.kind == "text"}
    assert long_name in senders
    con = _migrated(tmp_path / "saring.duckdb")
    result = import_chat(con, export, SECRET)
    assert (result.kept, result.new) == (4, 4)
    everything = _all_text(con)
    assert "Budi" not in everything and "Santoso" not in everything

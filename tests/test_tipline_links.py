"""Tipline links that are odd (IPv6, a broken port) cost that link only; a re-import catches up."""

from __future__ import annotations

from typer.testing import CliRunner

from saring.cli.main import app
from saring.storage.database import Store

CHAT = (
    "13/10/23, 09.00 - Budi Santoso: cek ini http://[::1]:18082/berita-tps\n"
    "13/10/23, 09.05 - Sari: ini juga http://[64:ff9b::7f00:1]/kpu\n"
    "13/10/23, 09.10 - Budi Santoso: dan ini http://kota.example:notaport/hoaks\n"
)


def _tipline(db):
    with Store(db) as store:
        return store.con.execute(
            """SELECT i.url, i.link, i.guid, a.extraction_error FROM items i JOIN articles a USING (item_id)
               WHERE i.source_id = 'tipline' ORDER BY i.url""").fetchall()


def test_ipv6_and_malformed_links_cost_only_themselves(tmp_path, monkeypatch):
    monkeypatch.setenv("SARING_TIPLINE_SECRET", "uji-rahasia-lokal-0123456789")
    chat, db = tmp_path / "WhatsApp Chat dengan Uji.txt", tmp_path / "saring.duckdb"
    chat.write_text(CHAT, encoding="utf-8")
    result = CliRunner().invoke(app, ["tipline", "import", str(chat), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "3 messages kept" in result.output
    rows = _tipline(db)
    messages = [r for r in rows if r[1] is None]
    links = {r[1]: r[3] for r in rows if r[1] is not None}
    assert len(messages) == 3
    # Both IPv6 links became items (brackets kept) and were refused as local addresses.
    assert set(links) == {"http://[::1]:18082/berita-tps", "http://[64:ff9b::7f00:1]/kpu"}
    assert all("private or local" in error for error in links.values())
    # The broken link is not an item; its message is, with the reason recorded.
    reasons = [r[3] for r in messages if r[3]]
    assert len(reasons) == 1 and "port is not a number" in reasons[0] and "notaport" in reasons[0]


def test_reimport_turns_messages_that_never_became_items_into_items(tmp_path, monkeypatch):
    from saring.collect.tipline import import_chat, load_secret

    monkeypatch.setenv("SARING_TIPLINE_SECRET", "uji-rahasia-lokal-0123456789")
    chat, db = tmp_path / "chat.txt", tmp_path / "saring.duckdb"
    chat.write_text(CHAT, encoding="utf-8")
    with Store(db) as store:  # an import that stopped after storing the messages
        import_chat(store.con, chat, load_secret(db))
    assert _tipline(db) == []
    result = CliRunner().invoke(app, ["tipline", "import", str(chat), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "(0 new)" in result.output
    assert len([r for r in _tipline(db) if r[1] is None]) == 3
    again = CliRunner().invoke(app, ["tipline", "import", str(chat), "--db", str(db)])
    assert again.exit_code == 0 and "0 new items" in again.output

"""One resolved configuration: every entry point finds the database and sources file the same way."""

from pathlib import Path

from typer.testing import CliRunner

from saring.cli.main import app
from saring.config import DEFAULT_DB, DEFAULT_SOURCES, DigestSettings
from saring.context import resolve


def test_resolve_follows_the_environment_then_the_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SARING_DB", raising=False)
    monkeypatch.delenv("SARING_SOURCES", raising=False)
    plain = resolve()
    assert (plain.db, plain.sources, plain.config) == (DEFAULT_DB, DEFAULT_SOURCES, None)
    assert plain.digest == DigestSettings() and plain.timezone == "Asia/Jakarta"
    (tmp_path / "mine.yaml").write_text(
        "settings:\n  digest: {high: 0.9}\n  stories: {window_days: 5}\n"
        "sources:\n  - {id: aa, name: A, url: 'https://a.example/feed'}\n", encoding="utf-8")
    monkeypatch.setenv("SARING_DB", str(tmp_path / "x.duckdb"))
    monkeypatch.setenv("SARING_SOURCES", str(tmp_path / "mine.yaml"))
    setup = resolve()
    assert setup.db == tmp_path / "x.duckdb"
    assert setup.digest.high == 0.9 and setup.stories.window_days == 5


def test_every_command_reads_sources_from_the_environment(tmp_path, monkeypatch):
    """`digest` and `web` used to look for ./sources.yaml only; `serve` ignored $SARING_SOURCES."""
    bad = tmp_path / "broken.yaml"
    bad.write_text("sources: [1, 2\n", encoding="utf-8")
    runner = CliRunner()
    env = {"SARING_SOURCES": str(bad), "SARING_DB": str(tmp_path / "db.duckdb")}
    monkeypatch.chdir(Path(__file__).parent.parent)  # where a valid sources.yaml lies
    for args in (["digest", "--out", str(tmp_path / "d")], ["web"], ["serve"]):
        result = runner.invoke(app, args, env=env)
        assert result.exit_code == 2, (args, result.output)
        assert "broken.yaml" in result.output, (args, result.output)


def test_card_risk_bands_are_the_digest_settings():
    # A forum that set settings.digest.high to 0.8 calls 0.75 "sedang" in its digest: its
    # clarification cards must say the same, not the default bands' "tinggi".
    from dataclasses import replace

    from saring.desk.card import Card

    card = Card("check", "c1", "judul", "pesan yang beredar", 0.75, None)
    assert card.bands == DigestSettings() and card.risk == "tinggi"
    assert replace(card, bands=DigestSettings(high=0.8, medium=0.4)).risk == "sedang"

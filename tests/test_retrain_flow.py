"""flows/retrain.py through a real Prefect harness: promote, then re-score with the new version."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_retrain_flow_promotes_and_rescores(prefect_harness, tmp_path, monkeypatch):
    import duckdb

    from flows.retrain import retrain_flow
    from saring.pipeline.ingest import score_pending
    from saring.storage.database import Store

    monkeypatch.delenv("SARING_MODELS", raising=False)
    monkeypatch.setenv("SARING_MODEL_HOME", str(tmp_path / "models"))
    db = tmp_path / "saring.duckdb"
    texts = [p.read_text(encoding="utf-8") for p in sorted((REPO / "sample/seed_articles").glob("*.txt"))]
    now = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    with Store(db) as store:
        store.add_items([dict(item_id=f"i{i}", url=f"https://x.example/{i}", source_id="s", title="t",
                              first_seen_at=now, state="seen") for i in range(len(texts))])
        store.save_articles([dict(item_id=f"i{i}", text=t, text_source="page") for i, t in enumerate(texts)])
        score_pending(store)

    refused = retrain_flow(db=str(db), tolerance=-0.5, max_base_rows=60)
    assert not refused["promoted"] and refused["current_version"] == "shipped" and refused["rescored"] == 0
    result = retrain_flow(db=str(db), tolerance=1.0, max_base_rows=60)
    assert result["promoted"] and result["rescored"] == len(texts)
    # No forum label falls on a fact-check match here: the new version keeps the floor's set rule
    # and its card says why (evidence.fit_floor).
    import json

    card = json.loads((tmp_path / "models" / result["version"] / "hoax.json").read_text(encoding="utf-8"))
    assert card["evidence_floor"]["kind"] == "rule" and card["evidence_floor"]["labels"] == 0
    assert "fitting needs 30" in card["evidence_floor"]["why"]
    con = duckdb.connect(str(db))
    assert con.execute("SELECT count(DISTINCT model_version) FROM scores").fetchone()[0] == 2
    con.close()


def test_retrain_flow_without_a_database_promotes_but_makes_no_empty_one(prefect_harness, tmp_path,
                                                                         monkeypatch):
    # The flow run by hand with no db and no SARING_DB, where no ingest has run (a fresh server):
    # training on the base data alone is allowed, but the re-score after the promotion made an
    # empty data/saring.duckdb, whose digest tells the forum "0 berita ... semua sumber terbaca".
    from flows.retrain import retrain_flow

    monkeypatch.delenv("SARING_MODELS", raising=False)
    monkeypatch.delenv("SARING_DB", raising=False)
    monkeypatch.setenv("SARING_MODEL_HOME", str(tmp_path / "models"))
    monkeypatch.chdir(tmp_path)
    result = retrain_flow(tolerance=1.0, max_base_rows=60)
    assert result["promoted"] and result["rescored"] == 0
    assert not (tmp_path / "data").exists()

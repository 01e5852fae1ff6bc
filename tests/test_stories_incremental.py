"""Incremental story assignment (each run compares only its new items with their window)."""

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

from saring.judge.stories import add_to_stories, assign_stories
from saring.storage.database import Store

PRATIWI = Path(__file__).resolve().parent.parent / "classifiers/data/pratiwi2017_hoax/pratiwi2017_hoax_train.csv"


def _articles(topic, n):
    rows = [r for r in csv.DictReader(PRATIWI.open(encoding="utf-8")) if r["topic_id"] == str(topic)]
    return [r["berita"] for r in rows[:n]]


def _add(store, rows):
    store.add_items([dict(item_id=i, url=f"https://{s}.example/{i}", source_id=s, title="", first_seen_at=t,
                          state="seen") for i, s, t, _ in rows])
    store.save_articles([dict(item_id=i, text=x, text_source="page") for i, _, _, x in rows])


def test_new_items_join_grow_and_bridge_stories(tmp_path):
    now = datetime.now(UTC) - timedelta(days=2)
    lele, facebook = _articles(1, 6), _articles(11, 2)
    with Store(tmp_path / "db.duckdb") as store:
        con = store.con
        _add(store, [("a1", "kompas", now, lele[0]), ("a2", "detik", now + timedelta(hours=1), lele[1]),
                     ("f1", "tempo", now, facebook[0])])
        assert add_to_stories(con) == 3
        stories = dict(con.execute("SELECT item_id, story_id FROM stories").fetchall())
        assert stories["a2"] == "a1" and stories["f1"] == "f1"
        _add(store, [("a3", "tribun", now + timedelta(hours=5), lele[2])])
        assert add_to_stories(con) == 1  # only the new item is placed
        assert dict(con.execute("SELECT item_id, story_id FROM stories").fetchall())["a3"] == "a1"
        assert add_to_stories(con) == 0  # nothing left without a story
        # Same grouping as regrouping everything from scratch.
        incremental = dict(con.execute("SELECT item_id, story_id FROM stories").fetchall())
        assign_stories(con, days=30)
        assert dict(con.execute("SELECT item_id, story_id FROM stories").fetchall()) == incremental

"""Incremental story assignment (each run compares only its new items with their window)."""

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

from saring.judge.stories import CountedTexts, add_to_stories, assign_stories, term_counts
from saring.storage.database import Store

PRATIWI = (Path(__file__).resolve().parent.parent
           / "classifiers/data/pratiwi2017_hoax/pratiwi2017_hoax_train.csv")


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


def test_a_new_item_bridging_two_stories_merges_them_under_the_older_id(tmp_path):
    """A new item that links two stories merges them: the younger story's items outside the new
    item's window are folded in too (the bridge), and the merged story keeps the id of the story
    that began first, as regrouping from scratch would."""
    t0 = datetime.now(UTC) - timedelta(days=12)
    lele, facebook = _articles(1, 1)[0], _articles(11, 1)[0]
    with Store(tmp_path / "db.duckdb") as store:
        con = store.con
        # Story "b1": one claim retold every 2.5 days (a chain: b1 and b3 are 5 days apart).
        # Story "a0": another claim, begun after "b1", retold at 4.6 days.
        _add(store, [("b1", "kompas", t0, lele), ("b2", "detik", t0 + timedelta(days=2.5), lele),
                     ("b3", "tempo", t0 + timedelta(days=5), lele),
                     ("a0", "suara", t0 + timedelta(days=2), facebook),
                     ("a1", "tribun", t0 + timedelta(days=4.6), facebook)])
        assert add_to_stories(con, window_days=3) == 5
        before = dict(con.execute("SELECT item_id, story_id FROM stories").fetchall())
        assert before == {"b1": "b1", "b2": "b1", "b3": "b1", "a0": "a0", "a1": "a0"}
        # One article carrying both claims, 7.5 days in: its window (4.5-10.5 days) reaches a1
        # and b3 only; in that window "a0"'s item comes first, but "b1" began first.
        _add(store, [("z", "antara", t0 + timedelta(days=7.5), facebook + "\n" + lele)])
        assert add_to_stories(con, window_days=3) == 1
        after = dict(con.execute("SELECT item_id, story_id FROM stories").fetchall())
        assert after == {item: "b1" for item in ("b1", "b2", "b3", "a0", "a1", "z")}
        assign_stories(con, days=30, window_days=3)  # the same as regrouping everything
        assert dict(con.execute("SELECT item_id, story_id FROM stories").fetchall()) == after


def test_stored_term_counts_give_the_same_similarities_as_refitting_tfidf():
    """The kept term counts rebuild the story TF-IDF exactly (up to hash collisions): on real
    articles of six claims, every pairwise similarity matches a fresh fit to 1e-5, so the
    threshold measured with measure_story_threshold still applies."""
    import numpy as np

    from saring.judge.stories import story_vectorizer, term_counts, tfidf_from_counts

    texts = [t for topic in (1, 2, 3, 5, 8, 11) for t in _articles(topic, 15)]
    fitted = story_vectorizer().fit_transform(texts)
    rebuilt = tfidf_from_counts(term_counts(texts))
    assert np.abs((fitted @ fitted.T).toarray() - (rebuilt @ rebuilt.T).toarray()).max() < 1e-5


def test_a_run_compares_with_the_kept_counts_not_by_rereading_every_text(tmp_path):
    """Each grouped item's term counts are kept when it gets its story; a later run reads the
    window's counts, not its texts (so its cost follows what it added, not the history)."""
    now = datetime.now(UTC) - timedelta(days=1)
    lele, facebook = _articles(1, 3), _articles(11, 1)
    with Store(tmp_path / "db.duckdb") as store:
        con = store.con
        _add(store, [("a1", "kompas", now, lele[0]), ("f1", "tempo", now, facebook[0])])
        assert add_to_stories(con) == 2
        kept = con.execute("SELECT item_id, len(terms) > 20 FROM story_vectors ORDER BY 1").fetchall()
        assert kept == [("a1", True), ("f1", True)]
        # a1's stored text changes afterwards; the run compares with what a1 was grouped by.
        con.execute("UPDATE articles SET text = ? WHERE item_id = 'a1'", [facebook[0]])
        _add(store, [("a2", "detik", now + timedelta(hours=2), lele[1])])
        assert add_to_stories(con) == 1
        assert dict(con.execute("SELECT item_id, story_id FROM stories").fetchall())["a2"] == "a1"


def test_items_grouped_before_the_counts_were_kept_get_them_when_needed(tmp_path):
    """A database grouped before schema v9 (or by ``stories assign``) has no counts: a run
    computes those of its window once from the texts, and groups as before."""
    now = datetime.now(UTC) - timedelta(days=1)
    lele, facebook = _articles(1, 3), _articles(11, 1)
    with Store(tmp_path / "db.duckdb") as store:
        con = store.con
        _add(store, [("a1", "kompas", now, lele[0]), ("f1", "tempo", now, facebook[0]),
                     ("old", "tempo", now - timedelta(days=20), lele[2])])
        assign_stories(con, days=30)
        assert con.execute("SELECT count(*) FROM story_vectors").fetchall() == [(0,)]
        _add(store, [("a2", "detik", now + timedelta(hours=2), lele[1])])
        assert add_to_stories(con) == 1
        assert dict(con.execute("SELECT item_id, story_id FROM stories").fetchall())["a2"] == "a1"
        # The window's items got their counts; the item 20 days back (outside it) did not.
        assert [r[0] for r in con.execute("SELECT item_id FROM story_vectors ORDER BY 1").fetchall()] == [
            "a1", "a2", "f1"]


def test_term_counts_counted_during_the_run_are_the_ones_grouping_would_count(tmp_path):
    """The scoring helper counts story terms while the run downloads (CountedTexts); grouping
    uses them only for an unchanged text, and its result is the same as counting everything."""
    texts = _articles(1, 4) + _articles(11, 2)
    early = CountedTexts()
    early.add(["a0", "a1", "f0"], [f"\n{texts[0]}", f"\n{texts[1]}", "\nan older text of f0"],
              term_counts([f"\n{texts[0]}", f"\n{texts[1]}", "\nan older text of f0"]))
    wanted = [f"\n{t}" for t in texts]
    ids = ["a0", "a1", "a2", "a3", "f0", "f1"]
    got = early.counts(ids, wanted)
    assert (got != term_counts(wanted)).nnz == 0 and got.shape == term_counts(wanted).shape
    assert early.kept("a0", wanted[0]) and not early.kept("f0", wanted[4])  # f0's text changed
    stand_in = term_counts(["other words altogether"])
    early.add(["x"], ["\nsome text"], stand_in)  # kept counts are used as they are, not recounted
    assert (early.counts(["x"], ["\nsome text"]) != stand_in).nnz == 0

    now = datetime.now(UTC) - timedelta(hours=5)
    rows = [(i, "src", now + timedelta(minutes=k), t)
            for k, (i, t) in enumerate(zip(ids, texts, strict=True))]
    groupings = []
    for counted in (None, early):
        with Store(tmp_path / f"{counted is None}.duckdb") as store:
            _add(store, rows)
            assert add_to_stories(store.con, counted=counted) == 6
            read = store.con.execute
            groupings.append((read("SELECT item_id, story_id FROM stories ORDER BY 1").fetchall(),
                              read("SELECT item_id, terms, counts FROM story_vectors ORDER BY 1").fetchall()))
    assert groupings[0] == groupings[1]

"""The analysts' notebooks run top to bottom on a database built from the served sample."""

from pathlib import Path

import pytest
from _db import forum_repo

from saring.config import parse_config
from saring.pipeline.demo import demo_chat, demo_sources
from saring.pipeline.ingest import run_ingest
from saring.storage.database import Store

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", ["explore.ipynb", "stories.ipynb"])
def test_notebook_runs(name, sample_site, tmp_path, monkeypatch, scorer):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    db = tmp_path / "saring.duckdb"
    raw = demo_sources(sample_site.base_url, sample_site.root_dir)
    with Store(db) as store:
        run_ingest(parse_config(raw), store, scorer=scorer)
        if name == "stories.ipynb":
            from saring.collect.tipline import import_chat
            from saring.pipeline.forwarded import feed_tipline
            from saring.storage.database import utcnow

            started = utcnow()
            chat = demo_chat(sample_site.base_url, tmp_path / "chat.txt")
            import_chat(store.con, chat, b"uji-rahasia-lokal-0123456789")
            feed_tipline(store, since=started, allow_private=True, scorer=scorer)
        store.publish_snapshot()
    monkeypatch.setenv("SARING_DB", str(db))
    nb = nbformat.read(REPO / "notebooks" / name, as_version=4)
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(REPO)}}).execute()
    outputs = "".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
                      for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    if name == "stories.ipynb":
        assert "stories carried by more than one outlet" in outputs and "item/fact-check matches" in outputs
        assert "tipline messages" in outputs


def test_two_stories_with_one_title_stay_two_columns_in_the_daily_growth(ingested, monkeypatch):
    # Outlets reuse a headline ("Cek Fakta: ..." columns, a wire story's title): stories.ipynb
    # pivoted its day-by-day growth by title, so two such stories were summed into one column.
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    db = ingested
    with Store(db) as store:
        first, second = (row[0] for row in store.con.execute(
            "SELECT story_id FROM story_overview WHERE n_outlets > 1 ORDER BY story_id LIMIT 2").fetchall())
        title = store.con.execute("SELECT title FROM story_overview WHERE story_id = ?",
                                  [first]).fetchone()[0]
        for table in ("items", "articles"):  # the second story's items take the first one's headline
            store.con.execute(f"UPDATE {table} SET title = ? WHERE item_id IN "
                              "(SELECT item_id FROM stories WHERE story_id = ?)", [title, second])
        store.publish_snapshot(erase=True)  # every table afresh: the ingest published the old titles
    monkeypatch.setenv("SARING_DB", str(db))
    nb = nbformat.read(REPO / "notebooks" / "stories.ipynb", as_version=4)
    growth = next(i for i, c in enumerate(nb.cells) if "pivot_table" in c.source)
    probe = (f"print(list(_.columns.get_level_values(-1)).count({title!r}), len(_.columns), "
             "con.execute('SELECT count(*) FROM story_overview WHERE n_outlets > 1').fetchone()[0])")
    nb.cells = [*nb.cells[:growth + 1], nbformat.v4.new_code_cell(probe)]
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(REPO)}}).execute()
    same_title, columns, stories = map(int, nb.cells[-1].outputs[0]["text"].split())
    assert same_title == 2 and columns == stories, nb.cells[-1].outputs[0]["text"]


@pytest.mark.parametrize("name", ["explore.ipynb", "stories.ipynb", "lifecycle.ipynb", "models.ipynb"])
def test_notebook_opened_in_jupyter_after_make_demo_finds_the_demo(name, sample_site, tmp_path, monkeypatch,
                                                                   scorer):
    # `make demo` writes data/demo/ at the repository's root; Jupyter runs notebooks/x.ipynb in
    # notebooks/, where "data/demo/saring.duckdb" is not: "no database ... run `saring ingest`".
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)
    monkeypatch.chdir(repo)
    db = "data/demo/weekly/saring.duckdb" if name == "lifecycle.ipynb" else "data/demo/saring.duckdb"
    raw = demo_sources(sample_site.base_url, sample_site.root_dir)
    with Store(db) as store:  # relative, as `saring demo` opens it
        run_ingest(parse_config(raw), store, scorer=scorer)
    monkeypatch.delenv("SARING_DB", raising=False)
    nb = nbformat.read(REPO / "notebooks" / name, as_version=4)
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(repo / "notebooks")}}).execute()


@pytest.mark.parametrize("name", ["explore.ipynb", "stories.ipynb", "lifecycle.ipynb", "models.ipynb"])
def test_notebook_opened_in_jupyter_counts_the_days_of_the_forums_clock(name, tmp_path, monkeypatch):
    # A Makassar forum sets `timezone: WITA` in the repository's sources.yaml; Jupyter runs the
    # notebook in notebooks/, where saring.connect() found no sources.yaml and used WIB: "the
    # forum's days" of stories.ipynb and lifecycle.ipynb were Jakarta's, not its digest's.
    repo = forum_repo(tmp_path, monkeypatch, "  schedule:\n    timezone: WITA\n")
    db = "data/demo/weekly/saring.duckdb" if name == "lifecycle.ipynb" else "data/demo/saring.duckdb"
    Store(db).close()
    nb, _ = _opened_then(name, repo,
                         "print(con.execute(\"SELECT current_setting('TimeZone')\").fetchone()[0])")
    assert nb.cells[-1].outputs[0]["text"].strip() == "Asia/Makassar"


def _opened_then(name: str, repo, probe: str):
    """Run the notebook's first code cell (it opens ``con``) and then ``probe``, as Jupyter does
    in ``repo``/notebooks; returns the notebook as run and the index of that first cell."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(REPO / "notebooks" / name, as_version=4)
    first = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    nb.cells = [*nb.cells[:first + 1], nbformat.v4.new_code_cell(probe)]
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(repo / "notebooks")}}).execute()
    return nb, first


def test_explore_counts_election_items_at_the_forums_threshold(ingested, tmp_path, monkeypatch):
    # A forum that set `election_threshold: 0.99` in settings.digest (its digest was too long) saw
    # explore.ipynb count and list the election items at a fixed 0.5: never the digest's numbers.
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    import saring

    db = ingested
    repo = forum_repo(tmp_path, monkeypatch, "  digest: {election_threshold: 0.99}\n", db)
    with saring.connect(db, timezone="WIB") as con:
        want, at_half = con.execute("SELECT count(*) FILTER (WHERE election_score >= 0.99), count(*) "
                                    "FILTER (WHERE election_score >= 0.5) FROM item_overview").fetchone()
    assert want != at_half  # the sample tells the two apart
    nb = nbformat.read(REPO / "notebooks" / "explore.ipynb", as_version=4)
    codes = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    per_source, riskiest = codes[1], codes[2]  # items per source; the highest-risk election items
    nb.cells.insert(riskiest + 1, nbformat.v4.new_code_cell("print(len(_))"))
    nb.cells.insert(per_source + 1, nbformat.v4.new_code_cell("print(int(_['election'].sum()))"))
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(repo / "notebooks")}}).execute()
    counted = int(nb.cells[per_source + 1].outputs[0]["text"])
    listed = int(nb.cells[riskiest + 2].outputs[0]["text"])
    assert counted == want and listed == min(want, 20), (counted, listed, want, at_half)


@pytest.mark.parametrize("name", ["explore.ipynb", "stories.ipynb", "lifecycle.ipynb", "models.ipynb"])
def test_notebook_opens_the_forums_database_before_the_demos(name, tmp_path, monkeypatch):
    # On the forum's server, where `make demo` once ran next to the production data/saring.duckdb,
    # explore, stories and lifecycle showed the demo's items as if they were the forum's.
    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)
    monkeypatch.chdir(repo)
    for db in ("data/saring.duckdb", "data/demo/saring.duckdb", "data/demo/weekly/saring.duckdb"):
        Store(db).close()
    for var in ("SARING_DB", "SARING_SOURCES"):
        monkeypatch.delenv(var, raising=False)
    nb, first = _opened_then(
        name, repo, "print(con.execute('SELECT path FROM duckdb_databases() WHERE NOT internal').fetchall())")
    opened = nb.cells[-1].outputs[0]["text"]
    assert str(repo / "data" / "saring.published") in opened and "demo" not in opened, opened
    said = "".join(o.get("text", "") for o in nb.cells[first].outputs)
    assert f"database: {repo / 'data' / 'saring.duckdb'}" in said, said  # it says which it opened

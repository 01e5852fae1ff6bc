"""The benchmark's stored history (benchmarks/_corpus.py) fits today's schema.

`make bench` fills a database with a million articles this way; a schema step that adds a column
broke it once, and only `make bench` (never run by CI) found out.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from _corpus import fill  # noqa: E402

from saring.judge.places import PLACES_VERSION
from saring.storage.database import Store


def test_the_benchmark_history_fills_a_current_database_and_publishes(tmp_path):
    with Store(tmp_path / "b.duckdb") as store:
        stats = fill(store.con, 300, "v", PLACES_VERSION)
        store.publish_snapshot()
        runs = store.con.execute("SELECT count(*) FROM runs").fetchone()[0]
    assert stats["rows"] == 300 and stats["distinct"] == 300
    assert runs == 300 // 60 + 1  # a run per 60 articles and the history's last one

"""The text saring stores through the whole pipeline is as faithful as trafilatura's own.

Real pages with ground truth (scrapinghub article-extraction-benchmark, benchmarks/fidelity/),
served on 127.0.0.1 behind a feed and ingested for real; token F1 as in the benchmark.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from _fidelity import load_pages, mean_f1, through_pipeline, token_f1, trafilatura_alone  # noqa: E402

# Five pages also in tests/fixtures/pages/scrapinghub, and 11ea381a, whose article is mostly
# a table (dropping tables stored a third of it).
IDS = ["042bb7b5", "11ea381a", "374ac9a5", "686bb170", "9e8c9f08", "c90731f0"]


def test_token_f1_definition():
    assert token_f1("Pemilu, pemilu damai!", "pemilu damai") == 2 * (2 / 3 * 1) / (2 / 3 + 1)
    assert token_f1(None, "pemilu") == 0.0 and token_f1("", "pemilu") == 0.0


def test_stored_text_scores_at_least_trafilatura_alone():
    pages = load_pages(IDS)
    assert len(pages) == len(IDS)
    stored, alone = through_pipeline(pages), trafilatura_alone(pages)
    assert all(stored.values()), "every page stored its text"
    assert mean_f1(stored, pages) >= mean_f1(alone, pages)
    table = next(p for p in pages if p.page_id.startswith("11ea381a"))
    assert token_f1(stored[table.page_id], table.truth) > 0.9

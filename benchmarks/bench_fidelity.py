"""Extraction fidelity: token F1 of the text saring stores (feed -> fetch -> extract -> store)
vs trafilatura alone with its default settings, on 46 pages of the scrapinghub
article-extraction-benchmark served from 127.0.0.1. Target: saring >= trafilatura.

Run: ``.venv/bin/python benchmarks/bench_fidelity.py`` (``make bench`` runs it through
bench_ingest.py, which writes the row into RESULTS.md). Deterministic: one run suffices.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _fidelity import load_pages, mean_f1, through_pipeline, token_f1, trafilatura_alone  # noqa: E402


def measure(verbose: bool = False) -> tuple[int, float, float]:
    """(pages, saring's mean token F1, trafilatura's) on every benchmark page."""
    pages = load_pages()
    alone, stored = trafilatura_alone(pages), through_pipeline(pages)
    if verbose:
        for p in pages:
            a, s = token_f1(alone[p.page_id], p.truth), token_f1(stored[p.page_id], p.truth)
            print(f"    {p.page_id[:12]}  trafilatura {a:.3f}  saring {s:.3f}{'  <' if s < a else ''}")
    return len(pages), mean_f1(stored, pages), mean_f1(alone, pages)


def main() -> None:
    n, saring, alone = measure(verbose="-v" in sys.argv)
    flag = "MET" if saring >= alone else "NOT MET"
    print(f"extraction fidelity, token F1 over {n} pages: saring {saring:.4f}, trafilatura alone {alone:.4f}"
          f"   target saring >= trafilatura {flag}")


if __name__ == "__main__":
    main()

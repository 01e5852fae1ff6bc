"""Comparing whole databases in tests: the rows that must not change between equivalent runs."""

import duckdb

# Every column except the timestamps of when saring did something.
KEYS = {
    "items": "item_id, url, link, source_id, title, summary, published_at, author, guid, state",
    "articles": "item_id, final_url, http_status, text, text_source, title, published_at, author, "
                "language, extraction_error",
    "scores": "item_id, model_version, election_score, hoax_score, election_terms, hoax_terms",
    "item_places": "item_id, code, name, level, province_code, matched, rule, first_pos",
}


def table_rows(db) -> dict[str, list[tuple]]:
    """Sorted rows of items, articles and scores, read-only."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: sorted(con.execute(f"SELECT {cols} FROM {t}").fetchall(), key=str) for t, cols in KEYS.items()}
    finally:
        con.close()

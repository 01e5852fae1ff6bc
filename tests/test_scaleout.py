"""The scale-out path on a real local Dask cluster (2 worker processes) gives the same rows."""

import pytest

from saring.pipeline.demo import write_demo_sources

pytest.importorskip("prefect_dask")

from _db import table_rows as _rows


def test_dask_run_equals_single_process_run(prefect_harness, sample_site, tmp_path):
    from flows.ingest import ingest_flow
    from flows.scaled import scaled_ingest_flow

    sources = write_demo_sources(tmp_path / "sources.yaml", sample_site.base_url)
    single, scaled = tmp_path / "single.duckdb", tmp_path / "scaled.duckdb"
    ingest_flow(sources=str(sources), db=str(single))
    result = scaled_ingest_flow(n_workers=2)(sources=str(sources), db=str(scaled),
                                             parts_dir=str(tmp_path / "parts"), chunk_size=5,
                                             part_timeout=240)
    assert result["status"] == "ok" and result["new_items"] > 0
    assert result["scored"] == 0  # the workers scored everything already
    assert _rows(scaled) == _rows(single)
    assert list((tmp_path / "parts").rglob("*.articles.parquet"))

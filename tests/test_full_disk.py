"""A full disk mid-run: one clear message, and what was stored before stays readable.

Needs a small tmpfs (root with mount rights, as in CI); skipped with the reason otherwise.
"""

import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from saring.cli.main import app
from saring.pipeline.demo import write_demo_sources
from saring.storage.database import Store

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture()
def small_disk(tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.strip() or 'not root'})")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_full_disk_gives_one_message_and_keeps_earlier_rows(small_disk, sample_site, tmp_path):
    db = small_disk / "saring.duckdb"
    with Store(db) as store:  # an empty database and its snapshot fit
        store.con.execute("CREATE TABLE keep_me AS SELECT 42 AS answer")
        store.con.execute("CHECKPOINT")
    sources = write_demo_sources(tmp_path / "sources.yaml", sample_site.base_url)
    filler = small_disk / "filler"
    free = shutil.disk_usage(small_disk).free
    filler.write_bytes(b"\0" * max(free - 64 * 1024, 0))  # leave 64 KB: not enough for the run
    result = CliRunner().invoke(app, ["ingest", "--sources", str(sources), "--db", str(db)])
    assert result.exit_code != 0
    assert "disk is full" in result.output or "stopped accepting writes" in result.output, result.output
    assert "Traceback" not in result.output
    filler.unlink()
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(db, copy)
    wal = db.with_name(db.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, copy.with_name(copy.name + ".wal"))
    con = duckdb.connect(str(copy))
    assert con.execute("SELECT answer FROM keep_me").fetchone()[0] == 42
    con.close()


def test_read_only_disk_gives_one_message_and_keeps_the_file(small_disk, sample_site, tmp_path):
    db = small_disk / "saring.duckdb"
    with Store(db) as store:
        store.con.execute("CREATE TABLE keep_me AS SELECT 42 AS answer")
    before = db.read_bytes()
    if subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], capture_output=True).returncode:
        pytest.skip("cannot remount the tmpfs read-only here")
    sources = write_demo_sources(tmp_path / "sources.yaml", sample_site.base_url)
    result = CliRunner().invoke(app, ["ingest", "--sources", str(sources), "--db", str(db)])
    assert result.exit_code == 2
    assert "read-only" in result.output and "Traceback" not in result.output, result.output
    assert db.read_bytes() == before


def test_a_retrain_on_a_full_disk_says_so_and_keeps_the_promoted_model(small_disk, tmp_path, monkeypatch):
    # The model folder's disk fills up while `saring train` writes the new version: the maintainer
    # gets one sentence (no traceback), the promoted model still scores, and the half-written
    # version is removed (it would take the space the next retrain needs and never be listed).
    from saring.judge.classifier import registry
    from saring.judge.classifier.score import load_scorer

    monkeypatch.delenv("SARING_MODELS", raising=False)
    monkeypatch.setenv("SARING_MODEL_HOME", str(small_disk / "models"))
    db = tmp_path / "saring.duckdb"
    with Store(db):  # the forum's database, on another disk
        pass
    filler = small_disk / "filler"
    free = shutil.disk_usage(small_disk).free
    filler.write_bytes(b"\0" * max(free - 32 * 1024, 0))  # 32 KB left: less than one small model
    result = CliRunner().invoke(app, ["train", "--db", str(db),
                                      "--max-base-rows", "80", "--tolerance", "1.0"])
    assert result.exit_code == 2, result.output
    flat = " ".join(result.output.split())
    assert "disk is full" in flat and "current model stays shipped" in flat, flat
    assert "Traceback" not in result.output
    assert registry.current_version() == "shipped" and load_scorer().model_version
    assert [p.name for p in (small_disk / "models").iterdir()] == []


def test_a_score_that_fills_the_disk_leaves_the_earlier_output_whole(small_disk, tmp_path):
    # `saring score` of a sheet grown since, to the same -o, on a nearly full disk: the earlier
    # scored file was emptied first and then cut off where the disk ran out: both results lost.
    import pandas as pd

    held = pd.read_csv(REPO / "classifiers/data/heldout/hoax_cross_topic.csv", dtype=str)
    src = tmp_path / "data.csv"
    held[["text"]].head(30).to_csv(src, index=False)
    out = small_disk / "scored.csv"
    first = CliRunner().invoke(app, ["score", str(src), "--output", str(out)])
    assert first.exit_code == 0, first.output
    earlier = out.read_bytes()
    filler = small_disk / "filler"
    free = shutil.disk_usage(small_disk).free
    filler.write_bytes(b"\0" * max(free - len(earlier) // 2, 0))  # room for half the earlier file
    held[["text"]].head(90).to_csv(src, index=False)  # three times the rows
    result = CliRunner().invoke(app, ["score", str(src), "--output", str(out)])
    flat = " ".join(result.output.split())
    assert result.exit_code == 2 and "cannot write" in flat and "Traceback" not in flat, flat
    assert out.read_bytes() == earlier
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "scored.csv"]  # no part left behind


def test_a_label_export_that_fills_the_disk_leaves_the_earlier_sheet_whole(small_disk, ingested):
    # `saring label export` over last week's sheet (imported, so the overwrite guard lets it go) on a
    # nearly full disk: the sheet was emptied first and then cut off where the disk ran out, a CSV
    # the forum could open and label with most of its rows missing.
    out = small_disk / "to_label.csv"
    args = ["label", "export", "--db", str(ingested), "-o", str(out)]
    first = CliRunner().invoke(app, [*args, "--limit", "2"])
    assert first.exit_code == 0, first.output
    earlier = out.read_bytes()
    filler = small_disk / "filler"
    free = shutil.disk_usage(small_disk).free
    filler.write_bytes(b"\0" * max(free - len(earlier) // 2, 0))  # room for half the earlier sheet
    result = CliRunner().invoke(app, args)  # every candidate, not two
    flat = " ".join(result.output.split())
    assert result.exit_code == 2 and "Traceback" not in flat, flat
    assert out.read_bytes() == earlier
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "to_label.csv"]  # no part left behind
    assert "cannot write" in flat and "to_label.csv" in flat, flat  # not a bare "[Errno 28]": which file?

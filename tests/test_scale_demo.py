"""`make scale-demo` end to end: a real Prefect server, a process worker, a Dask scheduler and two
Dask workers, each its own OS process on 127.0.0.1; one Dask worker is killed mid-run.

Slow (one to three minutes, most of it starting processes); CI runs it. It is the only test of
flows/scaled.py: an in-process LocalCluster copy of it (70 s) proved nothing this one does not.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("prefect_dask")

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_scale_demo_survives_a_lost_dask_worker_with_the_single_process_rows(tmp_path):
    work = tmp_path / "scale"
    out = subprocess.run([sys.executable, str(REPO / "scripts" / "scale_demo.py"), "--keep", str(work)],
                         cwd=REPO, capture_output=True, text=True, timeout=560)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-4000:]
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["run_state"] == "COMPLETED"
    assert summary["killed"] in ("dask-worker-1", "dask-worker-2") and summary["dask_workers_left"] == 1
    assert summary["run_state_when_killed"] == "RUNNING"  # the kill happened mid-run
    assert summary["rows_equal_single_process"] and summary["rows"]["articles"] > 0
    assert summary["parts"] > summary["parts_when_killed"]
    assert summary["ui_served_locally"] and summary["network_beyond_loopback"] == []
    assert summary["watched_processes"] >= 9  # every Python process carried the audit hook

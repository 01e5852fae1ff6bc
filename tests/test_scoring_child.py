"""Scoring and place finding in a helper process during ingest (saring.pipeline.scoring_child)."""

import os
import signal
import subprocess
import sys
import time

import pytest

from saring.judge.places import find_places
from saring.pipeline.scoring_child import ScoringChild

TEXTS = [
    "KPU Kota Batu menetapkan daftar pemilih tetap untuk Pemilu 2024.",
    "INFO PENTING!!! Surat suara sudah dicoblos. Sebarkan ke semua grup! www.kabar-viral.example",
    "Cek di www.kabarbatu.co.id ya",
]
ROWS = [("Rapat pleno di Kota Malang", "KPU Kabupaten Sidoarjo hadir."), (None, "Tidak ada tempat.")]


def _plain(scores):
    return [(round(s.election_score, 9), round(s.hoax_score, 9), s.election_terms, s.hoax_terms)
            for s in scores]


def test_the_helper_process_scores_and_finds_places_as_this_process_does(scorer):
    with ScoringChild(scorer) as child:
        assert child.helper_pid not in (None, os.getpid())  # it is another process
        there = child.scorer.with_outlets(("kabarbatu.co.id",))
        assert there.model_version == scorer.model_version
        assert _plain(there.score(TEXTS)) == _plain(scorer.with_outlets(("kabarbatu.co.id",)).score(TEXTS))
        assert child.find_places(ROWS) == [find_places(t, x) for t, x in ROWS]


def test_the_helper_is_kept_for_the_next_run_with_the_same_models(scorer):
    with ScoringChild(scorer) as child:
        first = child.helper_pid
    with ScoringChild(scorer) as child:
        assert child.helper_pid == first
    with ScoringChild() as child:  # the current models, loaded by the helper itself
        assert child.helper_pid not in (None, first)
        assert child.model_version == scorer.model_version
        assert _plain(child.scorer.score(TEXTS)) == _plain(scorer.score(TEXTS))


def test_a_lost_helper_process_leaves_the_work_to_this_one(scorer):
    # The OOM killer may take the helper: the run then scores in its own process, losing nothing.
    with ScoringChild(scorer) as child:
        os.kill(child.helper_pid, signal.SIGKILL)
        assert _plain(child.scorer.with_outlets(()).score(TEXTS)) == _plain(scorer.score(TEXTS))
        assert child.find_places(ROWS) == [find_places(t, x) for t, x in ROWS]
        assert child.helper_pid is None  # the rest of the run works here
    with ScoringChild(scorer) as child:  # the next run starts a new helper
        assert child.helper_pid not in (None, os.getpid())


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as status:
            return not any(line.startswith("State:") and "Z" in line.split()[1] for line in status)
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads process states from /proc")
def test_helper_processes_end_with_a_run_that_was_killed():
    # The OOM killer or a cancelled flow run kills the ingest process without a word to its
    # helpers: the extraction workers and the scoring helper must not wait for work forever.
    code = """if True:
        import os, time
        from saring.collect.extract import Extractor
        from saring.pipeline.scoring_child import ScoringChild
        extractor = Extractor(workers=2)
        extractor.start()
        while not extractor.ready:
            time.sleep(0.05)
        helper = ScoringChild().helper_pid  # it loads the current models itself
        print(os.getpid(), helper, *extractor._pool._processes, flush=True)
        os.kill(os.getpid(), 9)"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    run, *pids = [int(p) for p in out.stdout.split()]
    assert len(pids) >= 2 and run not in pids, out.stderr[-2000:]
    deadline = time.monotonic() + 30
    while any(map(_running, pids)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [p for p in pids if _running(p)]

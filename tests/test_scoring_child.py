"""Scoring and place finding in a forked helper process during ingest (saring.pipeline.scoring_child)."""

import os
import signal
import sys

import pytest

from saring.judge.places import find_places, finder
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


@pytest.mark.skipif(sys.platform != "linux", reason="the helper process is forked on Linux only")
def test_the_helper_process_scores_and_finds_places_as_this_process_does(scorer):
    finder().pattern  # noqa: B018 - compiled before the fork, as the scoring lane does
    with ScoringChild(scorer) as child:
        assert child.call(os.getpid, here=os.getpid) != os.getpid()  # it is another process
        there = child.scorer.with_outlets(("kabarbatu.co.id",))
        assert there.model_version == scorer.model_version
        assert _plain(there.score(TEXTS)) == _plain(scorer.with_outlets(("kabarbatu.co.id",)).score(TEXTS))
        assert child.find_places(ROWS) == [find_places(t, x) for t, x in ROWS]


def test_a_lost_helper_process_leaves_the_work_to_this_one(scorer):
    # The OOM killer may take the child: the run then scores in its own process, losing nothing.
    with ScoringChild(scorer) as child:
        pid = child.call(os.getpid, here=os.getpid)
        if pid != os.getpid():
            os.kill(pid, signal.SIGKILL)
        assert _plain(child.scorer.with_outlets(()).score(TEXTS)) == _plain(scorer.score(TEXTS))
        assert child.find_places(ROWS) == [find_places(t, x) for t, x in ROWS]
        assert child.call(os.getpid, here=os.getpid) == os.getpid()  # the rest of the run works here

"""The machine's limit for the page work: a process pool of one worker per core that only
fetches each page (httpx) and runs trafilatura on it (default settings), nothing else.

The pool is started and warmed before the clock starts, so the limit is the pool's steady
rate; the pipeline it is compared with pays for its own start-up.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor

import httpx
import trafilatura

_CLIENT: httpx.Client | None = None


def _warm(_: int) -> int:
    global _CLIENT
    _CLIENT = _CLIENT or httpx.Client(timeout=30)
    return os.getpid()


def _fetch_extract(url: str) -> bool:
    _warm(0)
    return trafilatura.extract(_CLIENT.get(url).content) is not None


def busy_cpu_seconds() -> float | None:
    """CPU seconds the whole machine has spent busy (every process, every core) since boot, from
    /proc/stat; None where there is no /proc."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            ticks = [int(v) for v in f.readline().split()[1:]]
    except OSError:
        return None
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait


def cpu_between(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before


def limit_pages_per_s(urls: list[str]) -> tuple[float, float | None]:
    """Pages per second of fetch + trafilatura over ``urls``, one process per core, and the
    machine's busy CPU seconds while they ran (the sites' server included)."""
    workers = os.cpu_count() or 1
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(_warm, range(workers * 4)))
        b0, t0 = busy_cpu_seconds(), time.perf_counter()
        extracted = sum(pool.map(_fetch_extract, urls, chunksize=4))
        took, cpu = time.perf_counter() - t0, cpu_between(b0, busy_cpu_seconds())
    if extracted < len(urls) * 0.9:
        raise RuntimeError(f"only {extracted} of {len(urls)} pages extracted: the limit would be flattered")
    return len(urls) / took, cpu

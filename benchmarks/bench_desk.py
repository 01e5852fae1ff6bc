"""The desk under load: 20 logged-in users on the demo database, `/` and `/review`.

Starts the real desk server (``saring web``, uvicorn, one process) on the demo database and
drives it from this process with 20 concurrent HTTP clients (httpx, asyncio), each logged in
with its own session, alternating `/` and `/review` for a fixed time. Reports requests per
second and the median latency, as the median of 3 runs with min and max.

Run: ``make bench`` (or ``.venv/bin/python benchmarks/bench_desk.py [--db data/demo/saring.duckdb]``;
without ``--db`` it makes a fresh demo database as ``saring demo`` does). Never run by the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
USERS = 20
PASSWORD = "kata-sandi-beban"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the desk server stopped: {proc.stderr.read() if proc.stderr else ''}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("the desk server did not start")


async def _login(client: httpx.AsyncClient, name: str) -> None:
    html = (await client.get("/login")).text
    token = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
    r = await client.post("/login", data={"csrf": token, "name": name, "password": PASSWORD, "next": "/"})
    assert r.status_code == 303, r.status_code


def demo_database(workdir: Path) -> Path:
    """The database `saring demo` makes (sample sites ingested, the sample chat, today's digest),
    built by the same functions without Prefect's temporary server."""
    from saring.config import parse_config
    from saring.pipeline.demo import SiteServer, demo_chat, demo_sources, import_demo_chat, sample_dir
    from saring.pipeline.ingest import run_ingest
    from saring.report.daily import make_digest
    from saring.report.digest import today_wib
    from saring.storage.database import Store

    db = workdir / "saring.duckdb"
    with SiteServer(sample_dir()) as server:
        config = parse_config(demo_sources(server.base_url))
        with Store(db) as store:
            run_ingest(config, store)
        chat = demo_chat(server.base_url, workdir / "tipline" / "demo-chat.txt")
        if chat:
            import_demo_chat(db, chat)
    make_digest(db, today_wib(), config.digest, workdir / "digests", config.forum)
    return db


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, help="a demo database (default: one made as `saring demo` does)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db
        if db is None:
            db = demo_database(Path(tmp))
        else:  # a copy: the accounts added here stay out of the given database
            copy = Path(tmp) / "saring.duckdb"
            shutil.copyfile(db, copy)
            db = copy
        from saring.desk.auth import add_user

        for k in range(USERS):
            add_user(db, f"user{k}", PASSWORD)
        results, references = [], []
        for _ in range(args.runs):
            port = _free_port()
            env = {**os.environ, "SARING_WEB_SESSION_KEY": "bench"}
            proc = subprocess.Popen([str(BIN / "saring"), "web", "--db", str(db), "--port", str(port)],
                                    env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            try:
                base = f"http://127.0.0.1:{port}"
                _wait(base + "/login", proc)
                results.append(asyncio.run(_run(base, args.seconds)))
                # The reference under the same load: the check form, which never read the database.
                references.append(asyncio.run(_run(base, args.seconds, ("/check",))))
            finally:
                proc.terminate()
                proc.wait(timeout=30)
    rates = sorted(r[0] for r in results)
    medians = sorted(r[1] for r in results)
    rate, median = statistics.median(rates), statistics.median(medians)
    print(f"desk under load, {USERS} users, / and /review: {rate:.0f} requests/s "
          f"(min {rates[0]:.0f}, max {rates[-1]:.0f}; target >= 100) "
          f"{'MET' if rate >= 100 else 'NOT MET'}")
    ref_rate = statistics.median(r[0] for r in references)
    ref_median = statistics.median(r[1] for r in references)
    print(f"  reference, the /check form under the same load: {ref_rate:.0f} requests/s, "
          f"median {ref_median * 1000:.0f} ms")
    print(f"  median latency {median * 1000:.0f} ms (min {medians[0] * 1000:.0f}, "
          f"max {medians[-1] * 1000:.0f}; target <= 200 ms) {'MET' if median <= 0.2 else 'NOT MET'}")


async def _run(base: str, seconds: float, paths: tuple[str, ...] = ("/", "/review")) -> tuple[float, float]:
    """Log the users in, then let them all request pages for ``seconds``."""
    clients = [httpx.AsyncClient(base_url=base, timeout=30, follow_redirects=False) for _ in range(USERS)]
    try:
        await asyncio.gather(*(_login(c, f"user{k}") for k, c in enumerate(clients)))
        latencies: list[float] = []
        until = time.perf_counter() + seconds

        async def user(client: httpx.AsyncClient) -> None:
            k = 0
            while time.perf_counter() < until:
                path = paths[k % len(paths)]
                t0 = time.perf_counter()
                r = await client.get(path)
                latencies.append(time.perf_counter() - t0)
                assert r.status_code == 200, (path, r.status_code)
                k += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(user(c) for c in clients))
        took = time.perf_counter() - t0
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    return len(latencies) / took, statistics.median(latencies)


if __name__ == "__main__":
    main()

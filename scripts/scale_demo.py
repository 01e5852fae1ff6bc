"""``make scale-demo``: the scale-out path run as operators run it, every part its own process.

On one machine, over TCP on 127.0.0.1 (each process could sit on another machine):

- the bundled sample news sites (HTTP, a free port), served by this script;
- ``prefect server start`` on its own SQLite database in a temporary PREFECT_HOME (free port);
- a process work pool ``saring-pool`` and the deployments of ``prefect.yaml`` (``prefect deploy --all``);
- ``prefect worker start`` polling that pool; it starts each flow run as a child process;
- ``dask scheduler`` (free port) and two ``dask worker`` processes (no nanny: killing one is
  losing a machine);
- ``prefect deployment run saring-ingest-scaled/ingest-scaled``: the flow run reads the feeds,
  fans the pages out to the Dask workers, which write Parquet parts to the shared parts folder;
  the flow run (the one DuckDB writer) merges them.

Once the first part file appears, the Dask worker that wrote it is killed (SIGKILL); the run
must still finish, with the same rows as a single-process ``run_ingest`` on the same sample.
Every Python process started here records any network connection or name lookup beyond
127.0.0.1 (an audit hook); there must be none: the Prefect UI is served from the files in the
installed wheel, analytics are off.

Exit status 0 when every check passes; the last line is a JSON summary.
Run: ``make scale-demo`` (or ``.venv/bin/python scripts/scale_demo.py [--keep DIR]``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import duckdb
import httpx

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

# Every column except when saring did something (as tests/_db.py compares runs).
KEYS = {
    "items": "item_id, url, link, source_id, title, summary, published_at, author, guid, state",
    "articles": "item_id, final_url, http_status, text, text_source, title, published_at, author, "
                "language, extraction_error",
    "scores": "item_id, model_version, election_score, hoax_score, election_terms, hoax_terms",
}

# Loaded by every Python process started here (PYTHONPATH): logs any connection or name lookup
# that leaves 127.0.0.1. UDP "connects" send nothing, but are recorded too.
AUDIT_HOOK = '''
import os, sys
_LOG = os.environ.get("SARING_NET_AUDIT")
def _local(host):
    if host is None or isinstance(host, bytes):  # AF_UNIX and friends
        return True
    host = str(host)
    return host.startswith("127.") or host in ("", "::1", "localhost", "0.0.0.0", "::")

def _hook(event, args):
    if event == "socket.connect":
        address = args[1]
        host = address[0] if isinstance(address, tuple) else None
    elif event == "socket.getaddrinfo":
        host = args[0]
    else:
        return
    if not _local(host):
        with open(_LOG, "a") as f:
            f.write(f"{os.getpid()} {os.path.basename(sys.argv[0])} {event} {host!r}\\n")

if _LOG:
    sys.addaudithook(_hook)
    with open(_LOG + ".loaded", "a") as f:  # proof that this process is watched
        f.write(f"{os.getpid()} {' '.join(sys.argv)[:200]}\\n")
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, httpx.HTTPError):
            pass
        time.sleep(0.2)
    raise SystemExit(f"scale demo: {what} did not come up within {timeout:.0f} s")


class Processes:
    """Started processes, each in its own session, stopped (group and all) on exit."""

    def __init__(self, logs: Path, env: dict[str, str]) -> None:
        self.logs, self.env, self.started = logs, env, {}

    def start(self, name: str, *argv: str) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(argv, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.started[name] = proc
        shown = " ".join([Path(argv[0]).name, *argv[1:]])
        print(f"  started {name:<14} pid {proc.pid}: {shown}", flush=True)
        return proc

    def run(self, *argv: str, timeout: float = 180) -> str:
        out = subprocess.run(argv, cwd=REPO, env=self.env, capture_output=True, text=True, timeout=timeout)
        if out.returncode:
            raise SystemExit(f"scale demo: {' '.join(argv[:3])} failed:\n{out.stdout}{out.stderr}")
        return out.stdout

    def kill(self, name: str) -> None:
        os.killpg(self.started[name].pid, signal.SIGKILL)
        self.started[name].wait()

    def stop_all(self) -> None:
        for proc in reversed(list(self.started.values())):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.started.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def table_rows(db: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: sorted(con.execute(f"SELECT {cols} FROM {t}").fetchall(), key=str)
                for t, cols in KEYS.items()}
    finally:
        con.close()


def single_process_run(sources: Path, db: Path) -> None:
    from saring.config import load_config
    from saring.pipeline.ingest import run_ingest
    from saring.storage.database import Store

    with Store(db) as store:
        run_ingest(load_config(sources), store)


def ui_is_local(api: str) -> bool:
    """The UI page is served, and every asset it names comes from this server."""
    page = httpx.get(api.removesuffix("/api") + "/", timeout=10)
    refs = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    outside = [r for r in refs if r.startswith(("http:", "https:", "//"))]
    return page.status_code == 200 and bool(refs) and not outside


# Processes that must have loaded the audit hook (the flow run's own process too, whose command
# line is Prefect's business: it shows in the count).
WATCHED = ("server start", "dask scheduler", "dask-worker-1", "dask-worker-2", "worker start", "deploy --all")
FINAL = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")


def kill_first_writer(client, procs: Processes, parts: Path, timeout: float, run_state) -> dict:
    """Wait for the first part file; kill (SIGKILL) the Dask worker whose finished task wrote it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (state := run_state()) in FINAL:
            raise SystemExit(f"scale demo: the flow run ended ({state}) before any part file appeared; "
                             "see the prefect-worker log")
        found = sorted(parts.rglob("*.articles.parquet"))
        if found:
            holders = client.run_on_scheduler(
                lambda dask_scheduler: [ws.name for ts in dask_scheduler.tasks.values()
                                        if ts.state == "memory" for ws in ts.who_has])
            if holders:
                victim = str(holders[0])
                procs.kill(victim)
                return {"killed": victim, "parts_when_killed": len(found)}
        time.sleep(0.1)
    raise SystemExit("scale demo: no part file appeared")


def flow_state(api: str, run_id: str) -> str:
    return httpx.get(f"{api}/flow_runs/{run_id}", timeout=10).json()["state"]["type"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (logs, databases, parts)")
    parser.add_argument("--timeout", type=float, default=420, help="seconds the whole flow run may take")
    args = parser.parse_args()
    from distributed import Client

    from saring.pipeline.demo import SiteServer, sample_dir, write_demo_sources

    work = Path(args.keep or tempfile.mkdtemp(prefix="saring-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    (work / "logs").mkdir(exist_ok=True)
    (work / "audit").mkdir(exist_ok=True)
    (work / "audit" / "sitecustomize.py").write_text(AUDIT_HOOK, encoding="utf-8")
    audit_log = work / "network-beyond-loopback.log"
    audit_log.write_text("")
    api_port, dask_port = free_port(), free_port()
    api, scheduler = f"http://127.0.0.1:{api_port}/api", f"tcp://127.0.0.1:{dask_port}"
    summary: dict = {"work": str(work), "prefect_api": api, "dask_scheduler": scheduler}
    env = os.environ | {
        "PREFECT_HOME": str(work / "prefect-home"),
        "PREFECT_API_URL": api,
        "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{work / 'prefect-home' / 'prefect.db'}",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # No hourly runs from prefect.yaml's schedules while the demo runs.
        "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "INFO",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(work / "audit"), os.environ.get("PYTHONPATH")])),
        "SARING_NET_AUDIT": str(audit_log),
        "SARING_HOME": str(REPO),
        "SARING_DB": str(work / "scaled.duckdb"),
        "SARING_PARTS_DIR": str(work / "parts"),
        "SARING_DASK_SCHEDULER": scheduler,
        "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "false",
    }
    started = time.monotonic()
    phases: dict[str, float] = {}
    summary["phases_s"] = phases

    def phase(name: str) -> None:
        phases[name] = round(time.monotonic() - started - sum(phases.values()), 1)

    procs = Processes(work / "logs", env)
    with ExitStack() as stack:
        stack.callback(procs.stop_all)
        site = stack.enter_context(SiteServer(sample_dir()))
        sources = write_demo_sources(work / "sources.yaml", site.base_url)
        print(f"sample sites at {site.base_url}; work folder {work}", flush=True)

        procs.start("prefect-server", str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1",
                    "--port", str(api_port), "--no-scheduler", "--analytics-off")
        procs.start("dask-scheduler", str(BIN / "dask"), "scheduler", "--host", "127.0.0.1",
                    "--port", str(dask_port), "--no-dashboard")
        for name in ("dask-worker-1", "dask-worker-2"):
            procs.start(name, str(BIN / "dask"), "worker", scheduler, "--host", "127.0.0.1", "--name", name,
                        "--nthreads", "2", "--no-nanny", "--no-dashboard",
                        "--preload", "saring.pipeline.scaleout", "--local-directory", str(work / name))
        single_process_run(sources, work / "single.duckdb")  # meanwhile, the reference run
        phase("single-process run")
        wait_for(lambda: httpx.get(f"{api}/health", timeout=5).status_code == 200, "the Prefect server", 180)
        summary["ui_served_locally"] = ui_is_local(api)
        phase("prefect server up")

        procs.run(str(BIN / "prefect"), "work-pool", "create", "saring-pool", "--type", "process")
        # = `prefect work-pool set-concurrency-limit saring-pool 1` (prefect.yaml), without a CLI start-up
        httpx.patch(f"{api}/work_pools/saring-pool", json={"concurrency_limit": 1},
                    timeout=30).raise_for_status()
        procs.run(str(BIN / "prefect"), "--no-prompt", "deploy", "--all")
        procs.start("prefect-worker", str(BIN / "prefect"), "worker", "start", "--pool", "saring-pool",
                    "--limit", "1")
        client = stack.enter_context(Client(scheduler, timeout=60))
        client.wait_for_workers(2, timeout=120)
        phase("pool, deploy, workers")

        out = procs.run(str(BIN / "prefect"), "deployment", "run", "saring-ingest-scaled/ingest-scaled",
                        "--param", f"sources={sources}", "--param", "chunk_size=5",
                        "--param", "keep_parts=true")  # counted below
        run_id = re.search(r"UUID: ([0-9a-f-]{36})", out).group(1)
        print(f"  flow run {run_id} triggered with `prefect deployment run`", flush=True)
        summary |= kill_first_writer(client, procs, work / "parts", args.timeout,
                                     lambda: flow_state(api, run_id))
        summary["run_state_when_killed"] = flow_state(api, run_id)
        phase("run until first part")
        print(f"  killed {summary['killed']} after its first part file "
              f"({summary['parts_when_killed']} part(s) on disk, run {summary['run_state_when_killed']})",
              flush=True)
        deadline = time.monotonic() + args.timeout
        while (state := flow_state(api, run_id)) not in FINAL:
            if time.monotonic() > deadline:
                break
            time.sleep(1)
        summary["run_state"] = state
        phase("rest of the run")
        summary["dask_workers_left"] = len(client.scheduler_info()["workers"])
    summary["parts"] = len(list((work / "parts").rglob("*.articles.parquet")))
    if summary["run_state"] == "COMPLETED":
        single, scaled = table_rows(work / "single.duckdb"), table_rows(work / "scaled.duckdb")
        summary["rows"] = {t: len(v) for t, v in scaled.items()}
        summary["rows_equal_single_process"] = single == scaled and all(single.values())
    beyond = [line for line in audit_log.read_text().splitlines() if line]
    summary["network_beyond_loopback"] = beyond
    watched = Path(f"{audit_log}.loaded").read_text().splitlines()
    summary["watched_processes"] = len(watched)
    summary["seconds"] = round(time.monotonic() - started, 1)
    ok = (summary["run_state"] == "COMPLETED" and summary.get("rows_equal_single_process")
          and summary["ui_served_locally"] and not beyond and summary["dask_workers_left"] == 1
          and all(any(w in line for line in watched) for w in WATCHED)
          and summary["run_state_when_killed"] not in FINAL)
    print(("PASSED" if ok else "FAILED") + f": scale demo in {summary['seconds']} s; logs in {work / 'logs'}")
    print(json.dumps(summary))
    if ok and not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

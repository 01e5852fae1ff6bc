"""Local multi-host news sites for the benchmarks: real sample pages, optional latency.

Each "host" is its own HTTP server on a different loopback address (127.0.0.1, 127.0.0.2, ...),
so per-host politeness limits apply exactly as with real outlets. Pages are the bundled
sample's real article pages, reused under many URLs.

The servers run in a process of their own, as real outlets run on other machines: serving from
threads of the benchmark's process made the pipeline's ingest process share its GIL with the
servers, while the bare fetch + trafilatura pool it is compared with fetched from other processes.
"""

from __future__ import annotations

import multiprocessing
import re
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

SITE = Path(__file__).resolve().parent.parent / "sample" / "site"


def sample_pages() -> list[bytes]:
    pages = sorted(p for p in SITE.glob("*/**/index.html") if p.parent.parent != SITE)
    return [p.read_bytes() for p in pages if b"<article" in p.read_bytes()]


class Sites:
    """``hosts`` servers in a child process, each with ``/feed.xml?n=N`` and ``/a/<k>/`` pages.

    What the servers counted (requests per host, the most concurrent requests on one host) is
    asked from the child when read.
    """

    def __init__(self, hosts: int, delay: float = 0.0) -> None:
        self.pages = sample_pages()
        self._conn, child = multiprocessing.get_context("spawn").Pipe()
        self._process = multiprocessing.get_context("spawn").Process(
            target=_serve, args=(hosts, delay, child), daemon=True)
        self._process.start()
        child.close()  # the server's end only: if it dies, recv() ends with EOFError instead of waiting
        if not self._conn.poll(120):
            self._process.kill()
            raise RuntimeError("the benchmark's local sites did not start within 120 s")
        self.bases: list[str] = self._conn.recv()

    def _ask(self, command: str):
        self._conn.send(command)
        return self._conn.recv()

    @property
    def requests(self) -> dict[str, list[str]]:
        return self._ask("requests")

    @property
    def max_active(self) -> dict[str, int]:
        return self._ask("max_active")

    def page_requests(self) -> int:
        return self._ask("page_requests")

    def reset(self) -> None:
        """Forget what was counted so far."""
        self._ask("reset")

    def close(self) -> None:
        self._ask("close")
        self._process.join(10)

    def _feed(self, host: str, n: int) -> bytes:
        return feed(self.pages, host, n)


def _serve(hosts: int, delay: float, conn) -> None:
    servers = LocalSites(hosts, delay)
    conn.send(servers.bases)
    while True:
        command = conn.recv()
        if command == "close":
            servers.close()
            conn.send(None)
            return
        if command == "reset":
            with servers.lock:
                servers.requests.clear()
                servers.max_active.clear()
            conn.send(None)
        elif command == "page_requests":
            conn.send(servers.page_requests())
        else:
            with servers.lock:
                conn.send(dict(getattr(servers, command)))


class LocalSites:
    """The servers themselves, on threads of the calling process."""

    def __init__(self, hosts: int, delay: float = 0.0) -> None:
        self.delay = delay
        self.pages = sample_pages()
        self.requests: dict[str, list[str]] = defaultdict(list)
        self.active: dict[str, int] = defaultdict(int)
        self.max_active: dict[str, int] = defaultdict(int)
        self.lock = threading.Lock()
        self.servers = [ThreadingHTTPServer((f"127.0.0.{k + 1}", 0), self._handler()) for k in range(hosts)]
        for server in self.servers:
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()

    @property
    def bases(self) -> list[str]:
        return [f"http://{s.server_address[0]}:{s.server_address[1]}" for s in self.servers]

    def page_requests(self) -> int:
        return sum(1 for paths in self.requests.values() for p in paths if p.startswith("/a/"))

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()

    def _handler(self):
        sites = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                host = self.headers["Host"]
                parts = urlsplit(self.path)
                with sites.lock:
                    sites.requests[host].append(parts.path)
                    sites.active[host] += 1
                    sites.max_active[host] = max(sites.max_active[host], sites.active[host])
                try:
                    status, ctype, body, etag = self._answer(host, parts)
                finally:
                    # A request stops counting before its first byte is written: once the client
                    # has it all, it frees its slot and may send the next request before this
                    # thread runs again. Counting until after the write showed 3 "concurrent"
                    # requests with per_host=2.
                    with sites.lock:
                        sites.active[host] -= 1
                if status == 404:
                    self.send_error(404)
                    return
                self.send_response(status)
                if status == 200:
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    self.send_header("ETag", etag)
                self.end_headers()
                if status == 200:
                    self.wfile.write(body)

            def _answer(self, host: str, parts) -> tuple[int, str, bytes, str]:
                if sites.delay:
                    time.sleep(sites.delay)
                if parts.path == "/feed.xml":
                    n = int(parse_qs(parts.query).get("n", ["50"])[0])
                    body, ctype = sites._feed(host, n), "application/rss+xml"
                elif parts.path.startswith("/a/"):
                    k = int(parts.path.split("/")[2])
                    body, ctype = sites.pages[k % len(sites.pages)], "text/html; charset=utf-8"
                    body = body.replace(b"{{SITE}}", f"http://{host}".encode())
                else:
                    return 404, "", b"", ""
                etag = f'"{len(body)}-{host}"'
                if self.headers.get("If-None-Match") == etag:
                    return 304, ctype, b"", etag
                return 200, ctype, body, etag

        return Handler

    def _feed(self, host: str, n: int) -> bytes:
        return feed(self.pages, host, n)


def feed(pages: list[bytes], host: str, n: int) -> bytes:
    """An RSS feed of ``n`` items on ``host`` (the same for the servers and the benchmark)."""
    offset = sum(map(ord, host)) * 1000  # distinct URLs per host
    items = []
    for k in range(n):
        title = _title(pages[(offset + k) % len(pages)])
        items.append(f"<item><title>{title}</title><link>http://{host}/a/{offset + k}/</link>"
                     f"<pubDate>Wed, 25 Nov 2026 0{k % 10}:00:00 +0700</pubDate>"
                     f"<description>ringkasan {k}</description></item>")
    return (f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>{host}</title>"
            + "".join(items) + "</channel></rss>").encode()


def _title(page: bytes) -> str:
    m = re.search(rb"<title>(.*?)</title>", page, re.S)
    return (m.group(1).decode("utf-8", "replace") if m else "judul").replace("&", "&amp;").replace("<", "")


def sources(sites: Sites, per_host: int) -> dict:
    return {"sources": [
        {"id": f"host{k}", "name": f"Host {k}", "url": f"{base}/feed.xml?n={per_host}",
         "options": {"allow_private": True, "max_items": per_host}}
        for k, base in enumerate(sites.bases)
    ]}

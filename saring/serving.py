"""A small HTTP server running in a background thread (the demo's sites, the digest archive)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class BackgroundServer:
    """``ThreadingHTTPServer`` started by ``with`` (in a thread) or by :meth:`serve_forever`."""

    def __init__(self, handler: Callable[..., BaseHTTPRequestHandler], host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        # Stopping waits for the loop's next look at its flag: every 0.5 s by default, a wait
        # paid at the end of every demo and test that serves pages.
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (``saring serve --archive``)."""
        try:
            self.httpd.serve_forever()
        finally:
            self.httpd.server_close()

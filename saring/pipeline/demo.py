"""The offline demo: serve the bundled sample news sites on 127.0.0.1 and run the pipeline.

The sample's feeds and pages hold the token ``{{SITE}}`` where a real site has its own
address; :class:`SiteServer` replaces it with its own address while serving.
"""

from __future__ import annotations

import hashlib
import json
import logging
import mimetypes
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from saring.errors import SaringError
from saring.serving import BackgroundServer

LOGGER = logging.getLogger(__name__)

TOKEN = b"{{SITE}}"
TYPES = {".xml": "application/rss+xml; charset=utf-8", ".rss": "application/rss+xml; charset=utf-8",
         ".atom": "application/atom+xml; charset=utf-8", ".html": "text/html; charset=utf-8"}


def sample_dir() -> Path:
    """``SARING_SAMPLE`` if set, else the repository's ``sample/site``."""
    env = os.environ.get("SARING_SAMPLE")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "sample" / "site"


class _Handler(BaseHTTPRequestHandler):
    server_version = "saring-sample/1"

    def __init__(self, *args, root: Path, **kwargs) -> None:
        self.root = root
        super().__init__(*args, **kwargs)

    def log_message(self, fmt: str, *args: object) -> None:
        LOGGER.debug("sample server: " + fmt, *args)

    def _resolve(self) -> Path | None:
        rel = unquote(urlsplit(self.path).path).lstrip("/")
        path = (self.root / rel).resolve()
        if self.root not in path.parents and path != self.root:
            return None
        if path.is_dir():
            path = path / "index.html"
        return path if path.is_file() else None

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        self.server.requests.append(urlsplit(self.path).path)  # type: ignore[attr-defined]
        path = self._resolve()
        if path is None:
            self.send_error(404)
            return
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        body = path.read_bytes()
        transform = getattr(self.server, "transform", None)  # saring.pipeline.demo_weeks: feeds as of a day
        if transform is not None:
            body = transform(path, body)
        body = body.replace(TOKEN, f"http://{host}".encode())
        etag = f'"{hashlib.sha1(body).hexdigest()[:16]}"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        ctype = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)


class SiteServer(BackgroundServer):
    """A static HTTP server on 127.0.0.1 with ETag support, in a background thread."""

    def __init__(self, root: str | Path, port: int = 0) -> None:
        self.root = Path(root).resolve()
        super().__init__(partial(_Handler, root=self.root), "127.0.0.1", port)
        self.httpd.requests = []  # type: ignore[attr-defined]  # paths asked for, in order

    @property
    def requests(self) -> list[str]:
        return self.httpd.requests  # type: ignore[attr-defined]


def demo_site_server(site: Path, sources_path: Path) -> SiteServer:
    """The sample sites' server, on the port the last demo in this folder used when it is free.

    The stored items' addresses include the port: served on a new one, every page of the sample
    would be stored again as a new item and the digest would list it twice."""
    try:
        previous = yaml.safe_load(sources_path.read_text(encoding="utf-8"))["sources"][0]["url"]
        port = urlsplit(previous).port or 0
    except (OSError, yaml.YAMLError, LookupError, TypeError, ValueError):
        port = 0  # no earlier demo here (or its file was edited): any free port
    if port:
        try:
            return SiteServer(site, port)
        except OSError as exc:
            LOGGER.warning("port %d of the previous demo is taken (%s): the sample's pages are stored "
                           "again under a new address", port, exc)
    return SiteServer(site)


def demo_sources(base_url: str, site: Path | None = None) -> dict:
    """A sources mapping for the sample sites served at ``base_url``."""
    site = site or sample_dir()
    manifest = json.loads((site / "manifest.json").read_text(encoding="utf-8"))
    outlets = manifest["outlets"] if isinstance(manifest, dict) else manifest
    return {
        "sources": [
            {
                "id": o["id"], "name": o["name"], "url": base_url + "/" + o["feed_path"].lstrip("/"),
                "kind": o.get("kind") or ("atom" if "atom" in o.get("flavour", "").lower() else "rss"),
                "region": o.get("region", "Nasional"),
                "options": {"allow_private": True},  # the demo's pages live on 127.0.0.1
            }
            for o in outlets
        ],
        # The sample's local articles are about Kota Batu's and Kota Madiun's KPU: a Kota Batu
        # forum sees its own first.
        "settings": {"forum": {"area": "Kota Batu", "province": "Jawa Timur"}},
    }


def write_demo_sources(path: Path, base_url: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "# Written by `saring demo` for the bundled sample sites; edit sources.yaml instead.\n"
    path.write_text(header + yaml.safe_dump(demo_sources(base_url), allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    return path


def demo_chat(base_url: str, target: Path) -> Path | None:
    """The sample WhatsApp export with its links pointing at the served sample sites."""
    chat = sample_dir().parent / "tipline" / "demo-chat.txt"
    if not chat.exists():
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(chat.read_text(encoding="utf-8").replace(TOKEN.decode(), base_url), encoding="utf-8")
    return target


def import_demo_chat(db: Path, chat: Path) -> str:
    """Import the sample chat export the way `saring tipline import` does (links on 127.0.0.1 allowed)."""
    from saring.collect.tipline import import_chat, load_secret
    from saring.pipeline.forwarded import feed_tipline
    from saring.storage.database import Store, utcnow

    with Store(db) as store:
        started = utcnow()
        result = import_chat(store.con, chat, load_secret(store.path), chat="Bakohumas Kota Batu (contoh)")
        fed = feed_tipline(store, since=started, allow_private=True, scrubber=result.scrubber)
        store.publish_snapshot()
    return f"{result.kept} messages kept, {len(result.urls)} links, {fed} new items"


@dataclass
class MailDemo:
    """What the e-mail demo did: the SMTP port, the delivery report, one line per mail received."""

    port: int
    report: Any
    received: list[str]


class DemoError(SaringError):
    """The demo cannot run a part (a missing optional package)."""


@contextmanager
def local_smtp() -> Iterator[tuple[int, str, list[Any]]]:
    """An SMTP server on 127.0.0.1 (aiosmtpd, dev extra) for the demo: (port, apprise URL, received).

    Raises:
        DemoError: aiosmtpd is not installed.
    """
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        raise DemoError("SARING_DEMO_SMTP=1 needs aiosmtpd, part of the dev extra: "
                        ".venv/bin/pip install -e '.[dev]'") from None
    from saring.report.deliver import free_port

    received: list[Any] = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
            received.append(envelope)
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, (f"mailto://127.0.0.1:{port}?smtp=127.0.0.1&mode=insecure&from=saring@demo.invalid"
                     "&to=forum-bakohumas@demo.invalid"), received
    finally:
        controller.stop()


DEMO_CHANNEL_ENV = "SARING_DEMO_SMTP_URL"


def demo_delivery() -> Any:
    """The demo's one e-mail channel (its URL comes from :data:`DEMO_CHANNEL_ENV`)."""
    from saring.config import DeliveryChannel, DeliverySettings

    channel = DeliveryChannel(name="demo-email", url_env=DEMO_CHANNEL_ENV, format="email")
    return DeliverySettings(channels=(channel,), attempts=2, backoff=0)


def mail_demo_digest(db: Path, sources: Path) -> MailDemo:
    """Deliver the demo digest by e-mail to an SMTP server started here (aiosmtpd, dev extra).

    Raises:
        DemoError: aiosmtpd is not installed.
    """
    from saring.config import load_config
    from saring.report.deliver import deliver
    from saring.report.digest import build_digest, today_wib
    from saring.storage.database import Store

    with local_smtp() as (port, url, received):
        config = load_config(sources)
        with Store(db) as store:
            digest = build_digest(store.con, today_wib(), config.digest, config.forum)
        report = deliver(db, digest, demo_delivery(), force=True, env={DEMO_CHANNEL_ENV: url})
    import email
    from email import policy

    lines = []
    for env in received:
        msg = email.message_from_bytes(env.content, policy=policy.default)
        kinds = [part.get_content_type() for part in msg.walk() if not part.is_multipart()]
        lines.append(f"from {env.mail_from} to {', '.join(env.rcpt_tos)}; subject {msg['subject']!r}; "
                     f"parts {', '.join(kinds)}; {len(env.content)} bytes")
    return MailDemo(port, report, lines)

"""The dated digest archive: every format per date, an index page, and a small local web server.

Layout of an archive folder (flat, one set of files per date, so links stay short)::

    index.html                      list of every digest, newest first (rebuilt each time)
    digest-2026-11-25.html          the phone-friendly page
    digest-2026-11-25.txt           WhatsApp text (split messages marked with a cut line)
    digest-2026-11-25.md            Markdown
    digest-2026-11-25.email.txt     plain-text e-mail
    digest-2026-11-25.email.html    HTML e-mail
    digest-2026-11-25.json          the numbers the index shows
"""

from __future__ import annotations

import json
import logging
import os
import re
import stat
from datetime import date, datetime
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

from saring.filemodes import make_shared, shared_dir
from saring.localtime import TIME_ZONE
from saring.report.digest import Digest, environment, render, split_messages, tanggal
from saring.serving import BackgroundServer

LOGGER = logging.getLogger(__name__)

#: (format, file suffix) in the order :func:`write_archive` returns the paths.
FILES = (("whatsapp", "txt"), ("html", "html"), ("markdown", "md"),
         ("email_text", "email.txt"), ("email", "email.html"))
LABELS = {"html": "halaman", "txt": "WhatsApp", "md": "Markdown", "email.html": "e-mail",
          "email.txt": "e-mail (teks)"}
_NAME = re.compile(r"^digest-(\d{4}-\d{2}-\d{2})\.json$")


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    make_shared(tmp)  # digests are meant to be shared, even while the writer runs with umask 077
    tmp.replace(path)


def whatsapp_file_text(messages: list[str]) -> str:
    """The .txt file: the messages in order, with a cut line between them when there are several."""
    if len(messages) == 1:
        return messages[0]
    n = len(messages)
    return "".join(
        (f"\n✂ ------- pesan {i} dari {n}: kirim terpisah -------\n\n" if i > 1 else "") + m
        for i, m in enumerate(messages, 1)
    )


def write_archive(digest: Digest, out_dir: str | Path, message_chars: int = 4000) -> list[Path]:
    """Write the digest in every format for its date and rebuild ``index.html``; returns the files."""
    out = shared_dir(out_dir)
    stem = f"digest-{digest.day.isoformat()}"
    paths = []
    for fmt, suffix in FILES:
        path = out / f"{stem}.{suffix}"
        if fmt == "whatsapp":
            text = whatsapp_file_text(split_messages(digest, "whatsapp", message_chars))
        else:
            text = render(digest, fmt)
        _write(path, text)
        paths.append(path)
    meta = {"date": digest.day.isoformat(), "generated_at": digest.generated_at.isoformat(),
            "items_seen": digest.items_seen, "election": digest.election_count,
            "high_risk": digest.high_risk, "shown": len(digest.election_items)}
    _write(out / f"{stem}.json", json.dumps(meta, ensure_ascii=False, indent=1))
    write_index(out, digest.timezone)
    return paths


def write_index(out_dir: str | Path, zone: str = TIME_ZONE) -> Path:
    """Rebuild ``index.html`` from the digests present in the folder (newest first); its time
    on the forum's clock (``zone``)."""
    out = Path(out_dir)
    entries = []
    for meta_path in sorted(out.glob("digest-*.json"), reverse=True):
        m = _NAME.match(meta_path.name)
        if not m:
            continue
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            day = date.fromisoformat(m.group(1))
        except (ValueError, OSError):
            LOGGER.warning("skipping unreadable %s", meta_path)
            continue
        files = [(LABELS[suffix], f"digest-{day.isoformat()}.{suffix}") for suffix in LABELS
                 if (out / f"digest-{day.isoformat()}.{suffix}").exists()]
        entries.append({"day": day, "label": tanggal(day), "meta": meta, "files": files})
    page = environment(zone).get_template("index.html.j2").render(
        entries=entries, generated_at=datetime.now(ZoneInfo(zone)))
    path = out / "index.html"
    _write(path, page)
    return path


class _Handler(SimpleHTTPRequestHandler):
    """Serves only the regular files directly inside the archive folder.

    The archive is flat, so anything else is a 404: sub-folders (no listings), symbolic links
    (they could point anywhere on the machine), hidden files, and names that are not file names
    at all (a NUL byte made the standard handler raise and drop the connection).
    """

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map,
                      ".html": "text/html; charset=utf-8", ".txt": "text/plain; charset=utf-8",
                      ".md": "text/markdown; charset=utf-8", ".json": "application/json"}

    def _file_name(self) -> str | None:
        name = unquote(urlsplit(self.path).path, errors="strict").lstrip("/") or "index.html"
        if "/" in name or "\\" in name or "\x00" in name or name.startswith("."):
            return None
        return name

    def send_head(self):  # noqa: ANN201 (http.server API: a file object or None)
        try:
            name = self._file_name()
        except UnicodeDecodeError:
            name = None
        if name is None:
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        path = os.path.join(self.directory, name)
        try:  # O_NOFOLLOW: a symbolic link is refused by the kernel, not by a check that can race
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except (OSError, ValueError):
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):  # a folder
            os.close(fd)
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        f = os.fdopen(fd, "rb")
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Length", str(st.st_size))
        self.send_header("Last-Modified", self.date_time_string(int(st.st_mtime)))
        self.end_headers()
        return f

    def list_directory(self, path):  # noqa: ANN001, ANN201 (never: folders are not listed)
        self.send_error(HTTPStatus.NOT_FOUND, "File not found")
        return None

    def end_headers(self) -> None:
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, fmt: str, *args: object) -> None:
        LOGGER.info("archive: " + fmt, *args)


class ArchiveServer(BackgroundServer):
    """Serve an archive folder (read-only, static files) on ``host:port``."""

    def __init__(self, root: str | Path, host: str = "127.0.0.1", port: int = 8000) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise FileNotFoundError(f"no digest archive at {self.root}; run `saring digest --out {root}`")
        super().__init__(partial(_Handler, directory=str(self.root)), host, port)

    @property
    def url(self) -> str:
        return self.base_url + "/"

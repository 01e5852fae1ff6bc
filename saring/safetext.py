"""Untrusted text (feed titles, page text, chat messages) made safe to show or link.

Pure helpers shared by the digest templates, the CLI and the labels CSV:

* :func:`strip_controls` removes terminal control characters (ANSI escapes start with ESC) and
  the Unicode bidirectional controls (RLO and friends), which can make text read backwards
  ("Trojan Source") or hide what a link says;
* :func:`safe_link` keeps only http(s) links and percent-encodes everything that could end the
  link early in a chat, Markdown or HTML (spaces, quotes, brackets, angle brackets).
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit, urlunsplit

#: Bidirectional formatting characters (Unicode TR9): embeddings, overrides, isolates, marks.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# C0 controls but tab and newline, DEL, C1 controls (CSI = \x9b starts an escape on some
# terminals), and the bidi controls.
_CONTROLS = re.compile(f"[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f{BIDI_CONTROLS}]")
# Characters a link keeps as they are (besides letters, digits and -._~, which quote() always
# keeps). Left out on purpose: space, quotes, ( ) [ ] < > ` { } | \ ^ and every control character
# (the host is rebuilt separately, so an IPv6 address keeps its brackets).
_LINK_SAFE = "!#$%&*+,/:;=?@"


def strip_controls(value: object) -> str:
    """``value`` as text without control characters (tab and newline stay) or bidi controls."""
    return _CONTROLS.sub("", str(value))


def safe_link(value: str | None) -> str | None:
    """An http(s) link that is one unbreakable token, or None when it is not an http(s) link.

    Percent-encodes spaces, quotes, brackets and non-ASCII characters (host names become IDNA),
    keeps existing %-escapes, so text appended to a link in a feed stays part of the link.
    """
    value = strip_controls(value or "").strip()
    if not re.match(r"^https?://", value, re.I):
        return None
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:  # e.g. 'http://[::1' or a port that is not a number
        return None
    if not host or any(c.isspace() for c in host):
        return None
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = (quote(userinfo, safe=":%") + "@" if userinfo else "") + host + (f":{port}" if port else "")
    return urlunsplit((
        parts.scheme.lower(), netloc, quote(parts.path, safe=_LINK_SAFE),
        quote(parts.query, safe=_LINK_SAFE), quote(parts.fragment, safe=_LINK_SAFE),
    ))

"""URL canonicalisation and the safety rules for links found inside feeds."""

from __future__ import annotations

import hashlib
import ipaddress
import socket
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from saring.errors import UnsafeURLError

# Parameters that only track a click; dropping them makes one article one URL.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid",
        "_ga", "_gl", "ref_src", "ref_url",
    }
)


def canonical_url(url: str) -> str:
    """Normalise a URL so the same article always has the same key.

    Lower-cases scheme and host, drops default ports, fragments, ``utm_*`` and other
    tracking parameters, and sorts the remaining query parameters.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in TRACKING_PARAMS
    ]
    path = parts.path or "/"
    return urlunsplit((scheme, host, path, urlencode(sorted(query)), ""))


def url_key(url: str) -> str:
    """A short stable id for a canonical URL (the items table's primary key)."""
    return hashlib.sha1(canonical_url(url).encode("utf-8")).hexdigest()[:16]


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str, allow_private: bool = False) -> None:
    """Refuse URLs that saring must not fetch.

    Checks the scheme, refuses credentials in the URL, and resolves the host so that
    names pointing at loopback, private, link-local, multicast or reserved addresses
    are refused unless ``allow_private`` is set.

    Raises:
        UnsafeURLError: with a sentence saying why.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeURLError(f"refused {url!r}: only http and https links are fetched")
    if parts.username or parts.password or "@" in parts.netloc:
        raise UnsafeURLError(f"refused {url!r}: user names or passwords in links are not allowed")
    host = parts.hostname
    if not host:
        raise UnsafeURLError(f"refused {url!r}: the link has no host name")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(host, parts.port or None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeURLError(f"refused {url!r}: host name {host!r} does not resolve ({exc})") from None
    for info in infos:
        if not _is_public(str(info[4][0])):
            raise UnsafeURLError(
                f"refused {url!r}: {host} points to a private or local address ({info[4][0]}); "
                "set options.allow_private for this source if that is intended"
            )

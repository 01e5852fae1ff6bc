"""URL canonicalisation and the safety rules for links found inside feeds."""

from __future__ import annotations

import hashlib
import ipaddress
import socket
from collections.abc import Callable, Sequence
from functools import lru_cache
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

from saring.errors import MalformedURLError, UnresolvedHostError, UnsafeURLError
from saring.limits import MAX_URL_CHARS

# Parameters that only track a click; dropping them makes one article one URL.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid",
        "_ga", "_gl", "ref_src", "ref_url",
    }
)

Resolver = Callable[[str, int | None], Sequence[str]]
"""Answers the IP addresses of a host name (injectable so tests can play a hostile DNS server)."""

# IPv6 ranges that carry an IPv4 address in their last 32 bits: NAT64 (RFC 6052), IPv4-compatible
# (deprecated) and IPv4-translated (RFC 2765). Python calls many of these "global", so a private
# IPv4 address hidden inside would pass; the embedded address is what gets judged.
_EMBEDS_IPV4 = tuple(ipaddress.ip_network(n) for n in ("64:ff9b::/96", "::/96", "::ffff:0:0:0/96"))
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: only ever local


@lru_cache(maxsize=1)
def _suffixes():  # the list ships inside the wheel: loading it never downloads
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


def site_of(host: str) -> str:
    """The site a host belongs to, by the Public Suffix List: ``rss.detik.com`` -> ``detik.com``,
    ``berita.kpu.go.id`` -> ``kpu.go.id``, ``nama.blogspot.com`` stays (each blog is its own site).

    An IP address, a name without a known suffix (``localhost``) or a bare suffix stays as given.
    """
    host = host.lower().rstrip(".")
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    return _suffixes().privatesuffix(host) or host


def url_site(url: str) -> str | None:
    """:func:`site_of` a link's host; None for a link without one (ValueError: an unreadable link)."""
    host = urlsplit(url).hostname
    return site_of(host) if host else None


def _split(url: str) -> tuple[SplitResult, int | None]:
    """urlsplit plus the port, or a sentence saying why the link cannot be read."""
    try:
        parts = urlsplit(url.strip())
        if ":" in (parts.hostname or ""):  # older Pythons let any text through inside [ ]
            ipaddress.ip_address(parts.hostname.split("%")[0])
        return parts, parts.port
    except ValueError as exc:
        why = ("its port is not a number from 0 to 65535" if "port" in str(exc).lower()
               else "its host is not a valid address")
        raise MalformedURLError(f"the link {url!r} cannot be read: {why}") from None


def within_length(link: str) -> str:
    """``link`` itself, when it is no longer than :data:`saring.limits.MAX_URL_CHARS`.

    Raises:
        MalformedURLError: it is longer: a broken or hostile page or redirect (it would be stored and
            asked for); the message names its start only.
    """
    if len(link) > MAX_URL_CHARS:
        raise MalformedURLError(f"the link {link[:80]!r}... is longer than {MAX_URL_CHARS:,} characters")
    return link


def canonical_url(url: str) -> str:
    """Normalise a URL so the same article always has the same key.

    Lower-cases scheme and host, drops default ports, fragments, ``utm_*`` and other
    tracking parameters, and sorts the remaining query parameters. IPv6 hosts keep their
    brackets.

    Raises:
        MalformedURLError: the port is not a number from 0 to 65535, or the host is not
            a valid address (e.g. a broken IPv6 literal).
    """
    parts, port = _split(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # an IPv6 literal: without brackets its colons would read as a port
        host = f"[{host}]"
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
    """A short stable id for a canonical URL (the items table's primary key).

    Raises:
        MalformedURLError: as :func:`canonical_url`.
    """
    return hashlib.sha1(canonical_url(url).encode("utf-8")).hexdigest()[:16]


def page_key(url: str | None) -> str:
    """A page's address without its scheme and "www.": one fact-check stored under its http and
    https (or www and bare) address is one page."""
    try:
        parts = urlsplit(canonical_url(url or ""))
    except (MalformedURLError, ValueError):
        return url or ""
    return f"{parts.netloc.removeprefix('www.')}{parts.path.rstrip('/')}?{parts.query}"


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped:  # ::ffff:a.b.c.d
        return ip.ipv4_mapped
    if ip.sixtofour:  # 2002:AABB:CCDD::/48
        return ip.sixtofour
    if any(ip in net for net in _EMBEDS_IPV4):
        return ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF)
    return None


def is_public(address: str) -> bool:
    """True for an address on the public internet (not loopback, private, link-local,
    multicast or reserved), judging the IPv4 address inside NAT64, 6to4, IPv4-mapped,
    IPv4-compatible and IPv4-translated IPv6 addresses."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _NAT64_LOCAL:
            return False
        inner = _embedded_ipv4(ip)
        if inner is not None:
            return is_public(str(inner))
    return ip.is_global and not ip.is_multicast


def written_private(host: str) -> bool:
    """Whether ``host`` is, as written, this computer or a private network: ``localhost``, a
    name under ``.localhost`` or an address that is not public. Never looked up (no network needed)."""
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return not is_public(host.split("%", 1)[0])
    except ValueError:  # a name: only a lookup could tell
        return False


def system_resolver(host: str, port: int | None) -> list[str]:
    """The operating system's answer (getaddrinfo), as address strings."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)]


def public_addresses(host: str, port: int | None = None, resolver: Resolver | None = None) -> list[str]:
    """Resolve ``host`` once and return its addresses, every one of them public.

    The caller must connect to one of *these* addresses: resolving the name again could
    get another answer (DNS rebinding).

    Raises:
        UnsafeURLError: the name does not resolve, or any answer is not public.
    """
    try:
        addresses = list((resolver or system_resolver)(host, port))
    except (OSError, UnicodeError) as exc:
        raise UnresolvedHostError(f"host name {host!r} does not resolve ({exc})") from None
    if not addresses:
        raise UnresolvedHostError(f"host name {host!r} does not resolve")
    for address in addresses:
        try:
            public = is_public(address)
        except ValueError:
            public = False
        if not public:
            raise UnsafeURLError(
                f"{host} points to a private or local address ({address}); "
                "set options.allow_private for this source if that is intended"
            )
    return addresses


def check_url(url: str, allow_private: bool = False, resolver: Resolver | None = None) -> None:
    """Refuse URLs that saring must not fetch.

    Checks the scheme, refuses credentials in the URL, and resolves the host so that
    names pointing at loopback, private, link-local, multicast or reserved addresses
    are refused unless ``allow_private`` is set. (The fetcher checks the address again
    when it connects, and connects only to the address it checked.)

    Raises:
        UnsafeURLError: with a sentence saying why.
        MalformedURLError: the link cannot be read (bad port, broken IPv6 literal).
    """
    parts, port = _split(url)
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
        public_addresses(host, port, resolver)
    except UnsafeURLError as exc:
        raise type(exc)(f"refused {url!r}: {exc}") from None  # an unresolved name stays one

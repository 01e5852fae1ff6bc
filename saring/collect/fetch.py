"""Download feeds and pages with httpx: bounded in size, time and redirects.

Bytes are fetched here and parsed elsewhere, so parsers are testable without a network.
"""

from __future__ import annotations

import functools
import logging
import os
import queue
import ssl
import threading
import time
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import cachetools
import httpcore
import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from saring.collect import urls
from saring.collect.scrub import GENERIC
from saring.collect.urls import Resolver, check_url, public_addresses
from saring.config import FetchSettings
from saring.errors import ContactLinkError, FetchError, MalformedURLError, TooLargeError, UnsafeURLError
from saring.textclean import declared_charset

LOGGER = logging.getLogger(__name__)

REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
MAX_RETRY_AFTER = 30.0
# The encodings asked for and unpacked here (zlib's window sizes); httpx would also ask for br and
# zstd if their packages were ever installed, and those it unpacks with no bound.
_UNPACKERS = {"gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}
_UNPACKED_PIECE = 64 * 1024
# A name's addresses are reused for this long by one fetcher (as browsers keep an answer for a
# minute): a run asks an outlet's name server once, not for every page's check and connection,
# and the check and the connection then use the same answer.
ANSWER_KEPT = 30.0


class TransientFetchError(FetchError):
    """A failure worth retrying (timeout, 429, 5xx)."""

    def __init__(self, message: str, retry_after: float | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status  # the server's answer (429, 5xx); None for a timeout or no connection


class CertificateError(FetchError):
    """The site's TLS certificate does not verify (expired, another site's, self-signed): retrying
    will not fix it."""


def _certificate_failure(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate check behind a connect error (httpx wraps httpcore's, which wraps ssl's)."""
    seen: BaseException | None = exc
    while seen is not None and not isinstance(seen, ssl.SSLCertVerificationError):
        seen = seen.__cause__ or seen.__context__
    return seen


class HTTPStatusError(FetchError):
    """The server answered with an error status that is not worth retrying (404, 403...)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Response:
    """What a successful download returns."""

    url: str
    status: int
    content: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    elapsed: float = 0.0

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def charset(self) -> str | None:
        """The charset the server declared in Content-Type (None if none)."""
        return declared_charset(self.headers.get("content-type"))

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:  # a negative or NaN wait is no wait at all: the usual backoff applies
        return min(seconds, MAX_RETRY_AFTER) if seconds >= 0 else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000": UTC (HTTP dates always are), not this machine's local time
        when = when.replace(tzinfo=UTC)
    return min(max(when.timestamp() - time.time(), 0.0), MAX_RETRY_AFTER)


def _wait(state: RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, TransientFetchError) and exc.retry_after is not None:
        return exc.retry_after
    return wait_exponential(multiplier=0.5, max=8)(state)


def _out_of_time(state: RetryCallState) -> bool:
    """Stop retrying when the wait before the next try would end at or past the fetch's deadline."""
    return time.monotonic() + (state.upcoming_sleep or 0.0) >= _deadline.at


def _unpacked(pieces: Iterable[bytes], content_encoding: list[str]) -> Iterator[bytes]:
    """The body through each of its encodings, :data:`_UNPACKED_PIECE` at most at a time: unpacking
    a whole 64 KB read at once, a 100 KB gzip bomb took 150 MB before the size cap saw it (gzipped
    twice, any size)."""
    for name in reversed([e.strip().lower() for e in content_encoding]):
        if name in _UNPACKERS:  # others pass as they are, as httpx does
            pieces = _unpack_step(pieces, name)
    return iter(pieces)


def _unpack_step(pieces: Iterable[bytes], name: str) -> Iterator[bytes]:
    unpacker, first = zlib.decompressobj(_UNPACKERS[name]), True
    try:
        for piece in pieces:
            while piece:
                try:
                    out = unpacker.decompress(piece, _UNPACKED_PIECE)
                except zlib.error:
                    if not (first and name == "deflate"):
                        raise
                    # "deflate" from some servers is bare, without the zlib header it names
                    unpacker, first = zlib.decompressobj(-zlib.MAX_WBITS), False
                    continue
                first = False
                yield out
                piece = unpacker.unconsumed_tail
        yield unpacker.flush()
    except zlib.error as exc:
        raise httpx.DecodingError(f"{name}: {exc}") from None


@functools.cache
def ssl_context() -> ssl.SSLContext:
    """httpx's default TLS settings, built once per process: loading the CA bundle took a
    third of a run that had nothing new (three times for every Fetcher)."""
    return httpx.create_ssl_context()


# When the fetch of one URL running on this thread (every try, wait and redirect) must be over
# (time.monotonic()), and whether a wait was cut short to keep it: a socket timeout then means
# "out of time", not "the server went quiet".
_deadline = threading.local()


def _until_deadline(timeout: float | None, expired: type[Exception]) -> float | None:
    at = getattr(_deadline, "at", None)
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        _deadline.cut = True
        raise expired("the download's total time is up")
    if timeout is None or left < timeout:
        _deadline.cut = True
        return left
    return timeout


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every wait ends by the download's deadline.

    httpx's timeouts are per read: a server sending its headers a byte at a time, or a gzip body
    of empty blocks (no unpacked bytes to count), kept a download open as long as it liked.
    """

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _until_deadline(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _until_deadline(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.start_tls(
            ssl_context, server_hostname, _until_deadline(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str):
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    """Opens TCP connections that end by the download's deadline; with ``public_only``, only to
    addresses that passed the safety check.

    The host is resolved once, every answer is checked, and the socket goes to one of
    those same addresses: a DNS server that answers a public address to the check and a
    private one to the connection (rebinding) gets nowhere. It runs for every new
    connection, so every redirect hop and retry is covered; TLS still verifies the name.
    """

    def __init__(self, resolver: Resolver, public_only: bool = True) -> None:
        self._resolver = resolver
        self._public_only = public_only
        self._inner = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None, socket_options=None) -> httpcore.NetworkStream:
        if self._public_only:
            addresses = public_addresses(host, port, self._resolver)
        else:  # resolved here all the same, so the lookup is bounded in time
            try:
                addresses = list(self._resolver(host, port))
            except (OSError, UnicodeError) as exc:  # as httpcore reports a name that does not resolve
                raise httpcore.ConnectError(str(exc)) from exc
            if not addresses:
                raise httpcore.ConnectError(f"{host} has no address")
        failure: Exception | None = None
        for address in addresses:
            try:
                return _DeadlineStream(self._inner.connect_tcp(
                    address, port, _until_deadline(timeout, httpcore.ConnectTimeout),
                    local_address, socket_options))
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc  # try the next checked address, as the system's resolver order says
        assert failure is not None
        raise failure

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options=None) -> httpcore.NetworkStream:
        raise UnsafeURLError("refused: local sockets are never fetched")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _Transport(httpx.HTTPTransport):
    """httpx's own transport, connecting through :class:`_Backend`."""

    def __init__(self, resolver: Resolver, limits: httpx.Limits, public_only: bool = True) -> None:
        super().__init__(limits=limits, verify=ssl_context())
        # httpx has no parameter for httpcore's network backend: swap in a pool built the same
        # way (tests/test_fetch.py's rebinding test fails if a new httpx stops using it).
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_Backend(resolver, public_only),
        )


class _Answer:
    """What one lookup gave (a value or the exception it raised), once ``done`` is set."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: object = None


class _Lookups:
    """Threads for name lookups, each kept for the next lookup once its own has ended.

    getaddrinfo has no time limit of its own, so a lookup runs on another thread that the fetch
    can stop waiting for. A new thread for each lookup (two a page: the link's check and the
    connection's) cost the ingest process about 5 % of a run's CPU. They are daemon threads: one
    stuck in getaddrinfo must not keep the process from exiting, and it is only reused once its
    lookup returns.
    """

    KEEP = 16  # idle threads kept; a thread finding this many idle ends

    def __init__(self) -> None:
        self._forget()
        os.register_at_fork(after_in_child=self._forget)  # a forked child has none of the threads

    def _forget(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[queue.SimpleQueue] = []

    def run(self, job: Callable[[], object]) -> _Answer:
        """Start ``job`` on an idle thread (or a new one); its answer comes in the returned object."""
        with self._lock:
            inbox = self._idle.pop() if self._idle else None
        if inbox is None:
            inbox = queue.SimpleQueue()
            threading.Thread(target=self._serve, args=(inbox,), name="saring-lookup", daemon=True).start()
        answer = _Answer()
        inbox.put((job, answer))
        return answer

    def _serve(self, inbox: queue.SimpleQueue) -> None:
        while True:
            job, answer = inbox.get()
            try:
                answer.value = job()
            except Exception as exc:  # noqa: BLE001 - raised again in the thread that asked
                answer.value = exc
            with self._lock:
                keep = len(self._idle) < self.KEEP
                if keep:
                    self._idle.append(inbox)
            answer.done.set()
            if not keep:
                return


_LOOKUPS = _Lookups()


class Fetcher:
    """A shared HTTP client with per-host politeness.

    Use as a context manager; safe to call from several threads.
    """

    def __init__(self, settings: FetchSettings | None = None, resolver: Resolver | None = None) -> None:
        """Args:
            resolver: how host names are resolved for the safety check and the connection
                (default: the system's resolver); tests inject a hostile one.
        """
        self.settings = settings or FetchSettings()
        self._resolver = resolver
        s = self.settings
        # No cap on open connections: the threads calling get (and the per-host slots) bound them, and
        # a cap below theirs made a download wait for a connection, then fail as "no answer".
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=s.workers)
        options = dict(timeout=httpx.Timeout(s.timeout), follow_redirects=False,
                       headers={"User-Agent": s.user_agent, "Accept-Language": "id,en;q=0.5",
                                "Accept-Encoding": ", ".join(_UNPACKERS)})
        # Two pools, so a connection opened for a source that may reach private addresses is
        # never reused for one that may not. Both connect directly: a proxy from the
        # environment would resolve names itself, out of reach of the check.
        self._client = httpx.Client(transport=_Transport(self._resolve, limits), **options)
        self._private_client = httpx.Client(transport=_Transport(self._resolve, limits, public_only=False),
                                            **options)
        self._hosts: dict[tuple[str, int | None], threading.BoundedSemaphore] = defaultdict(
            lambda: threading.BoundedSemaphore(s.per_host)
        )
        self._hosts_lock = threading.Lock()
        self._answers: cachetools.TTLCache[str, tuple[str, ...]] = cachetools.TTLCache(
            maxsize=4096, ttl=ANSWER_KEPT)
        self._answers_lock = threading.Lock()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()
        self._private_client.close()

    def _resolve(self, host: str, port: int | None) -> list[str]:
        """The resolver's answer, given up on after ``timeout`` or at the fetch's deadline: getaddrinfo
        has no time limit of its own, and a name server that drops questions held the worker for as
        long as the system's resolver kept asking."""
        with self._answers_lock:  # the addresses do not depend on the port
            known = self._answers.get(host)
        if known is not None:
            return list(known)
        s = self.settings
        at = getattr(_deadline, "at", None)
        limit = s.timeout if at is None else max(min(s.timeout, at - time.monotonic()), 0.0)
        # looked up when asked, as check_url does: a test's scripted resolver stands in for DNS
        resolver = self._resolver or urls.system_resolver
        answer = _LOOKUPS.run(lambda: list(resolver(host, port)))
        if not answer.done.wait(limit):
            if limit < s.timeout:
                raise TransientFetchError(f"{host}: no answer from the name server before the fetch's "
                                          f"{s.total_timeout:.0f} s were up")
            raise TransientFetchError(f"{host}: no answer from the name server within {s.timeout:.0f} s")
        if isinstance(answer.value, Exception):
            raise answer.value  # not kept: the next page asks again
        with self._answers_lock:
            self._answers[host] = tuple(answer.value)
        return answer.value

    def _host_slot(self, url: str) -> threading.BoundedSemaphore:
        # One slot per server, however a link spells it: "Host", "host.", "host:443" are one site.
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
        with self._hosts_lock:
            return self._hosts[(parts.hostname or "").rstrip("."), port]

    def get(
        self,
        url: str,
        *,
        allow_private: bool = False,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str | None = None,
    ) -> Response:
        """Download one URL, retrying timeouts, 429 and 5xx with backoff, all within ``total_timeout``:
        the tries, the waits between them and the redirects share that time, and no retry starts
        once its wait would use it up (time spent queued for the per-host limit is not counted).

        Raises:
            UnsafeURLError: the URL or a redirect target is refused.
            TooLargeError: the body is larger than ``max_bytes``.
            FetchError: any other failure, with a readable reason.
        """
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        if accept:
            headers["Accept"] = accept
        retrying = Retrying(
            stop=stop_after_attempt(self.settings.retries + 1) | _out_of_time,
            wait=_wait,
            retry=retry_if_exception_type(TransientFetchError),
            reraise=True,
        )
        _deadline.at = time.monotonic() + self.settings.total_timeout
        try:
            return retrying(self._get_once, url, headers, allow_private)
        finally:
            _deadline.at = None

    def _get_once(self, url: str, headers: dict[str, str], allow_private: bool) -> Response:
        started = time.monotonic()
        current = url
        for _hop in range(self.settings.max_redirects + 1):
            check_url(current, allow_private=allow_private, resolver=self._resolve)
            client = self._private_client if allow_private else self._client
            queued = time.monotonic()
            with self._host_slot(current):
                # Waiting behind this fetcher's own per-host limit is not the server's time.
                _deadline.at += time.monotonic() - queued
                status, resp_headers, content = self._download(client, current, headers)
            if status in REDIRECT_CODES and "location" in resp_headers:
                try:
                    target = urljoin(current, resp_headers["location"])
                except ValueError:  # a broken IPv6 literal; not MalformedURLError: the link given was fine
                    raise FetchError(f"{current}: redirects to a link that cannot be read "
                                     f"({resp_headers['location']!r})") from None
                # A short link to wa.me/62…: asking there tells WhatsApp whose number is looked at.
                # (The target is not named: this message is stored and logged.)
                if GENERIC.url(target)[0] is None:
                    raise ContactLinkError(f"{current}: redirects to a contact link (WhatsApp/Telegram to a "
                                           "person or a group), which saring never opens")
                try:  # it would be asked for, and stored as the page's address
                    current = urls.within_length(target)
                except MalformedURLError as exc:
                    raise FetchError(f"{current}: redirects to a link that cannot be read ({exc})") from None
                continue
            elapsed = time.monotonic() - started
            if status == 304 and not ({"If-None-Match", "If-Modified-Since"} & headers.keys()):
                # Trusted, it would leave the source "unchanged" every run, never read once.
                raise HTTPStatusError(f"{current}: server answered HTTP 304 (not modified), but saring sent "
                                      "no ETag or date to compare with: a misbehaving server or proxy; "
                                      "nothing can be read", status)
            if status == 304 or 200 <= status < 300:
                return Response(current, status, content, resp_headers, elapsed)
            if status == 429 or status >= 500:
                raise TransientFetchError(
                    f"{current}: server answered HTTP {status}",
                    _retry_after_seconds(resp_headers.get("retry-after")),
                    status,
                )
            raise HTTPStatusError(f"{current}: server answered HTTP {status}", status)
        raise FetchError(f"{url}: more than {self.settings.max_redirects} redirects")

    def _download(
        self, client: httpx.Client, url: str, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        s = self.settings
        _deadline.cut = False
        try:
            with client.stream("GET", url, headers=headers) as resp:
                resp_headers = {k.lower(): v for k, v in resp.headers.items()}
                if resp.status_code in REDIRECT_CODES or resp.status_code == 304:
                    return resp.status_code, resp_headers, b""
                declared = resp_headers.get("content-length", "")
                if declared.isdigit() and int(declared) > s.max_bytes:
                    raise TooLargeError(
                        f"{url}: {int(declared):,} bytes is over the {s.max_bytes:,}-byte limit"
                    )
                chunks: list[bytes] = []
                size = 0
                encoding = resp.headers.get_list("content-encoding", split_commas=True)
                for chunk in _unpacked(resp.iter_raw(), encoding):  # a gzip bomb is counted unpacked
                    size += len(chunk)
                    if size > s.max_bytes:
                        raise TooLargeError(f"{url}: more than the {s.max_bytes:,}-byte limit")
                    if time.monotonic() > _deadline.at:
                        raise TransientFetchError(f"{url}: download took over {s.total_timeout:.0f} s")
                    chunks.append(chunk)
                return resp.status_code, resp_headers, b"".join(chunks)
        except httpx.TimeoutException:
            if _deadline.cut:
                raise TransientFetchError(f"{url}: download took over {s.total_timeout:.0f} s") from None
            raise TransientFetchError(f"{url}: no answer within {s.timeout:.0f} s") from None
        except httpx.TooManyRedirects:
            raise FetchError(f"{url}: too many redirects") from None
        except httpx.DecodingError as exc:
            raise FetchError(f"{url}: response could not be decompressed ({exc})") from None
        except httpx.TransportError as exc:
            if (bad := _certificate_failure(exc)) is not None:
                raise CertificateError(f"{url}: the site's TLS certificate is not valid "
                                       f"({bad.verify_message or bad.reason})") from None
            raise TransientFetchError(f"{url}: connection failed ({exc.__class__.__name__}: {exc})") from None
        except httpx.InvalidURL as exc:
            raise FetchError(f"{url}: invalid address ({exc})") from None
        except UnsafeURLError as exc:  # the address checked at connect time was not public
            raise UnsafeURLError(f"refused {url!r}: {exc}") from None

    def get_many(
        self,
        urls: Iterable[str],
        *,
        allow_private: bool = False,
        on_result: Callable[[str, Response | FetchError], None] | None = None,
    ) -> dict[str, Response | FetchError]:
        """Download several URLs concurrently; each result is a Response or the error.

        ``on_result`` is called (from a worker thread) as each download finishes, so the
        caller can start on a page while the others are still arriving.
        """

        def one(u: str) -> tuple[str, Response | FetchError]:
            try:
                result: Response | FetchError = self.get(
                    u, allow_private=allow_private, accept="text/html,*/*;q=0.8")
            except FetchError as exc:
                result = exc
            if on_result is not None:
                on_result(u, result)
            return u, result

        unique = list(dict.fromkeys(urls))
        if not unique:
            return {}
        with ThreadPoolExecutor(max_workers=min(self.settings.workers, len(unique))) as pool:
            return dict(pool.map(one, unique))

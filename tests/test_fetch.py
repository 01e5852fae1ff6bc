"""Fetch behaviour only shows on a real socket: these run against pytest-httpserver."""

import gzip
import socket
import threading
import time
import tracemalloc
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from _net import STAND_IN, FakeDNS, expired_certificate_site, pretend_public
from werkzeug import Response as WResponse

from saring.collect.fetch import Fetcher
from saring.config import FetchSettings
from saring.errors import FetchError, TooLargeError, UnsafeURLError
from saring.limits import MAX_URL_CHARS

FAST = FetchSettings(timeout=1, total_timeout=3, retries=1, max_bytes=200_000, max_redirects=3)
ONE_TRY = FAST.model_copy(update={"retries": 0})
PAGES = Path(__file__).parent / "fixtures" / "pages" / "trafilatura" / "html"


@pytest.fixture()
def fetcher():
    with Fetcher(FAST) as f:
        yield f


def test_conditional_get_gets_304(httpserver, fetcher):
    def handler(request):
        if request.headers.get("If-None-Match") == '"v1"':
            return WResponse(status=304, headers={"ETag": '"v1"'})
        return WResponse(b"<rss/>",
                         headers={"ETag": '"v1"', "Last-Modified": "Wed, 25 Nov 2026 01:00:00 GMT"})

    httpserver.expect_request("/feed").respond_with_handler(handler)
    first = fetcher.get(httpserver.url_for("/feed"), allow_private=True)
    assert first.status == 200 and first.etag == '"v1"' and first.last_modified
    second = fetcher.get(httpserver.url_for("/feed"), allow_private=True, etag=first.etag)
    assert second.not_modified and second.content == b""


def test_user_agent_is_sent(httpserver, fetcher):
    httpserver.expect_request("/ua").respond_with_handler(
        lambda r: WResponse(r.headers.get("User-Agent", "")))
    assert fetcher.get(httpserver.url_for("/ua"), allow_private=True).content.startswith(b"saring/")


def test_404_is_a_clear_error(httpserver, fetcher):
    httpserver.expect_request("/missing").respond_with_data("not here", status=404)
    with pytest.raises(FetchError, match="HTTP 404"):
        fetcher.get(httpserver.url_for("/missing"), allow_private=True)


def test_5xx_is_retried_then_reported(httpserver, fetcher):
    httpserver.expect_request("/flaky").respond_with_data("busy", status=503)
    with pytest.raises(FetchError, match="HTTP 503"):
        fetcher.get(httpserver.url_for("/flaky"), allow_private=True)
    assert len([r for r, _ in httpserver.log if r.path == "/flaky"]) == 2  # 1 try + 1 retry


def test_429_retry_after_is_honoured(httpserver, fetcher):
    calls = []

    def handler(request):
        calls.append(time.monotonic())
        if len(calls) == 1:
            return WResponse("slow down", status=429, headers={"Retry-After": "1"})
        return WResponse("ok")

    httpserver.expect_request("/limited").respond_with_handler(handler)
    assert fetcher.get(httpserver.url_for("/limited"), allow_private=True).content == b"ok"
    assert len(calls) == 2 and calls[1] - calls[0] >= 0.9


@pytest.fixture()
def jakarta_clock(monkeypatch):
    """The process's local time zone is WIB, as on the forum's server."""
    monkeypatch.setenv("TZ", "Asia/Jakarta")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_a_retry_after_date_in_the_minus_0000_zone_is_read_as_utc(httpserver, jakarta_clock):
    # RFC 2822's "-0000" (what email.utils.formatdate writes) is UTC; the date came back without a
    # zone and was read as WIB, 7 hours in the past, so the server that asked for 3 s was asked at once.
    from email.utils import formatdate

    calls = []

    def handler(request):
        calls.append(time.monotonic())
        if len(calls) == 1:
            return WResponse("slow down", status=429, headers={"Retry-After": formatdate(time.time() + 3)})
        return WResponse("ok")

    httpserver.expect_request("/limited").respond_with_handler(handler)
    with Fetcher(FAST.model_copy(update={"total_timeout": 10})) as fetcher:
        assert fetcher.get(httpserver.url_for("/limited"), allow_private=True).content == b"ok"
    assert len(calls) == 2 and calls[1] - calls[0] >= 1.5


@pytest.mark.parametrize("retry_after", ["-1", "nan"])
def test_a_negative_or_nan_retry_after_gets_the_usual_backoff_not_a_crash(httpserver, fetcher, retry_after):
    # A misconfigured server's Retry-After: slept as it was, it crashed the fetch with a ValueError
    # (not a FetchError), which in get_many failed every page of the source, not this link alone.
    calls = []

    def handler(request):
        calls.append(1)
        if len(calls) == 1:
            return WResponse("slow down", status=429, headers={"Retry-After": retry_after})
        return WResponse("ok")

    httpserver.expect_request("/odd").respond_with_handler(handler)
    assert fetcher.get_many([httpserver.url_for("/odd")], allow_private=True)[
        httpserver.url_for("/odd")].content == b"ok"
    assert len(calls) == 2


def test_size_cap_by_header_and_by_stream(httpserver, fetcher):
    httpserver.expect_request("/big").respond_with_data(b"x" * 300_000)
    with pytest.raises(TooLargeError, match="200,000-byte limit"):
        fetcher.get(httpserver.url_for("/big"), allow_private=True)


def test_gzip_bomb_is_counted_unpacked(httpserver, fetcher):
    bomb = gzip.compress(b"\0" * 5_000_000)
    httpserver.expect_request("/bomb").respond_with_data(
        bomb, headers={"Content-Encoding": "gzip"})
    assert len(bomb) < FAST.max_bytes
    with pytest.raises(TooLargeError):
        fetcher.get(httpserver.url_for("/bomb"), allow_private=True)


def _serve_once(script):
    """A bare local server for what a well-behaved HTTP server never sends: ``script(conn)`` writes
    the answer to one request. Returns the port and an Event set once the client has hung up."""
    listener = socket.create_server(("127.0.0.1", 0))
    hung_up = threading.Event()

    def run():
        conn, _ = listener.accept()
        with conn, listener:
            conn.recv(65536)
            try:
                script(conn)
            except OSError:  # the client gave up and closed the connection
                hung_up.set()

    threading.Thread(target=run, daemon=True).start()
    return listener.getsockname()[1], hung_up


def _gzip_of_zeros(megabytes: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    return b"".join(packer.compress(bytes(1_000_000)) for _ in range(megabytes)) + packer.flush()


@pytest.mark.parametrize("encoding", ["gzip", "gzip, gzip"])
def test_a_small_compressed_bomb_never_unpacks_far_past_the_size_cap(fetcher, encoding):
    # 100 MB of zeros sent as ~100 KB (or, gzipped twice, a few hundred bytes): refusing it only after
    # unpacking a whole chunk made the fetcher allocate ~150 MB to find it was over a 200 KB cap.
    body = _gzip_of_zeros(100)
    if encoding == "gzip, gzip":
        body = gzip.compress(body)
    head = f"HTTP/1.1 200 OK\r\nContent-Encoding: {encoding}\r\nContent-Length: {len(body)}\r\n\r\n"
    # A bare server (it allocates next to nothing in this process, where memory is measured).
    port, _ = _serve_once(lambda conn: conn.sendall(head.encode() + body))
    tracemalloc.start()
    try:
        with pytest.raises(TooLargeError):
            try:
                fetcher.get(f"http://127.0.0.1:{port}/bomb", allow_private=True)
            finally:  # measured before pytest.raises takes its own memory to record the error
                peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10_000_000  # the cap is 200 KB; 10 MB leaves room for the pieces in flight


@pytest.mark.parametrize("encoding, pack", [
    ("gzip", gzip.compress),
    ("deflate", zlib.compress),                                               # zlib-wrapped, as the RFC says
    ("deflate", lambda b: zlib.compress(b, wbits=-15)),                        # raw, as some servers send it
    ("gzip, gzip", lambda b: gzip.compress(gzip.compress(b))),
    ("identity", lambda b: b),
])
def test_compressed_pages_arrive_whole(httpserver, fetcher, encoding, pack):
    # A real page, the largest under the cap: its packed body spans many of the unpacker's pieces.
    page = max((p.read_bytes() for p in PAGES.glob("*.html")),
               key=lambda b: len(b) if len(b) <= FAST.max_bytes else 0)
    httpserver.expect_request("/page").respond_with_data(pack(page), headers={"Content-Encoding": encoding})
    assert fetcher.get(httpserver.url_for("/page"), allow_private=True).content == page


def test_redirect_loop_is_bounded(httpserver, fetcher):
    httpserver.expect_request("/a").respond_with_data("", status=302, headers={"Location": "/b"})
    httpserver.expect_request("/b").respond_with_data("", status=302, headers={"Location": "/a"})
    with pytest.raises(FetchError, match="more than 3 redirects"):
        fetcher.get(httpserver.url_for("/a"), allow_private=True)


def test_a_redirect_to_a_broken_address_is_a_fetch_error_not_a_crash(fetcher):
    # A misconfigured site redirecting to a broken IPv6 link: reading the Location raised a ValueError,
    # which in get_many failed every article page of the source instead of this one link.
    # (A bare server: werkzeug itself fails on such a Location.)
    port, _ = _serve_once(lambda conn: conn.sendall(
        b"HTTP/1.1 302 Found\r\nLocation: http://[oops/x\r\nContent-Length: 0\r\n\r\n"))
    url = f"http://127.0.0.1:{port}/moved"
    result = fetcher.get_many([url], allow_private=True)[url]
    assert isinstance(result, FetchError) and "cannot be read" in str(result)


def test_a_redirect_to_an_over_long_address_is_refused_before_it_is_asked_for(httpserver, fetcher):
    # A broken or hostile site redirecting an article to a 50 KB address (the headers' own bound is
    # about 100 KB): it was asked for, and stored as the article's final address.
    longest = "/artikel?src=" + "9" * (MAX_URL_CHARS - len(httpserver.url_for("/artikel?src=")))
    httpserver.expect_request("/pindah").respond_with_data("", status=302, headers={"Location": longest})
    httpserver.expect_request("/panjang").respond_with_data(
        "", status=302, headers={"Location": "/artikel?q=" + "9" * 50_000})
    httpserver.expect_request("/artikel").respond_with_data("<title>Artikel</title>")
    assert len(fetcher.get(httpserver.url_for("/pindah"), allow_private=True).url) == MAX_URL_CHARS
    with pytest.raises(FetchError) as caught:
        fetcher.get(httpserver.url_for("/panjang"), allow_private=True)
    assert str(caught.value).startswith(f"{httpserver.url_for('/panjang')}: redirects to a link that cannot ")
    assert f"longer than {MAX_URL_CHARS:,} characters" in str(caught.value) and len(str(caught.value)) < 400
    assert [r.path for r, _ in httpserver.log] == ["/pindah", "/artikel", "/panjang"]


def test_redirect_to_private_address_is_refused(httpserver, monkeypatch):
    pretend_public(monkeypatch)  # the test server plays a public site
    httpserver.expect_request("/go").respond_with_data("", status=302, headers={"Location": "/next"})
    httpserver.expect_request("/next").respond_with_data(
        "", status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    with Fetcher(FAST, resolver=FakeDNS({})) as fetcher, pytest.raises(UnsafeURLError, match="169.254"):
        fetcher.get(f"http://{STAND_IN}:{httpserver.port}/go")
    # Two hops were fetched; the third (a later hop, not the first) is the one refused.
    assert [r.path for r, _ in httpserver.log] == ["/go", "/next"]


def test_every_redirect_hop_is_checked_not_only_the_first(httpserver, monkeypatch):
    """A later hop that only the URL check refuses (a password in the link; the address itself is
    allowed): it fails if the check runs on the first hop only, since the connection would succeed."""
    pretend_public(monkeypatch)
    secret = f"http://admin:hunter2@{STAND_IN}:{httpserver.port}/secret"
    httpserver.expect_request("/go").respond_with_data("", status=302, headers={"Location": "/next"})
    httpserver.expect_request("/next").respond_with_data("", status=302, headers={"Location": secret})
    httpserver.expect_request("/secret").respond_with_data("<title>Admin panel</title>")
    with Fetcher(FAST, resolver=FakeDNS({})) as fetcher, \
            pytest.raises(UnsafeURLError, match="user names or passwords"):
        fetcher.get(f"http://{STAND_IN}:{httpserver.port}/go")
    assert [r.path for r, _ in httpserver.log] == ["/go", "/next"]  # /secret was never asked for


@pytest.fixture()
def answers_not_kept(monkeypatch):
    """Every lookup asks the resolver: as when a fetcher's answer expires between the link's check
    and the connection (a name server with a short time to live)."""
    monkeypatch.setattr("saring.collect.fetch.ANSWER_KEPT", 0)


def test_dns_rebinding_is_refused(httpserver, answers_not_kept):
    """The check hears a public address, the connection would hear 127.0.0.1: connect only to
    the address that was checked."""
    httpserver.expect_request("/internal").respond_with_data("<title>Admin panel</title>")
    dns = FakeDNS({"localhost": [["93.184.216.34"], ["127.0.0.1"]]})
    with Fetcher(FAST, resolver=dns) as fetcher, pytest.raises(UnsafeURLError, match="private or local"):
        fetcher.get(f"http://localhost:{httpserver.port}/internal")
    assert httpserver.log == []  # nothing reached the internal server
    assert dns.asked == ["localhost", "localhost"]  # no third answer was ever asked for


def test_dns_rebinding_is_refused_on_a_redirect_hop(httpserver, monkeypatch, answers_not_kept):
    pretend_public(monkeypatch)
    httpserver.expect_request("/go").respond_with_data(
        "", status=302, headers={"Location": f"http://localhost:{httpserver.port}/secret"})
    httpserver.expect_request("/secret").respond_with_data("<title>Admin panel</title>")
    dns = FakeDNS({"localhost": [[STAND_IN], ["10.20.30.40"]]})
    with Fetcher(FAST, resolver=dns) as fetcher, pytest.raises(UnsafeURLError, match="10.20.30.40"):
        fetcher.get(f"http://{STAND_IN}:{httpserver.port}/go")
    assert [r.path for r, _ in httpserver.log] == ["/go"]


def test_one_answer_serves_the_check_and_the_connections_of_a_run(httpserver, monkeypatch):
    """A fetcher keeps a name's answer ANSWER_KEPT seconds: a run asks an outlet's name server once,
    not twice a page, and a rebinding answer given later is never used (the connection goes to
    the address the check approved). A failed lookup is not kept."""
    pretend_public(monkeypatch)
    httpserver.expect_request("/page").respond_with_data("<title>Berita</title>")
    dns = FakeDNS({"news.example": [[STAND_IN], ["10.20.30.40"]]})
    with Fetcher(FAST, resolver=dns) as fetcher:
        for _ in range(3):
            page = fetcher.get(f"http://news.example:{httpserver.port}/page")
            assert page.content == b"<title>Berita</title>"
        for _ in range(2):
            with pytest.raises(FetchError):
                fetcher.get(f"http://hilang.example:{httpserver.port}/page")
    assert dns.asked == ["news.example", "hilang.example", "hilang.example"]
    assert len(httpserver.log) == 3


def test_checked_address_is_the_one_connected_to(httpserver, monkeypatch):
    """A name resolved to the (stand-in) public address is fetched, Host header intact."""
    pretend_public(monkeypatch)
    httpserver.expect_request("/page").respond_with_handler(lambda r: WResponse(r.headers["Host"]))
    dns = FakeDNS({"news.example": [[STAND_IN]]})
    with Fetcher(FAST, resolver=dns) as fetcher:
        page = fetcher.get(f"http://news.example:{httpserver.port}/page")
    assert page.content == f"news.example:{httpserver.port}".encode()


def test_allow_private_fetches_local_addresses(httpserver):
    httpserver.expect_request("/local").respond_with_data("fine")
    with Fetcher(FAST, resolver=FakeDNS({"localhost": [["127.0.0.1"]]})) as fetcher:
        assert fetcher.get(f"http://localhost:{httpserver.port}/local", allow_private=True).content == b"fine"
        with pytest.raises(UnsafeURLError):
            fetcher.get(f"http://localhost:{httpserver.port}/local")


@pytest.fixture()
def expired_tls_site(tmp_path, monkeypatch):
    with expired_certificate_site(tmp_path, monkeypatch) as site:
        yield site


def test_an_expired_certificate_fails_at_once_with_a_reason_naming_it(expired_tls_site):
    # A regional news site let its certificate expire: every feed and page download was retried as
    # if the site were down ("connection failed (ConnectError: ...)"), and the health report said so.
    from saring.collect.fetch import TransientFetchError

    port, accepted = expired_tls_site
    with Fetcher(FAST) as fetcher, pytest.raises(FetchError, match="certificate") as failed:
        fetcher.get(f"https://{STAND_IN}:{port}/feed", allow_private=True)
    assert not isinstance(failed.value, TransientFetchError), failed.value
    assert "expired" in str(failed.value) and len(accepted) == 1


def test_malformed_links_are_a_fetch_error_not_a_crash(fetcher):
    for url in ("http://example.org:notaport/x", "http://example.org:99999/x", "http://[::1/x"):
        with pytest.raises(FetchError, match="cannot be read"):
            fetcher.get(url)
    results = fetcher.get_many(["http://example.org:notaport/x"])
    assert isinstance(results["http://example.org:notaport/x"], FetchError)


def test_stall_times_out(httpserver, fetcher):
    # The server answers one request at a time and is shared by the next tests: the stalled
    # handler is released once the client has given up, so it never delays them.
    given_up = threading.Event()
    httpserver.expect_request("/stall").respond_with_handler(
        lambda r: (given_up.wait(2.5), WResponse("late"))[1])
    started = time.monotonic()
    try:
        with pytest.raises(FetchError, match="no answer within 1 s"):
            fetcher.get(httpserver.url_for("/stall"), allow_private=True)
    finally:
        given_up.set()
    assert time.monotonic() - started < 10


def test_headers_sent_a_byte_at_a_time_cannot_outlast_the_total_time():
    # A hostile server keeps each read just within the read timeout by sending its headers one byte
    # at a time: the download is still cut at total_timeout (3 s), not when the server is done.
    def drip_headers(conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        for _ in range(60):  # 18 s of headers, then the server gives up itself
            conn.sendall(b"X")
            time.sleep(0.3)

    port, hung_up = _serve_once(drip_headers)
    with Fetcher(ONE_TRY) as fetcher, pytest.raises(FetchError, match="took over 3 s"):
        fetcher.get(f"http://127.0.0.1:{port}/feed", allow_private=True)
    assert hung_up.wait(5)  # the client left while the server was still dripping


def test_retries_share_the_total_time_instead_of_each_getting_their_own():
    # A feed server that stalls the same way on every try: with each retry given a fresh total_timeout,
    # one URL held its worker for (retries + 1) x total_timeout plus backoff (~3 min with the defaults).
    # The first try uses up the whole 3 s here, so no retry may start.
    def drip_headers(conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        for _ in range(60):
            conn.sendall(b"X")
            time.sleep(0.3)

    tries = []
    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:  # the test is over
                return
            tries.append(1)
            with conn:
                conn.recv(65536)
                try:
                    drip_headers(conn)
                except OSError:
                    pass

    threading.Thread(target=serve, daemon=True).start()
    try:
        with Fetcher(FAST.model_copy(update={"retries": 2})) as fetcher, \
                pytest.raises(FetchError, match="took over 3 s"):
            fetcher.get(f"http://127.0.0.1:{listener.getsockname()[1]}/feed", allow_private=True)
    finally:
        listener.close()
    assert len(tries) == 1


def test_a_retry_after_longer_than_the_time_left_ends_the_fetch_with_the_servers_answer(httpserver):
    # A busy server asking for 5 s more when the fetch has 3 s in all: waiting and asking again would
    # overrun the total time, so the fetch stops at once and says what the server answered.
    httpserver.expect_request("/busy").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "5"})
    with Fetcher(FAST) as fetcher, pytest.raises(FetchError, match="HTTP 429"):
        fetcher.get(httpserver.url_for("/busy"), allow_private=True)
    assert len(httpserver.log) == 1


def test_gzip_body_that_unpacks_to_nothing_cannot_outlast_the_total_time(httpserver):
    # Empty deflate blocks arrive all the time but unpack to no bytes at all: the size cap never
    # grows and the read timeout never fires, yet the download must end at total_timeout (3 s).
    given_up = threading.Event()

    def endless():
        yield gzip.compress(b"")[:10]  # the gzip header
        for _ in range(300):  # 15 s, then the server stops by itself
            if given_up.is_set():
                return
            yield b"\x00\x00\x00\xff\xff"  # an empty stored block, not the last one
            time.sleep(0.05)

    httpserver.expect_request("/empty").respond_with_handler(
        lambda r: WResponse(endless(), headers={"Content-Encoding": "gzip"}))
    try:
        with Fetcher(ONE_TRY) as fetcher, pytest.raises(FetchError, match="took over 3 s"):
            fetcher.get(httpserver.url_for("/empty"), allow_private=True)
    finally:
        given_up.set()


def test_pages_queued_behind_the_per_host_limit_still_get_their_whole_total_time(httpserver):
    # A slow news site with many article links: only per_host pages download at once, the rest wait
    # their turn. The wait counted toward total_timeout, so the later pages were cut ("took over")
    # though each took well under it: here 5 pages of 0.5 s, one at a time, against 2 s each.
    httpserver.expect_request("/slow", query_string=None).respond_with_handler(
        lambda r: (time.sleep(0.5), WResponse("article"))[1])
    urls = [httpserver.url_for(f"/slow?page={n}") for n in range(5)]
    queued = FetchSettings(timeout=1.5, total_timeout=2, retries=0, per_host=1, workers=5)
    with Fetcher(queued) as fetcher:
        results = fetcher.get_many(urls, allow_private=True)
    assert {u: getattr(r, "content", r) for u, r in results.items()} == {u: b"article" for u in urls}


@pytest.mark.parametrize("first,second", [
    ("https://berita.example/a", "https://berita.example:443/b"),
    ("http://berita.example/a", "http://BERITA.example:80/b"),
    ("https://berita.example./a", "https://berita.example/b"),
])
def test_one_site_spelled_two_ways_shares_one_per_host_limit(first, second):
    # A feed whose links name the site with its default port (or another spelling of its name)
    # got per_host downloads for each spelling: twice the load the limit promises the site.
    with Fetcher(FAST) as fetcher:
        assert fetcher._host_slot(first) is fetcher._host_slot(second)
        assert fetcher._host_slot("http://berita.example/a") is not fetcher._host_slot("http://lain.example/")


@pytest.fixture()
def silent_name_server(monkeypatch):
    """getaddrinfo for ``berita.example`` waits as a name server that never answers makes it wait
    (until the test ends), then fails as glibc does; other names resolve as usual. A stub: the system
    resolver cannot be pointed at a local server that stalls without root, and production uses it."""
    released = threading.Event()
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host == "berita.example":
            released.wait(15)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield
    released.set()


@pytest.mark.parametrize("allow_private", [False, True])
def test_a_name_server_that_never_answers_cannot_hold_the_fetch(silent_name_server, allow_private):
    # The feed's DNS server is down in a way that drops questions: getaddrinfo has no time limit of its
    # own, so the source's worker waited as long as the resolver did (for a public source: before the
    # download's clock even started). The lookup is bounded like a connect, with a reason naming it.
    with Fetcher(ONE_TRY) as fetcher, pytest.raises(FetchError, match="no answer from the name server"):
        fetcher.get("http://berita.example/feed", allow_private=allow_private)


def _lookup_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "saring-lookup"]


def test_a_lookup_thread_is_kept_for_the_next_lookup_and_a_stuck_one_is_not_waited_for(silent_name_server):
    # A thread started for each lookup (two a page) was 5 % of an ingest's CPU: they are kept.
    with Fetcher(ONE_TRY) as fetcher:
        assert fetcher._resolve("localhost", 80)
        before = len(_lookup_threads())  # kept from earlier fetches of this process too
        for _ in range(50):
            assert fetcher._resolve("localhost", 80)
        assert 1 <= len(_lookup_threads()) <= before
        # A lookup that never returns keeps its thread; the next lookups get another one.
        with pytest.raises(FetchError, match="no answer from the name server"):
            fetcher._resolve("berita.example", 80)
        started = time.monotonic()
        for _ in range(5):
            assert fetcher._resolve("localhost", 80)
        assert time.monotonic() - started < ONE_TRY.timeout


def test_more_sites_at_once_than_pooled_connections_are_all_downloaded():
    # Sources are read side by side, each with its own page downloads (up to source_workers x (workers
    # + 1) at once, 36 by default), but the connection pool held workers x 2 (16): a download over that
    # waited for a connection and failed as "no answer within 20 s" from a server it never asked.
    # Here workers=1 (2 connections) and three slow sites read at once.
    def slow(conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n")
        for byte in b"abcd":
            time.sleep(0.5)
            conn.sendall(bytes([byte]))

    urls = [f"http://127.0.0.1:{_serve_once(slow)[0]}/feed" for _ in range(3)]
    few = FetchSettings(timeout=1, total_timeout=5, retries=0, workers=1)
    with Fetcher(few) as fetcher, ThreadPoolExecutor(3) as sources:
        pages = list(sources.map(lambda url: fetcher.get(url, allow_private=True).content, urls))
    assert pages == [b"abcd"] * 3


def test_get_many_returns_errors_in_place(httpserver, fetcher):
    httpserver.expect_request("/ok").respond_with_data("fine")
    httpserver.expect_request("/nope").respond_with_data("gone", status=410)
    results = fetcher.get_many([httpserver.url_for("/ok"), httpserver.url_for("/nope")],
                               allow_private=True)
    assert results[httpserver.url_for("/ok")].content == b"fine"
    assert isinstance(results[httpserver.url_for("/nope")], FetchError)


def test_fetchers_share_one_tls_setup(monkeypatch):
    # Loading the CA bundle took a third of a run with nothing new: three times for every Fetcher.
    import ssl

    from saring.collect.fetch import ssl_context

    calls = []
    real = ssl.create_default_context
    monkeypatch.setattr(ssl, "create_default_context", lambda *a, **k: calls.append(1) or real(*a, **k))
    ssl_context.cache_clear()
    for _ in range(2):
        with Fetcher(FetchSettings()):
            pass
    assert len(calls) == 1

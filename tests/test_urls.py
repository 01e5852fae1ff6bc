import pytest

from saring.collect.urls import canonical_url, check_url, is_public, url_key
from saring.errors import MalformedURLError, UnsafeURLError


def test_canonical_url_strips_tracking_and_fragments():
    a = canonical_url("HTTPS://Malangpost.id:443/2021/05/20/kpu/?utm_source=wa&b=2&a=1&fbclid=x#komentar")
    assert a == "https://malangpost.id/2021/05/20/kpu/?a=1&b=2"
    assert url_key(a) == url_key("https://malangpost.id/2021/05/20/kpu/?b=2&a=1")


def test_canonical_url_keeps_real_query():
    assert canonical_url("https://www.jatimpos.co/index.php?format=feed&type=rss") == \
        "https://www.jatimpos.co/index.php?format=feed&type=rss"


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/x", "http://localhost/x", "http://10.1.2.3/", "http://192.168.0.1/",
    "http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://0.0.0.0/",
    "http://172.16.5.4/", "http://100.64.0.1/", "http://224.0.0.1/", "http://240.0.0.1/",
    "http://[fc00::1]/", "http://[fe80::1]/", "http://[::ffff:127.0.0.1]/", "http://2130706433/",
])
def test_private_addresses_refused_by_default(url):
    with pytest.raises(UnsafeURLError, match="private or local"):
        check_url(url)
    check_url(url, allow_private=True)  # explicit opt-in


@pytest.mark.parametrize("url, why", [
    ("ftp://example.org/x", "only http and https"),
    ("file:///etc/passwd", "only http and https"),
    ("http://user:pw@example.org/", "user names or passwords"),
    ("http://example.org@127.0.0.1/", "user names or passwords"),
])
def test_odd_urls_refused(url, why):
    with pytest.raises(UnsafeURLError, match=why):
        check_url(url, allow_private=True)


@pytest.mark.parametrize("url", [
    "http://[64:ff9b::7f00:1]/", "http://[64:ff9b::a00:1]/",        # NAT64 of 127.0.0.1, 10.0.0.1
    "http://[64:ff9b:1::a9fe:a9fe]/",                                 # local-use NAT64 (RFC 8215)
    "http://[2002:7f00:1::]/", "http://[2002:a9fe:a9fe::1]/",         # 6to4 of 127.0.0.1, 169.254.169.254
    "http://[::7f00:1]/", "http://[::c0a8:1]/",                       # IPv4-compatible 127.0.0.1, 192.168.0.1
    "http://[::ffff:0:a00:1]/", "http://[::ffff:a9fe:a9fe]/",         # IPv4-translated, IPv4-mapped
])
def test_ipv6_addresses_embedding_private_ipv4_are_refused(url):
    with pytest.raises(UnsafeURLError, match="private or local"):
        check_url(url, resolver=lambda host, port: [host])


@pytest.mark.parametrize("address", ["64:ff9b::808:808", "2002:808:808::1", "::ffff:8.8.8.8", "8.8.8.8",
                                     "2606:4700:4700::1111"])
def test_public_addresses_stay_public(address):
    assert is_public(address)


def test_ipv6_hosts_keep_their_brackets():
    assert canonical_url("http://[::1]:18082/x") == "http://[::1]:18082/x"
    assert canonical_url("HTTPS://[2606:4700:4700::1111]:443/a?utm_source=x") == "https://[2606:4700:4700::1111]/a"
    assert url_key("http://[::1]:18082/x") == url_key("http://[::1]:18082/x#frag")
    assert canonical_url(canonical_url("http://[2606:4700::1111]/x")) == "http://[2606:4700::1111]/x"


@pytest.mark.parametrize("url, why", [
    ("http://example.org:notaport/x", "port"),
    ("http://example.org:99999/x", "port"),
    ("http://[::1/x", "host"),
    ("http://[not-an-address]/x", "host"),
])
def test_malformed_links_raise_one_clear_error(url, why):
    for function in (canonical_url, url_key, check_url):
        with pytest.raises(MalformedURLError, match=f"cannot be read: its {why}"):
            function(url)

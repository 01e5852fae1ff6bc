import pytest

from saring.errors import UnsafeURLError
from saring.urls import canonical_url, check_url, url_key


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

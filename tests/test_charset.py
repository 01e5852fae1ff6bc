"""The declared charset of a page comes from httpx's Content-Type parsing (one parser, not two)."""

import pytest

from saring.collect.fetch import Response


@pytest.mark.parametrize(("content_type", "charset"), [
    ("text/html; charset=windows-1252", "windows-1252"),
    ('text/html; charset="ISO-8859-1"', "iso-8859-1"),
    ("text/html;charset=utf-8; foo=bar", "utf-8"),
    ("text/html", None),
])
def test_declared_charset(content_type, charset):
    page = Response("https://a.example/", 200, b"", {"content-type": content_type})
    assert page.charset == charset


def test_no_content_type_means_no_charset():
    assert Response("https://a.example/", 200).charset is None

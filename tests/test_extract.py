"""Extraction on real pages (see fixtures/pages/SOURCE.md) with their stated expectations."""

import gzip
import json
from pathlib import Path

import pytest

from saring.collect.extract import decode_html, extract_article

PAGES = Path(__file__).parent / "fixtures" / "pages"
TRAF = json.loads((PAGES / "trafilatura" / "evaldata-subset.json").read_text(encoding="utf-8"))
SH = json.loads((PAGES / "scrapinghub" / "ground-truth.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("url", sorted(TRAF), ids=lambda u: TRAF[u]["file"][:30])
def test_trafilatura_eval_pages(url):
    case = TRAF[url]
    html = (PAGES / "trafilatura" / "html" / case["file"]).read_bytes()
    result = extract_article(html, url=url)
    assert result.text, result.error
    for snippet in case["with"]:
        assert snippet in result.text
    for snippet in case["without"]:
        assert snippet not in result.text


@pytest.mark.parametrize("page_id", sorted(SH), ids=lambda i: i[:10])
def test_scrapinghub_pages_recall(page_id):
    html = gzip.decompress((PAGES / "scrapinghub" / "html" / f"{page_id}.html.gz").read_bytes())
    result = extract_article(html, url=SH[page_id]["url"])
    expected = set(SH[page_id]["articleBody"].split())
    got = set((result.text or "").split())
    recall = len(expected & got) / len(expected)
    assert recall > 0.7, f"recall {recall:.2f}"


def test_failure_keeps_a_reason():
    result = extract_article(b"<html><body><nav>Beranda</nav></body></html>")
    assert result.text is None and "no article text" in result.error or "too short" in result.error
    assert extract_article(b"").error == "the page is empty"


def test_wrong_charset_label_is_survived():
    text = "Pemilihan umum di Kota Batu berjalan lancar, kata ketua KPU — “damai”."
    cp1252 = f"<html><body><p>{text}</p></body></html>".encode("cp1252")
    assert "“damai”" in decode_html(cp1252, declared="utf-8")
    utf8 = f"<html><body><p>{text}</p></body></html>".encode()
    assert "“damai”" in decode_html(utf8, declared="iso-8859-1")


@pytest.mark.parametrize("tag, lang", [('<html lang="id-ID">', "id"), ("<html class='x' LANG='en'>", "en"),
                                       ('<html xml:lang="ms">', "ms"), ("<html>", None),
                                       ('<html><body lang="fr">', None)])
def test_language_from_the_html_element(tag, lang):
    body = "<p>" + "Pemilihan umum di Kota Batu berjalan lancar menurut KPU setempat. " * 8 + "</p>"
    assert extract_article(f"{tag}<head><title>t</title></head><body><article>{body}</article></body></html>"
                           ).language == lang


def test_full_comparison_only_for_short_texts(monkeypatch):
    """trafilatura's fallbacks (readability, jusText) run only when its own fast reading is short:
    on longer texts they kept its own text on every page measured, at 40 % of the time."""
    import trafilatura

    from saring.collect import extract

    calls = []

    def spy(*args, **kwargs):
        calls.append(kwargs["fast"])
        return bare(*args, **kwargs)

    bare = trafilatura.bare_extraction
    monkeypatch.setattr(extract.trafilatura, "bare_extraction", spy)
    lengths = {}
    for page_id in sorted(SH):
        calls.clear()
        html = gzip.decompress((PAGES / "scrapinghub" / "html" / f"{page_id}.html.gz").read_bytes())
        text = extract_article(html, url=SH[page_id]["url"]).text or ""
        lengths[len(text) >= extract.FULL_CHECK_BELOW] = calls[:]
    assert lengths[True] == [True]  # a long text: the fast reading only
    short = "<html><body><article><p>" + "Rapat pleno KPU Kota Batu. " * 12 + "</p></article></body></html>"
    calls.clear()
    extract_article(short.encode())
    assert calls == [True, False]


def test_a_page_whose_text_was_encoded_twice_is_read_as_written():
    # The article page of a WordPress site whose database encodes UTF-8 a second time ("latin1"
    # tables): it said "Malangpost.id â€“ Kamis siang" where the site's readers should see "–".
    page = (Path(__file__).parent.parent / "sample" / "site" / "malangpost" / "2021" / "05" / "20"
            / "kpu-kota-batu-bentuk-bakohumas" / "index.html").read_bytes()
    twice = "".join(bytes([b]).decode("cp1252", "ignore") or chr(b) for b in page).encode()
    clean = extract_article(page, url="https://malangpost.id/2021/05/20/kpu-kota-batu-bentuk-bakohumas/")
    assert "–" in clean.text
    got = extract_article(twice, url="https://malangpost.id/2021/05/20/kpu-kota-batu-bentuk-bakohumas/")
    assert (got.text, got.title, got.author) == (clean.text, clean.title, clean.author)

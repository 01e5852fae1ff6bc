"""The HTML digest in real headless Chromium at phone width (360 px): renders, no sideways scroll."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from _browser import ARGS, CHROMIUM

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Chromium not installed (apt-get install -y chromium) at /usr/bin/chromium"
)


def test_html_digest_fits_a_phone(tmp_path):
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright (dev extra) is not installed")
    from saring.report.archive import write_archive
    from saring.report.digest import Digest, DigestItem
    from saring.report.health import SourceHealth

    long_word = "https://media.example/" + "sangat-panjang-" * 20
    items = [
        DigestItem(
            item_id=f"i{n}",
            title=f"KPU Kota Batu {'Pemberitahuan' * 6} {n}",
            source_name="Malangpost.id",
            region="Kota Batu",
            url=long_word + str(n),
            published_at=datetime(2026, 11, 25, 2, tzinfo=UTC),
            excerpt="Komisi Pemilihan Umum (KPU) Kota Batu melaksanakan pertemuan " * 3 + long_word,
            election_score=0.95,
            hoax_score=h,
            risk=r,
            election_terms=["kpu", "pemilu"],
            hoax_terms=["viral", "beredar", "hoaks"],
            text_source="trafilatura",
        )
        for n, (h, r) in enumerate([(0.9, "tinggi"), (0.5, "sedang"), (0.1, "rendah")])
    ]
    d = Digest(
        day=date(2026, 11, 25),
        generated_at=datetime(2026, 11, 25, 23, tzinfo=UTC),
        items_seen=40,
        unscored=0,
        election_items=items,
        omitted=0,
        model_versions=["m1"],
        health=[SourceHealth("mati", "Sumber Mati", "gagal", "HTTP 500 " + "x" * 200)],
    )
    write_archive(d, tmp_path)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(
                viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True
            )
            for name in ("digest-2026-11-25.html", "index.html", "digest-2026-11-25.email.html"):
                page.goto((tmp_path / name).as_uri())
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= 360, f"{name} scrolls sideways on a phone: {width}px wide"
            page.goto((tmp_path / "digest-2026-11-25.html").as_uri())
            assert page.locator("article").count() == 3 and page.locator("h1").inner_text()
            shot = tmp_path / "phone.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(png[16:20], "big") == 720  # 360 css px x2

"""The web desk in headless Chromium at phone width (360 px): log in, check, label, open the card.

Uses Debian's /usr/bin/chromium through Playwright's Python package (no browser download).
Screenshots go to the test's tmp dir (or $SARING_SCREENSHOTS) and are inspected for overflow.
"""

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
from _browser import ARGS, CHROMIUM

PASSWORD = "kata-sandi-rahasia"

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install playwright)"
)
if not CHROMIUM.exists():
    pytest.skip(
        "Chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)",
        allow_module_level=True,
    )


@pytest.fixture()
def server(sample_site, sample_config, db_path, scorer):
    import uvicorn

    from saring.desk.app import create_app
    from saring.desk.auth import add_user
    from saring.pipeline.ingest import run_ingest
    from saring.storage.database import Store

    with Store(db_path) as store:
        run_ingest(sample_config, store, scorer=scorer)
    add_user(db_path, "rina", PASSWORD)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(
        uvicorn.Config(create_app(db_path), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(5)


def _fits(page, shots: Path, name: str) -> None:
    path = shots / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{name}: page is {width} px wide on a 360 px screen"
    from PIL import Image

    img = Image.open(path)
    assert img.width == 360 and img.height > 200
    assert len(set(img.convert("L").resize((90, 90)).getdata())) > 5, f"{name}: blank page"


def test_phone_flow_login_check_label_card(server, tmp_path):
    shots = Path(os.environ.get("SARING_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 360, "height": 740}, device_scale_factor=1)
            page.goto(server + "/")
            assert "/login" in page.url
            _fits(page, shots, "01-login")
            page.fill("#name", "rina")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]:has-text('Masuk')")
            page.wait_for_load_state()
            assert page.locator("h1").inner_text().startswith("Ringkasan")
            _fits(page, shots, "02-digest")

            page.click("nav >> text=Cek pesan")
            text = _sample_text(page, server)
            page.fill("#q", text)
            page.click("button:has-text('Cek sekarang')")
            page.wait_for_selector("#result")
            assert "Risiko hoaks" in page.inner_text("#result")
            assert "Saring sebelum Sharing" in page.input_value("#card-text")
            assert _png_width(page) == 1080
            _fits(page, shots, "03-check")

            page.click("nav >> text=Antrian label")
            first = page.locator("#antrian .item").first
            item_dom_id = first.get_attribute("id")
            first.locator("button[data-label='hoax-0']").click()
            page.wait_for_selector("#label-done")
            page.click(f"#{item_dom_id} button[data-label='election-1']")
            page.wait_for_selector("#label-done")
            assert page.locator(f"#{item_dom_id}").count() == 0  # both labels given: out of the queue
            _fits(page, shots, "04-review")

            page.locator("#antrian .item a:has-text('Kartu klarifikasi')").first.click()
            page.wait_for_selector("#card-png")
            assert _png_width(page) == 1080
            assert "belum ada klarifikasi resmi" in page.input_value("#card-text").lower()
            _fits(page, shots, "05-card")

            for path, name in (("/health", "06-health"), ("/models", "07-models")):
                page.goto(server + path)
                _fits(page, shots, name)
        finally:
            browser.close()
    if os.environ.get("SARING_SCREENSHOTS"):
        return
    assert len(list(shots.glob("*.png"))) == 7
    shutil.rmtree(shots, ignore_errors=True)


def _sample_text(page, server) -> str:
    """A forwarded excerpt of an article from the sample (read from the digest page)."""
    page.goto(server + "/")
    excerpt = page.locator(".item p").first.inner_text()
    page.goto(server + "/check")
    return excerpt


def _png_width(page) -> int:
    """Natural width of the card image once loaded (polled: the CSP forbids eval'd predicates)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        width = page.locator("#card-png").evaluate("img => img.complete ? img.naturalWidth : 0")
        if width:
            return width
        time.sleep(0.1)
    return 0

"""Headless Chromium for the browser tests: Debian's /usr/bin/chromium, driven by Playwright."""

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking switches Chromium keeps dialling out, which this network refuses.
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

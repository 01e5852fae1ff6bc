"""Big batches are extracted in a process pool, also when saring runs as `python -m saring`."""

import json
import shutil
import subprocess
import sys

from saring.pipeline.demo import SiteServer, sample_dir


def test_cli_ingest_uses_the_pool_for_a_big_feed(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(sample_dir(), site)
    articles = json.loads((site / "articles.json").read_text(encoding="utf-8"))[:24]
    items = "".join(f"<item><title>{a['title']}</title><link>{{{{SITE}}}}{a['path']}</link></item>"
                    for a in articles)
    (site / "big.xml").write_text(f"<rss version='2.0'><channel><title>big</title>{items}</channel></rss>",
                                  encoding="utf-8")
    with SiteServer(site) as server:
        (tmp_path / "sources.yaml").write_text(
            f"sources:\n  - id: big\n    name: Big\n    url: {server.base_url}/big.xml\n"
            "    options: {allow_private: true}\n", encoding="utf-8")
        proc = subprocess.run([sys.executable, "-m", "saring", "ingest", "--sources", str(tmp_path / "sources.yaml"),
                               "--db", str(tmp_path / "db.duckdb"), "-v"],
                              capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "extraction pool failed" not in proc.stderr
    assert "24 new, 24 extracted" in proc.stderr  # the run log line of the source

"""`saring demo` run again in the same folder serves the sample on the same address."""

import socket

from saring.pipeline.demo import demo_site_server, sample_dir, write_demo_sources


def test_a_second_demo_serves_the_sample_where_the_first_did(tmp_path):
    # The stored items' addresses include the port: a new one would store every page again.
    sources = tmp_path / "sources.demo.yaml"
    with demo_site_server(sample_dir(), sources) as first:
        write_demo_sources(sources, first.base_url)
    with demo_site_server(sample_dir(), sources) as second:
        assert second.base_url == first.base_url


def test_a_taken_port_falls_back_to_a_free_one(tmp_path):
    sources = tmp_path / "sources.demo.yaml"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        write_demo_sources(sources, f"http://127.0.0.1:{taken.getsockname()[1]}")
        with demo_site_server(sample_dir(), sources) as server:
            assert server.base_url != f"http://127.0.0.1:{taken.getsockname()[1]}"
    sources.write_text("sources: [nonsense", encoding="utf-8")  # an edited, broken file: any port
    with demo_site_server(sample_dir(), sources) as server:
        assert server.base_url.startswith("http://127.0.0.1:")

"""Orchestration over the stages: an ingest run, scale-out, forwarded links, the offline demo."""

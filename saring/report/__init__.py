"""Report: the daily digest, its archive, delivery and source health."""

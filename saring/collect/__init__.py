"""Collect: read sources (feeds, social kinds, pages, the WhatsApp tipline) into plain records."""

"""Composing replies: language detection, localised framing, extractive answers with citations."""

"""Retrieval quality: does the right passage of the right document come back in the top k."""

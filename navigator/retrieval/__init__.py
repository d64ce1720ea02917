"""Retrieval: the embedding model, the indexes and the search over them."""

"""The corpus: the document model, the shipped sources, how scraped documents merge in, and text cleaning."""

"""Parsers that turn fetched pages and files into corpus documents."""

"""SEND Navigator: find and cite Birmingham SEND Local Offer passages in the languages families speak."""

__version__ = "0.1.0"

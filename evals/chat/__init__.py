"""Scoring of chat replies on the evaluation sets."""

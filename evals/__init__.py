"""Evaluation tasks run by `navigator eval`; each writes a timestamped run folder."""

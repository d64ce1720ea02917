"""Answerability evaluation set: questions the documents answer and questions they do not (README.md)."""

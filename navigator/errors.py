"""Typed errors that name a next step; only the API and CLI translate them.

NavigatorError
 ├ ConfigError 500
 ├ ModelError 500 (model missing, checksum mismatch)
 ├ CorpusError 500 (missing or malformed corpus)
 ├ IndexNotReadyError 503
 ├ IndexMismatchError 503
 ├ QueryRejectedError 422 (empty; feedback comment too long)
 │  └ QueryTooLongError 413
 ├ ComposerUnavailableError 503 (caught → extractive)
 ├ FeedbackTargetNotFoundError 404 (no such conversation or reply)
 ├ StorageError 503 (conversation database unusable)
 └ ScrapeError 502 → FetchError, RobotsDisallowedError, ParseError, UnsafeURLError
"""

from __future__ import annotations


class NavigatorError(Exception):
    """Base of every error the navigator raises on purpose."""

    code = "navigator_error"
    http_status = 500


class ConfigError(NavigatorError):
    """Settings that cannot work together."""

    code = "config_error"
    http_status = 500


class ModelError(NavigatorError):
    """The embedding model is missing, corrupt or cannot be loaded."""

    code = "model_error"
    http_status = 500


class CorpusError(NavigatorError):
    """The corpus is missing or malformed."""

    code = "corpus_error"
    http_status = 500


class IndexNotReadyError(NavigatorError):
    """No usable index is loaded yet."""

    code = "index_not_ready"
    http_status = 503


class IndexMismatchError(NavigatorError):
    """The index on disk was built for another model or other chunking than configured."""

    code = "index_mismatch"
    http_status = 503


class QueryRejectedError(NavigatorError):
    """The query cannot be searched as given (for example, it is empty)."""

    code = "query_rejected"
    http_status = 422


class QueryTooLongError(QueryRejectedError):
    """The query is longer than the configured limit."""

    code = "query_too_long"
    http_status = 413


class ComposerUnavailableError(NavigatorError):
    """The optional LLM composer could not be reached; callers fall back to extractive answers."""

    code = "composer_unavailable"
    http_status = 503


class FeedbackTargetNotFoundError(NavigatorError):
    """Feedback names a conversation or reply that does not exist (or has been deleted)."""

    code = "feedback_target_not_found"
    http_status = 404


class StorageError(NavigatorError):
    """The conversation database cannot be opened, is corrupt or stays locked."""

    code = "storage_error"
    http_status = 503


class ScrapeError(NavigatorError):
    """A source could not be scraped."""

    code = "scrape_error"
    http_status = 502


class FetchError(ScrapeError):
    """A URL could not be fetched."""

    code = "fetch_error"


class RobotsDisallowedError(ScrapeError):
    """robots.txt forbids fetching a URL."""

    code = "robots_disallowed"


class ParseError(ScrapeError):
    """A fetched page or file cannot be read as the kind of document it was taken for."""

    code = "parse_error"


class UnsafeURLError(ScrapeError):
    """A URL is outside the allowed hosts and paths, not http(s), or points at a private address."""

    code = "unsafe_url"

"""Property-based fuzz of the app's OpenAPI schema with schemathesis: valid and invalid requests to every
operation, and not one 5xx or stack trace in reply."""

from __future__ import annotations

import re
import tempfile
from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from navigator.api.app import create_app
from navigator.config import Settings
from navigator.testing import fake_searcher

EXAMPLES_PER_OPERATION = 30
LEAKS = re.compile(r'Traceback|File "|/work/|\.py"|site-packages')
CALLS: Counter[str] = Counter()


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    app_settings = Settings(
        index_dir=root / "index",
        database_path=root / "nav.sqlite3",
        model_cache_dir=root / "models",
        answer_threshold=0.0,
        rate_limit_per_minute=0,  # the fuzzer sends far more than a family would
        max_query_chars=500,
    )
    searcher = fake_searcher(root / "index", max_query_chars=500)
    return create_app(app_settings, searcher)


def _openapi() -> dict:
    """The schema as the app publishes it; no index is needed for that (nothing loads before start-up).

    Read at import because schemathesis parametrizes at collection time (its lazy ``from_fixture`` loader
    fails on pytest 9); the cases are then sent to the fixture's fully built app.
    """
    return create_app(Settings(database_path=Path(tempfile.gettempdir()) / "navigator-fuzz-unused.sqlite3")).openapi()


schema = schemathesis.openapi.from_dict(_openapi())


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,  # nothing written to .hypothesis/ in the checkout
    suppress_health_check=list(HealthCheck),
)
def test_fuzz_no_operation_answers_5xx(case, fuzz_app):
    response = case.call(app=fuzz_app)
    CALLS[f"{case.method} {case.path}"] += 1
    # Only "not a server error": the SSE stream's body is not JSON, so schema conformance is not checked.
    case.validate_response(response, checks=[not_a_server_error])
    assert not LEAKS.search(response.text), response.text
    if response.status_code >= 400:
        assert response.headers["content-type"][0].startswith("application/json")  # header values are lists
        assert set(response.json()["error"]) <= {"code", "message", "localised"}


def test_fuzz_covered_every_operation():
    """Runs after the fuzz test (file order): each API operation was called."""
    if not CALLS:
        pytest.skip("run together with test_fuzz_no_operation_answers_5xx")
    expected = {"POST /api/chat", "POST /api/chat/stream", "POST /api/search", "POST /api/feedback", "GET /healthz"}
    assert expected <= set(CALLS), CALLS

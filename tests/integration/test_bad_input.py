"""Bad input against the real app (create_app over a FAISS + BM25 index of the tiny corpus with FakeEmbedder):
size limits with localised messages, malformed bodies, odd characters, and no stack trace in any response."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from navigator.api.app import create_app
from navigator.config import Settings
from navigator.languages.locales import get_locale
from navigator.testing import fake_searcher

MAX_CHARS = 1000
MAX_BYTES = 16384
ALWAYS_IN_SCOPE = -2.0  # scope scores lie in [-2, 2]; FakeEmbedder vectors mean nothing for scope
STATUSES = {"answered", "not_found", "out_of_scope", "safeguarding"}
CHAT_PATHS = ["/api/chat", "/api/chat/stream"]
LEAKS = re.compile(r'Traceback|File "|/work/|\.py"|site-packages|\bline \d+, in\b')



def run_in_fresh_loop(coroutine: Any) -> Any:
    """Run an ASGI call on its own event loop in a worker thread: the browser tests' Playwright keeps a loop
    running in the main thread for the whole session, and asyncio.run refuses to start beside it."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()

def _settings(tmp_path, **overrides) -> Settings:
    values = {
        "index_dir": tmp_path / "index",
        "database_path": tmp_path / "nav.sqlite3",
        "model_cache_dir": tmp_path / "models",
        "max_query_chars": MAX_CHARS,
        "max_request_bytes": MAX_BYTES,
        "answer_threshold": 0.0,  # the answerability model was fitted on e5 scores, not FakeEmbedder ones
        "rate_limit_per_minute": 0,
        **overrides,
    }
    return Settings(**values)


def _app(tmp_path, **overrides) -> FastAPI:
    settings = _settings(tmp_path, **overrides)
    return create_app(settings, fake_searcher(settings.index_dir, max_query_chars=MAX_CHARS))


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> FastAPI:
    return _app(tmp_path_factory.mktemp("bad-input"))


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app) as test_client:
        app.state.chat.get().scope.margin = ALWAYS_IN_SCOPE
        yield test_client


def _assert_clean(response) -> None:
    """No stack trace, source path or file name in any response, whatever its status."""
    assert response.status_code < 500, response.text
    assert not LEAKS.search(response.text), response.text


def _error(response, status: int, code: str) -> dict:
    _assert_clean(response)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    return error


def _reply(response) -> dict:
    _assert_clean(response)
    assert response.status_code == 200, response.text
    if response.headers["content-type"].startswith("text/event-stream"):
        final = response.text.split("event: final\n", 1)[1]
        return json.loads("".join(line.removeprefix("data: ") for line in final.splitlines() if line))
    return response.json()


# ---- length and size limits -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", CHAT_PATHS)
def test_bad_input_too_long_message_is_413_with_urdu_localised_text(client, path):
    message = "میرے بیٹے کا ای ایچ سی پلان " * 60  # 1,680 characters, about 3 KB: under the byte limit

    error = _error(client.post(path, json={"message": message, "language": "ur"}), 413, "query_too_long")

    assert f"the limit is {MAX_CHARS}" in error["message"]  # English for staff and logs
    assert error["localised"] == get_locale("ur").text("error.too_long", limit=MAX_CHARS)


def test_bad_input_too_long_message_without_language_is_localised_in_english(client):
    error = _error(client.post("/api/chat", json={"message": "help " * 400}), 413, "query_too_long")

    assert error["localised"] == get_locale("en").text("error.too_long", limit=MAX_CHARS)


def test_bad_input_body_over_the_byte_limit_is_413_before_the_app_reads_it(client):
    body = json.dumps({"message": "x" * (MAX_BYTES + 10), "language": "ur"})

    error = _error(
        client.post("/api/chat", content=body, headers={"content-type": "application/json"}),
        413,
        "request_too_large",
    )

    assert str(MAX_BYTES) in error["message"]
    # The body is refused unread, so its language is unknown: the family's text is in English.
    assert error["localised"] == get_locale("en").text("error.too_long", limit=MAX_CHARS)


def test_bad_input_search_and_feedback_bodies_are_capped_too(client):
    for path in ("/api/search", "/api/feedback"):
        response = client.post(
            path, content=b"{" + b" " * MAX_BYTES + b"}", headers={"content-type": "application/json"}
        )
        error = _error(response, 413, "request_too_large")
        assert "localised" not in error  # only the chat endpoints write to families


def test_bad_input_chunked_body_is_cut_off_at_the_limit(app):
    """A body without Content-Length, sent 1 KB at a time without end: 413 after reading just past the limit."""
    received = 0
    sent: list[dict] = []

    async def receive() -> dict:
        nonlocal received
        received += 1
        return {"type": "http.request", "body": b"a" * 1024, "more_body": True}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/api/chat", "raw_path": b"/api/chat", "query_string": b"", "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")],
        "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80), "state": {},
    }  # fmt: skip
    run_in_fresh_loop(app(scope, receive, send))

    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 413
    assert received == MAX_BYTES // 1024 + 1  # stopped at the first chunk past the limit
    body = json.loads(b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"))
    assert body["error"]["code"] == "request_too_large"


def test_bad_input_declared_content_length_over_the_limit_is_refused_unread(app):
    received = 0
    sent: list[dict] = []

    async def receive() -> dict:
        nonlocal received
        received += 1
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/api/chat", "raw_path": b"/api/chat", "query_string": b"", "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(10 * MAX_BYTES).encode())],
        "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80), "state": {},
    }  # fmt: skip
    run_in_fresh_loop(app(scope, receive, send))

    assert next(m for m in sent if m["type"] == "http.response.start")["status"] == 413
    assert received == 0


def test_bad_input_ten_thousand_character_word_is_413(client):
    error = _error(client.post("/api/chat", json={"message": "a" * 10_000, "language": "pl"}), 413, "query_too_long")
    assert error["localised"] == get_locale("pl").text("error.too_long", limit=MAX_CHARS)


@pytest.mark.parametrize("path", CHAT_PATHS)
def test_bad_input_nine_hundred_character_word_is_answered_or_declined(client, path):
    reply = _reply(client.post(path, json={"message": "EHCP" + "x" * 896}))
    assert reply["status"] in STATUSES
    assert "x" * 50 not in reply["answer"]  # the word is not echoed back


# ---- empty, malformed and wrongly typed bodies --------------------------------------------------------------


@pytest.mark.parametrize("message", ["", "   ", "\n\t \r\n", "\u00a0\u2003"])
@pytest.mark.parametrize("path", CHAT_PATHS)
def test_bad_input_empty_or_blank_message_is_422_localised(client, path, message):
    error = _error(client.post(path, json={"message": message, "language": "so"}), 422, "query_rejected")
    assert error["localised"] == get_locale("so").text("error.empty")


@pytest.mark.parametrize(
    "content",
    [b'{"message": "EHC plan"', b"message=EHC+plan", b"{'message': 'x'}", b"\xff\xfe\x00", b"null", b"[]", b'"hi"'],
)
def test_bad_input_invalid_json_is_422(client, content):
    response = client.post("/api/chat", content=content, headers={"content-type": "application/json"})
    error = _error(response, 422, "invalid_request")
    assert error["localised"] == get_locale("en").text("error.bad_request")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"message": 5},
        {"message": None},
        {"message": ["EHC plan"]},
        {"message": {"text": "EHC plan"}},
        {"message": True},
        {"message": "EHC plan", "language": 3},
        {"message": "EHC plan", "conversation_id": 12},
        {"message": "EHC plan", "conversation_id": "x" * 65},
        {"message": "EHC plan", "audience": "hacker"},
        {"message": "EHC plan", "role": "system"},
    ],
)
@pytest.mark.parametrize("path", CHAT_PATHS)
def test_bad_input_wrong_types_are_422(client, path, body):
    error = _error(client.post(path, json=body), 422, "invalid_request")
    assert error["localised"] == get_locale("en").text("error.bad_request")


def test_bad_input_wrong_types_are_localised_when_the_language_is_valid(client):
    error = _error(client.post("/api/chat", json={"message": 5, "language": "ar"}), 422, "invalid_request")
    assert error["localised"] == get_locale("ar").text("error.bad_request")


@pytest.mark.parametrize("language", ["xx", "EN", "english", "ur-PK", "", "zh-Hant", "../../etc/passwd"])
def test_bad_input_unknown_language_is_422_in_english(client, language):
    response = client.post("/api/chat", json={"message": "EHC plan timescales", "language": language})
    error = _error(response, 422, "invalid_request")
    assert "language" in error["message"]
    assert error["localised"] == get_locale("en").text("error.bad_request")
    if len(language) > 3:
        assert language not in response.text  # the rejected value is not echoed


def test_bad_input_malformed_conversation_id_is_422(client):
    response = client.post("/api/chat", json={"message": "EHC plan", "conversation_id": "not-an-id", "language": "ro"})
    error = _error(response, 422, "query_rejected")
    assert error["localised"] == get_locale("ro").text("error.bad_request")


def test_bad_input_search_errors_keep_their_shape(client):
    error = _error(client.post("/api/search", json={"query": "  "}), 422, "query_rejected")
    assert set(error) == {"code", "message"}


# ---- odd characters ----------------------------------------------------------------------------------------


CONTROL_MESSAGES = [
    "\x00",
    "EHC plan\x00 timescales?",
    "\x1b[31mHow long does an EHC plan take?\x1b[0m",
    "\u202eHow long does an EHC plan take?",
    "\u202e",
    "\ufeff\u200b\u200d",
    "\x07\x08\x7f EHC plan",
    "EHC plan \ud7ff \uffff",
]


@pytest.mark.parametrize("message", CONTROL_MESSAGES)
@pytest.mark.parametrize("path", CHAT_PATHS)
def test_bad_input_control_characters_are_handled(client, path, message):
    response = client.post(path, json={"message": message})
    _assert_clean(response)
    assert response.status_code in (200, 422), response.text
    if response.status_code == 422:
        error = response.json()["error"]
        assert error["message"].strip()
        for char in {"\x00", "\x1b", "\u202e"} & set(message):  # never echoed back, raw or JSON-escaped
            assert char not in error["message"] and char not in error.get("localised", "")
            assert json.dumps(char) not in response.text
    else:
        assert _reply(response)["status"] in STATUSES


@pytest.mark.parametrize(
    ("message", "language"),
    [
        ("My son's EHC plan 📄 — میرے بیٹے کا پلان کب آئے گا? 🙏", "ur"),
        ("EHCP ਬਾਰੇ 😊 jak długo czeka się na plan?", "pl"),
        ("👨‍👩‍👧‍👦 school transport 🚌🚌🚌", None),
        ("🙂", None),
        ("學校 transport ትምህርት ቤት EHC plan ✅", "zh"),
        ("Ṫḧë ḧöṁë ẗö ṡċḧööḷ ẗṙäṅṡṗöṙẗ", None),
    ],
)
@pytest.mark.parametrize("path", CHAT_PATHS)
def test_bad_input_mixed_scripts_and_emoji_are_answered(client, path, message, language):
    body = {"message": message, **({"language": language} if language else {})}
    reply = _reply(client.post(path, json=body))
    assert reply["status"] in STATUSES and reply["answer"].strip()
    if language:
        assert reply["language"] == language


# ---- no stack traces ------------------------------------------------------------------------------------------


def test_bad_input_unexpected_error_is_500_with_request_id_and_no_trace(tmp_path, caplog):
    app = _app(tmp_path)

    def explode() -> None:  # a test-only route: production code has none that raises on purpose
        raise RuntimeError('boom in File "/work/main/navigator/secret.py", line 3')

    app.add_api_route("/api/explode", explode, methods=["POST"])
    with TestClient(app, raise_server_exceptions=False) as test_client, caplog.at_level(logging.ERROR):
        response = test_client.post("/api/explode", json={})

    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == "internal_error"
    request_id = re.search(r"request ([0-9a-f]{12})", error["message"]).group(1)
    assert not LEAKS.search(response.text) and "boom" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    # The trace is in the server log, under the same request id.
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert logged and logged[0].exc_info is not None


def test_bad_input_unknown_routes_and_methods_are_clean_json(client):
    for response in (
        client.get("/api/chat"),
        client.post("/nope", json={}),
        client.get("/widget/../../pyproject.toml"),
        client.get("/widget/%2e%2e%2fpyproject.toml"),
        client.post("/api/chat", content=b"x" * 100, headers={"content-type": "text/plain"}),
    ):
        _assert_clean(response)
        assert 400 <= response.status_code < 500
        assert "error" in response.json()

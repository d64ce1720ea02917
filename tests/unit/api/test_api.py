import pytest
from fastapi.testclient import TestClient

from navigator.api.app import create_app
from navigator.config import Settings
from navigator.testing import fake_searcher


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("idx") / "index"
    searcher = fake_searcher(index_dir, max_query_chars=200)
    with TestClient(create_app(Settings(index_dir=index_dir), searcher=searcher)) as test_client:
        yield test_client


def test_healthz_reports_the_loaded_index(client):
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["documents"] == 3 and body["model"] == "fake-embedder"
    assert body["chunks"] >= 3 and body["index_built_at"]


def test_search_returns_ranked_passages_with_sources(client):
    response = client.post("/api/search", json={"query": "free home to school transport walking distance", "k": 2})
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 2
    top = results[0]
    assert top["doc_id"] == "transport" and top["title"] == "Home to school transport"
    assert top["section"] == "Travel assistance" and "walking distance" in top["text"]
    assert top["score"] >= results[1]["score"]


@pytest.mark.parametrize("query", ["", "   \n "])
def test_empty_query_is_422_with_json_error(client, query):
    response = client.post("/api/search", json={"query": query})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "query_rejected"


def test_too_long_query_is_413(client):
    response = client.post("/api/search", json={"query": "word " * 100})
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "query_too_long" and "limit is 200" in error["message"]


@pytest.mark.parametrize(
    "body", [{}, {"query": 3}, {"query": "x", "k": 0}, {"query": "x", "k": 500}, {"query": "x", "extra": 1}]
)
def test_malformed_request_is_422_without_stack_trace(client, body):
    response = client.post("/api/search", json=body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_request" and "Traceback" not in error["message"]


def test_unknown_route_is_json_404(client):
    response = client.get("/nope")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_no_index_gives_503_with_next_step(tmp_path):
    settings = Settings(index_dir=tmp_path / "missing", model_cache_dir=tmp_path / "models")
    with TestClient(create_app(settings)) as test_client:
        for response in (test_client.get("/healthz"), test_client.post("/api/search", json={"query": "EHCP"})):
            assert response.status_code == 503
            error = response.json()["error"]
            assert error["code"] == "index_not_ready" and "navigator index build" in error["message"]


def test_blocking_work_runs_in_at_most_worker_threads_at_once(fake_app):
    """Requests beyond `worker_threads` wait for a thread instead of each adding one (and its memory)."""
    import threading
    import time

    from starlette.concurrency import run_in_threadpool

    app = fake_app(worker_threads=2)
    running, peak, lock = 0, 0, threading.Lock()

    def slow() -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.2)
        with lock:
            running -= 1

    @app.get("/_slow")
    async def slow_route() -> dict[str, bool]:
        await run_in_threadpool(slow)
        return {"ok": True}

    with TestClient(app) as test_client:
        callers = [threading.Thread(target=test_client.get, args=("/_slow",)) for _ in range(6)]
        for caller in callers:
            caller.start()
        for caller in callers:
            caller.join()
    assert peak == 2


def test_the_schema_is_served_but_no_page_that_needs_a_cdn(client):
    schema = client.get("/openapi.json")
    assert schema.status_code == 200 and "/api/chat" in schema.json()["paths"]
    assert client.get("/docs").status_code == 404 and client.get("/redoc").status_code == 404

"""POST /api/admin/reload: disabled without a token, 401 for a wrong one, 503 (old index kept) when reloading fails."""

from __future__ import annotations

import shutil

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from navigator.api.app import create_app
from navigator.config import Settings
from navigator.testing import fake_searcher

TOKEN = "reload-token-0123456789"


@pytest.fixture
def served(tmp_path):
    """An app serving a FakeEmbedder index from memory; the index dir on disk is the one a reload would read."""
    index_dir = tmp_path / "index"
    searcher = fake_searcher(index_dir)

    def client(**settings: object) -> TestClient:
        merged = {"index_dir": index_dir, "database_path": tmp_path / "nav.sqlite3", "rate_limit_per_minute": 0}
        return TestClient(create_app(Settings(**{**merged, **settings}), searcher=searcher))

    return client, index_dir


def test_admin_reload_without_a_configured_token_does_not_exist(served):
    client, _ = served
    with client() as http:
        response = http.post("/api/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("header", [None, "Bearer wrong-token-0123456789", f"Basic {TOKEN}", "Bearer ", TOKEN])
def test_admin_reload_with_a_wrong_token_is_401(served, header):
    client, _ = served
    with client(admin_token=TOKEN) as http:
        response = http.post("/api/admin/reload", headers={"Authorization": header} if header else {})
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
        assert response.json()["error"]["code"] == "unauthorized" and TOKEN not in response.text
        assert "/api/admin/reload" not in http.get("/openapi.json").json()["paths"]


def test_admin_reload_failure_is_503_and_the_old_index_keeps_serving(served):
    client, index_dir = served
    with client(admin_token=TOKEN) as http:
        before = http.get("/healthz").json()
        shutil.rmtree(index_dir)  # nothing to reload
        response = http.post("/api/admin/reload", headers={"Authorization": f"bearer {TOKEN}"})
        assert response.status_code == 503
        error = response.json()["error"]
        assert error["code"] == "index_not_ready" and "navigator index build" in error["message"]
        assert f"The index built at {before['index_built_at']}" in error["message"]
        assert "still being served" in error["message"]
        assert http.get("/healthz").json() == before
        assert http.post("/api/search", json={"query": "school transport"}).status_code == 200


def test_admin_reload_of_another_models_index_is_a_503_mismatch(served):
    client, _ = served  # the index on disk was built by "fake-embedder"; the settings want multilingual-e5-small
    with client(admin_token=TOKEN) as http:
        response = http.post("/api/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 503 and response.json()["error"]["code"] == "index_mismatch"
        assert "fake-embedder" in response.json()["error"]["message"]
        assert http.get("/healthz").status_code == 200


@pytest.mark.parametrize("token", ["short", "x" * 15])
def test_admin_token_shorter_than_16_characters_is_refused(token):
    with pytest.raises(ValidationError, match="at least 16 characters"):
        Settings(admin_token=token)

"""Crash safety (issue 7, part 5): a killed index build, a damaged index, reloading under load, a locked and a full
database. Real processes, real signals, real SQLite locks and file size limits; nothing is patched."""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from langchain_core.embeddings import Embeddings

from navigator.api.app import create_app
from navigator.assembly import build_searcher
from navigator.config import ChunkingSettings, Settings
from navigator.corpus.documents import Document, load_documents, save_documents
from navigator.models.e5_small import E5_SMALL_NAME
from navigator.retrieval.index_build import build_index, corpus_hash
from navigator.retrieval.index_store import IndexManifest, load_index, read_manifest
from navigator.storage.conversations import ConversationStore
from navigator.testing import make_document

SMOKE = Path(__file__).resolve().parents[1] / "fixtures" / "eval-smoke" / "documents.jsonl"
CHUNKING = ChunkingSettings()
TOKEN = "faults-admin-token-0123456789"
EHCP_QUESTION = "How many weeks does the council have to issue the final EHC plan?"
RESPITE_QUESTION = "How large is the respite grant from the short breaks team?"


def _build(documents: list[Document], embedder: Embeddings, index_dir: Path) -> IndexManifest:
    return build_index(
        documents,
        embedder,
        index_dir,
        model_id=E5_SMALL_NAME,
        max_words=CHUNKING.max_words,
        overlap_sentences=CHUNKING.overlap_sentences,
    )


def _load(index_dir: Path) -> IndexManifest:
    params = {"max_words": CHUNKING.max_words, "overlap_sentences": CHUNKING.overlap_sentences}
    return load_index(index_dir, model_id=E5_SMALL_NAME, **params).manifest


@pytest.fixture(scope="module")
def base_index(tmp_path_factory: pytest.TempPathFactory, e5: Embeddings) -> Path:
    """Index A: the smoke corpus (8 documents) with the real model, built once and copied by each test."""
    index_dir = tmp_path_factory.mktemp("faults-base") / "index"
    _build(load_documents(SMOKE), e5, index_dir)
    return index_dir


@pytest.fixture
def workspace(tmp_path: Path, base_index: Path, e5_path: Path) -> Settings:
    """A corpus and index of their own for one test, with a short database busy timeout."""
    (tmp_path / "corpus").mkdir()
    shutil.copy(SMOKE, tmp_path / "corpus" / "documents.jsonl")
    shutil.copytree(base_index, tmp_path / "index")
    return Settings(
        corpus_dir=tmp_path / "corpus",
        index_dir=tmp_path / "index",
        model_cache_dir=e5_path.parent,
        database_path=tmp_path / "navigator.sqlite3",
        database_busy_timeout=0.2,
        rate_limit_per_minute=0,
        admin_token=TOKEN,
    )


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NAVIGATOR_")}
    env.update(
        NAVIGATOR_CORPUS_DIR=str(settings.corpus_dir),
        NAVIGATOR_INDEX_DIR=str(settings.index_dir),
        NAVIGATOR_MODEL_CACHE_DIR=str(settings.model_cache_dir),
        NAVIGATOR_ENGLISH_MODEL=settings.english_model,
        NAVIGATOR_DATABASE_PATH=str(settings.database_path),
        **extra,
    )
    return env


def _respite_document(sentences: int = 1) -> Document:
    """A new page; with many sentences, embedding it takes long enough to kill the build half-way."""
    lead = "The short breaks team gives a respite grant of up to 300 pounds a year to families of disabled children."
    filler = [
        f"In area {i % 12} the panel reviews request {i} from a carer of child {i * 7 % 97} within {i % 9 + 2} weeks."
        for i in range(sentences - 1)
    ]
    text = " ".join([lead, *filler])
    return make_document("respite-grants", "Respite grants", [(["Short breaks", "Respite grants"], text)])


# ---- 1. an index build killed half-way ------------------------------------------------------------------------


@pytest.mark.model
@pytest.mark.slow
def test_faults_index_build_killed_while_embedding_leaves_the_previous_index_serving(
    workspace: Settings, e5: Embeddings
) -> None:
    settings = workspace
    old_documents = load_documents(settings.documents_path)
    old = read_manifest(settings.index_dir)
    new_documents = [*old_documents, _respite_document(sentences=100)]
    save_documents(settings.documents_path, new_documents)
    stderr = settings.index_dir.parent / "build.log"
    with stderr.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "navigator.cli", "index", "build"],
            env=_env(settings, NAVIGATOR_EMBEDDING_BATCH_SIZE="4"),
            cwd=settings.index_dir.parent,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            # Past every text the old index held (those come from its cache): new text is being embedded.
            done, total = _wait_for_embedding(process, stderr, settings.index_dir.parent, old.chunks + old.sentences)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == -signal.SIGKILL, stderr.read_text(errors="replace")
    assert old.chunks + old.sentences < done < total
    (abandoned,) = settings.index_dir.parent.glob(".index.building-*")  # a SIGKILLed build cannot clean up …
    assert not (abandoned / "manifest.json").exists()  # … and had written nothing yet

    assert _load(settings.index_dir) == old and old.corpus_hash == corpus_hash(old_documents)
    with TestClient(create_app(settings)) as http:
        health = http.get("/healthz")
        assert health.status_code == 200, health.text
        assert health.json()["index_built_at"] == old.built_at and health.json()["documents"] == 8
        search = http.post("/api/search", json={"query": EHCP_QUESTION, "k": 3})
        assert search.status_code == 200 and search.json()["results"][0]["doc_id"] == "ehcp-timescales"

    rebuilt = _build(new_documents, e5, settings.index_dir)  # the next build finishes and tidies up
    assert rebuilt.documents == 9 and rebuilt.corpus_hash == corpus_hash(new_documents)
    assert not list(settings.index_dir.parent.glob(".index.*"))


def _wait_for_embedding(
    process: subprocess.Popen[bytes], stderr: Path, parent: Path, cached: int
) -> tuple[int, int]:
    """Wait until the build's temporary folder exists and its progress bar is past ``cached`` texts, not done."""
    deadline = time.monotonic() + 300  # loading the model takes seconds, or a minute on a busy machine
    while time.monotonic() < deadline:
        assert process.poll() is None, "the build ended before it could be killed: " + stderr.read_text()
        counts = re.findall(r"embedding:.*?(\d+)/(\d+)", stderr.read_text(errors="replace"))
        if counts and list(parent.glob(".index.building-*")):
            done, total = map(int, counts[-1])
            if cached < done < total:
                return done, total
        time.sleep(0.05)
    raise AssertionError("the build never started embedding: " + stderr.read_text())


# ---- 2. a damaged or mismatched index -------------------------------------------------------------------------


def _other_model(path: Path) -> None:
    manifest = json.loads(path.read_text())
    path.write_text(json.dumps({**manifest, "model": "BAAI/bge-m3"}))


DAMAGE = {
    "truncated chunks.faiss": ("chunks.faiss", lambda p: p.write_bytes(p.read_bytes()[:100]), "chunks.faiss"),
    "garbage chunks.jsonl": ("chunks.jsonl", lambda p: p.write_text("<html>not an index</html>\n"), "chunks.jsonl"),
    "missing sentence_vectors.npy": ("sentence_vectors.npy", Path.unlink, "sentence_vectors.npy is missing"),
    "manifest for another model": ("manifest.json", _other_model, "BAAI/bge-m3"),
}


@pytest.mark.model
@pytest.mark.parametrize("case", list(DAMAGE))
def test_faults_damaged_index_gives_503_saying_what_is_wrong(workspace: Settings, case: str) -> None:
    name, damage, names = DAMAGE[case]
    damage(workspace.index_dir / name)
    with TestClient(create_app(workspace)) as http:  # starts: the damage is reported, not raised
        responses = {
            "healthz": http.get("/healthz"),
            "search": http.post("/api/search", json={"query": EHCP_QUESTION}),
            "chat": http.post("/api/chat", json={"message": EHCP_QUESTION}),
            "stream": http.post("/api/chat/stream", json={"message": EHCP_QUESTION}),
        }
    for route, response in responses.items():
        assert response.status_code == 503, (route, response.text)
        error = response.json()["error"]
        assert set(error) >= {"code", "message"} and error["code"] in {"index_not_ready", "index_mismatch"}
        assert names in error["message"] and "navigator index build" in error["message"], error
        assert "Traceback" not in response.text


# ---- 3. reloading a rebuilt index under load ------------------------------------------------------------------


@pytest.mark.model
@pytest.mark.slow
def test_faults_reload_serves_the_new_index_without_failing_a_request(
    workspace: Settings, e5: Embeddings
) -> None:
    settings = workspace
    documents = [*load_documents(settings.documents_path), _respite_document()]
    results: list[tuple[float, float, int, str, bool]] = []  # start, end, status, request, found the new page
    window: dict[str, float] = {}
    stop = threading.Event()

    def wait_for(count: int) -> None:
        deadline = time.monotonic() + 300
        while len(results) < count and time.monotonic() < deadline:
            time.sleep(0.01)

    with TestClient(create_app(settings)) as http:
        assert http.get("/healthz").json()["documents"] == 8
        assert http.post("/api/chat", json={"message": EHCP_QUESTION}).status_code == 200  # a chat service to rebuild

        def fire(worker: int) -> None:
            sent = 0
            while sent < 100 or not stop.is_set():
                kind = ("respite", "ehcp", "respite", "ehcp", "chat")[(sent + worker) % 5]
                started = time.monotonic()
                if kind == "chat":
                    response = http.post("/api/chat", json={"message": RESPITE_QUESTION})
                    found = response.status_code == 200 and any(
                        c["doc_id"] == "respite-grants" for c in response.json()["citations"]
                    )
                else:
                    query = RESPITE_QUESTION if kind == "respite" else EHCP_QUESTION
                    response = http.post("/api/search", json={"query": query, "k": 5})
                    found = response.status_code == 200 and any(
                        r["doc_id"] == "respite-grants" for r in response.json()["results"]
                    )
                results.append((started, time.monotonic(), response.status_code, kind, found))
                sent += 1

        threads = [threading.Thread(target=fire, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        wait_for(40)
        index_b = _build(documents, e5, settings.index_dir)  # atomic swap on disk while requests run
        wait_for(len(results) + 40)  # still index A: the server reads the disk only when told to
        window["start"] = time.monotonic()
        reload = http.post("/api/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"})
        window["end"] = time.monotonic()
        wait_for(len(results) + 80)
        stop.set()
        for thread in threads:
            thread.join(timeout=300)
        health = http.get("/healthz").json()

    assert reload.status_code == 200, reload.text
    assert reload.json() == {"status": "reloaded", "index_built_at": index_b.built_at, "chunks": index_b.chunks}
    assert health["index_built_at"] == index_b.built_at and health["chunks"] == index_b.chunks
    assert health["documents"] == 9
    assert len(results) >= 400 and [status for _, _, status, _, _ in results if status != 200] == []
    assert any(start < window["end"] and end > window["start"] for start, end, *_ in results), "none overlapped"
    # Until the reload, index A (without the new page) kept serving, though B was already on disk …
    before = [found for _, end, _, _, found in results if end < window["start"]]
    assert len(before) >= 80 and not any(before)
    # … and every respite question sent after it finds the new page, in search and in chat.
    after = [(kind, found) for start, _, _, kind, found in results if start > window["end"] and kind != "ehcp"]
    assert {kind for kind, _ in after} == {"respite", "chat"} and all(found for _, found in after), after


@pytest.mark.model
@pytest.mark.slow
def test_faults_sighup_reloads_the_index_of_navigator_serve(
    workspace: Settings, e5: Embeddings
) -> None:
    settings = workspace
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = settings.index_dir.parent / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "navigator.cli", "serve", "--port", str(port)],
            env=_env(settings),
            cwd=settings.index_dir.parent,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        before = _poll_health(server, base, lambda body: True, log)
        index_b = _build([*load_documents(settings.documents_path), _respite_document()], e5, settings.index_dir)
        assert before["chunks"] != index_b.chunks
        server.send_signal(signal.SIGHUP)
        after = _poll_health(server, base, lambda body: body["chunks"] == index_b.chunks, log)
        assert after["index_built_at"] == index_b.built_at and after["documents"] == 9
        assert server.poll() is None  # still serving: SIGHUP did not stop it
    finally:
        server.terminate()
        server.wait(timeout=60)


def _poll_health(
    server: subprocess.Popen[bytes], base: str, ready: Callable[[dict[str, Any]], bool], log: Path
) -> dict[str, Any]:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text(errors="replace")
        try:
            response = httpx.get(base + "/healthz", timeout=5)
        except httpx.TransportError:
            time.sleep(0.2)
            continue
        if response.status_code == 200 and ready(response.json()):
            return dict(response.json())
        assert response.status_code in (200, 503), response.text  # 503 only while the index is loading
        time.sleep(0.2)
    raise AssertionError("the server did not report the index in time: " + log.read_text(errors="replace"))


# ---- 4. a locked database -------------------------------------------------------------------------------------


@pytest.fixture
def chat_app(workspace: Settings, e5: Embeddings) -> Iterator[TestClient]:
    """The API on index A with the session's model, and a conversation database with a 0.2 s busy timeout."""
    with TestClient(create_app(workspace, searcher=build_searcher(workspace, e5))) as http:
        yield http


@contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    """Another process's exclusive transaction on the database, held longer than the busy timeout."""
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def _stream_final(http: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = http.post("/api/chat/stream", json=body)
    assert response.status_code == 200, response.text
    events = re.findall(r"event: (\w+)\ndata: (.*)\n", response.text)
    assert [kind for kind, _ in events if kind != "delta"] == ["final"], response.text
    return dict(json.loads(events[-1][1]))


@pytest.mark.model
@pytest.mark.parametrize("opened_before", [True, False], ids=["store-open", "store-not-yet-open"])
def test_faults_locked_database_still_answers_chat_and_feedback_is_503(
    workspace: Settings, chat_app: TestClient, caplog: pytest.LogCaptureFixture, opened_before: bool
) -> None:
    http = chat_app
    first = None
    if opened_before:
        first = http.post("/api/chat", json={"message": EHCP_QUESTION}).json()
        assert first["message_index"] == 0
    else:
        sqlite3.connect(workspace.database_path).close()  # the file exists; the server has not opened it yet
    follow_up = "And how long do parents have to comment on the draft plan?"
    caplog.set_level("INFO")
    with _exclusive_lock(workspace.database_path):
        started = time.monotonic()
        conversation_id = first["conversation_id"] if first else None
        chat = http.post("/api/chat", json={"message": follow_up, "conversation_id": conversation_id})
        chat_seconds = time.monotonic() - started
        final = _stream_final(http, {"message": EHCP_QUESTION})
        feedback = http.post("/api/feedback", json={"conversation_id": "a" * 32, "message_index": 0, "useful": True})
    assert chat.status_code == 200, chat.text
    reply = chat.json()
    assert reply["status"] == "answered" and reply["citations"] and "[1]" in reply["answer"]
    assert reply["message_index"] is None  # not stored: no feedback possible on it, but the answer is not lost
    assert final["status"] == "answered" and final["message_index"] is None
    assert chat_seconds < 10

    assert feedback.status_code == 503
    error = feedback.json()["error"]
    assert error["code"] == "storage_error" and "locked by another process" in error["message"]
    assert "Try again" in error["message"]

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "chat turn not stored" in logged and "locked" in logged
    assert follow_up not in logged and EHCP_QUESTION not in logged  # what users typed is never logged

    if first is not None:  # the lock released, the earlier reply takes feedback again
        ok = http.post(
            "/api/feedback", json={"conversation_id": first["conversation_id"], "message_index": 0, "useful": True}
        )
        assert ok.status_code == 201, ok.text
    assert http.post("/api/chat", json={"message": EHCP_QUESTION}).json()["message_index"] == 0


# ---- 5. a full disk while writing feedback --------------------------------------------------------------------

_FILL_DATABASE = """
import json, sys
from pathlib import Path
from navigator.storage.conversations import ConversationStore
from navigator.errors import StorageError

store = ConversationStore(Path(sys.argv[1]), retention_days=30, redact=lambda text: text)
cid = store.new_id()
store.add_turn(cid, question="Q", language="en", status="answered", answer="A [1].", citations=[])
stored, errors = [], []
while len(errors) < 2:  # the write that hits the limit, then one more: both fail cleanly
    comment = f"feedback {len(stored)} " + "x" * 1900
    try:
        stored.append([store.add_feedback(cid, 0, useful=True, comment=comment), comment])
    except StorageError as exc:
        errors.append(str(exc))
print(json.dumps({"conversation_id": cid, "stored": stored, "errors": errors}))
"""


def _limit_file_size() -> None:  # runs in the child before exec
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # so a write past the limit fails with EFBIG, not a kill
    resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))


def test_faults_disk_full_while_writing_feedback_loses_only_that_write(tmp_path: Path) -> None:
    database = tmp_path / "navigator.sqlite3"
    run = subprocess.run(
        [sys.executable, "-c", _FILL_DATABASE, str(database)],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limit_file_size,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert len(report["stored"]) >= 5
    for message in report["errors"]:
        assert message.startswith("This could not be stored: the disk is full or cannot be written"), message
        assert "Nothing stored earlier was lost" in message

    with sqlite3.connect(database) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    store = ConversationStore(database, retention_days=30, redact=lambda text: text)
    try:
        rows = store.export_feedback()
        assert [[row["id"], row["comment"]] for row in rows] == report["stored"]  # every earlier row, intact
        assert store.add_feedback(report["conversation_id"], 0, useful=False, comment="after") > 0  # space again
    finally:
        store.close()

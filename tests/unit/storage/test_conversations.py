"""ConversationStore on real SQLite files, and the `feedback` / `conversations` commands."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from navigator.cli import cli
from navigator.config import get_settings
from navigator.errors import FeedbackTargetNotFoundError, QueryRejectedError, StorageError
from navigator.storage.conversations import ConversationStore

MARKER = "SECRET-NAME-4242"
CITATION = {
    "n": 1,
    "doc_id": "local-offer",
    "title": "Local Offer",
    "url": "https://example.org/lo",
    "section": "EHC plans > Timescales",
    "quote": "The full passage text that must not be stored.",
}


class Clock:
    def __init__(self, start: datetime) -> None:
        self.moment = start

    def __call__(self) -> datetime:
        return self.moment


def redact_marker(text: str) -> str:
    return text.replace(MARKER, "[name]")


def make_store(path: Path, clock: Clock | None = None, retention_days: int = 30) -> ConversationStore:
    if clock is None:
        return ConversationStore(path, retention_days=retention_days, redact=redact_marker)
    return ConversationStore(path, retention_days=retention_days, redact=redact_marker, now=clock)


def add(store: ConversationStore, conversation_id: str, question: str = "How long is an EHC assessment?") -> int:
    return store.add_turn(
        conversation_id,
        question=question,
        language="en",
        status="answered",
        answer="It takes 20 weeks [1].",
        citations=[CITATION],
    )


@pytest.fixture
def store(tmp_path: Path):
    store = make_store(tmp_path / "db" / "navigator.sqlite3")
    yield store
    store.close()


def test_conversations_new_id_is_random_hex(store):
    ids = {store.new_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


def test_conversations_turns_get_increasing_indices(store):
    first, second = store.new_id(), store.new_id()
    assert [add(store, first) for _ in range(3)] == [0, 1, 2]
    assert add(store, second) == 0
    assert add(store, first) == 3


def test_conversations_recent_questions_oldest_first_and_limited(store):
    cid = store.new_id()
    for n in range(5):
        add(store, cid, f"question {n}")
    assert store.recent_questions(cid, 2) == ["question 3", "question 4"]
    assert store.recent_questions(cid, 10) == [f"question {n}" for n in range(5)]
    assert store.recent_questions(cid, 0) == []
    assert store.recent_questions("unknown", 3) == []


def test_conversations_redact_applied_to_every_stored_text(tmp_path):
    path = tmp_path / "navigator.sqlite3"
    store = make_store(path)
    cid = store.new_id()
    store.add_turn(
        cid,
        question=f"My son {MARKER} needs help",
        language="en",
        status="answered",
        answer=f"Dear {MARKER}, see [1].",
        citations=[CITATION],
    )
    store.add_feedback(cid, 0, useful=False, comment=f"I am {MARKER}'s mum")
    assert store.recent_questions(cid, 1) == ["My son [name] needs help"]
    exported = store.export_feedback()[0]
    assert exported["answer"] == "Dear [name], see [1]." and exported["comment"] == "I am [name]'s mum"
    store.close()

    raw = sqlite3.connect(path)
    tables = [name for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert {"conversations", "turns", "feedback"} <= set(tables)
    for table in tables:
        for row in raw.execute(f"SELECT * FROM {table}"):
            assert not any(MARKER in str(value) for value in row), (table, row)
            assert not any("must not be stored" in str(value) for value in row), (table, row)  # no quotes
    raw.close()
    assert MARKER.encode() not in path.read_bytes()


def test_conversations_feedback_is_linked_to_the_answer(store):
    cid = store.new_id()
    add(store, cid, "first")
    store.add_turn(cid, question="second", language="pl", status="not_found", answer="Nie wiem.", citations=[])
    feedback_id = store.add_feedback(cid, 1, useful=True, comment="  ")
    other = store.add_feedback(cid, 0, useful=False, comment="Wrong document")
    assert other > feedback_id
    rows = store.export_feedback()
    assert [r["id"] for r in rows] == [feedback_id, other]
    assert rows[0] | {"id": 0, "created_at": ""} == {
        "id": 0,
        "created_at": "",
        "conversation_id": cid,
        "message_index": 1,
        "useful": True,
        "comment": None,
        "question": "second",
        "language": "pl",
        "status": "not_found",
        "answer": "Nie wiem.",
        "citations": [],
    }
    assert rows[1]["useful"] is False and rows[1]["question"] == "first"
    assert rows[1]["citations"] == [{k: CITATION[k] for k in ("n", "doc_id", "title", "url", "section")}]
    assert datetime.fromisoformat(str(rows[1]["created_at"])).tzinfo is not None


def test_conversations_feedback_on_unknown_target_is_rejected(store):
    cid = store.new_id()
    add(store, cid)
    with pytest.raises(FeedbackTargetNotFoundError) as raised:
        store.add_feedback(cid, 1, useful=True, comment=None)
    assert raised.value.http_status == 404 and raised.value.code == "feedback_target_not_found"
    with pytest.raises(FeedbackTargetNotFoundError):
        store.add_feedback("no-such-conversation", 0, useful=True, comment=None)
    assert store.export_feedback() == []


def test_conversations_feedback_comment_too_long_is_rejected(store):
    cid = store.new_id()
    add(store, cid)
    store.add_feedback(cid, 0, useful=True, comment="x" * 2000)
    with pytest.raises(QueryRejectedError, match="2000"):
        store.add_feedback(cid, 0, useful=True, comment="x" * 2001)
    assert len(store.export_feedback()) == 1


def test_conversations_purge_by_age_and_by_id(tmp_path):
    clock = Clock(datetime(2025, 1, 1, tzinfo=UTC))
    store = make_store(tmp_path / "navigator.sqlite3", clock, retention_days=365)
    old, recent, kept = store.new_id(), store.new_id(), store.new_id()
    add(store, old)
    store.add_feedback(old, 0, useful=True, comment=None)
    clock.moment += timedelta(days=8)
    add(store, recent)
    add(store, kept)
    clock.moment += timedelta(days=2)

    assert store.purge(older_than_days=5) == 1
    assert store.recent_questions(old, 5) == []
    assert store.export_feedback() == []  # the feedback went with its conversation
    assert store.purge(conversation_id=recent) == 1
    assert store.purge(conversation_id=recent) == 0
    assert store.recent_questions(kept, 5) == ["How long is an EHC assessment?"]
    with pytest.raises(ValueError):
        store.purge()
    store.close()


def test_conversations_new_turn_keeps_a_conversation_alive(tmp_path):
    clock = Clock(datetime(2025, 1, 1, tzinfo=UTC))
    store = make_store(tmp_path / "navigator.sqlite3", clock, retention_days=365)
    cid = store.new_id()
    add(store, cid)
    clock.moment += timedelta(days=10)
    add(store, cid)
    clock.moment += timedelta(days=1)
    assert store.purge(older_than_days=5) == 0
    assert len(store.recent_questions(cid, 5)) == 2
    store.close()


def test_conversations_retention_applied_on_open(tmp_path):
    path = tmp_path / "navigator.sqlite3"
    clock = Clock(datetime(2025, 1, 1, tzinfo=UTC))
    store = make_store(path, clock, retention_days=30)
    expired, fresh = store.new_id(), store.new_id()
    add(store, expired)
    clock.moment += timedelta(days=25)
    add(store, fresh)
    store.close()

    clock.moment += timedelta(days=10)  # expired is 35 days idle, fresh 10
    reopened = make_store(path, clock, retention_days=30)
    assert reopened.recent_questions(expired, 5) == []
    assert reopened.recent_questions(fresh, 5) == ["How long is an EHC assessment?"]
    reopened.close()


def test_conversations_retention_applied_hourly_from_add_turn(tmp_path):
    clock = Clock(datetime(2025, 1, 1, tzinfo=UTC))
    store = make_store(tmp_path / "navigator.sqlite3", clock, retention_days=1)
    idle = store.new_id()
    add(store, idle)
    clock.moment += timedelta(days=2)
    add(store, store.new_id())
    assert store.recent_questions(idle, 5) == []
    store.close()


def test_conversations_corrupt_file_raises_storage_error(tmp_path):
    path = tmp_path / "navigator.sqlite3"
    path.write_bytes(b"this is not a database\x00\xff" * 400)
    store = make_store(path)
    with pytest.raises(StorageError) as raised:
        store.recent_questions("anything", 2)
    assert str(path) in str(raised.value)
    assert raised.value.http_status == 503 and raised.value.code == "storage_error"
    assert isinstance(raised.value.__cause__, sqlite3.DatabaseError)
    store.close()


def test_conversations_locked_database_raises_storage_error(tmp_path):
    path = tmp_path / "navigator.sqlite3"
    make_store(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    store = ConversationStore(path, retention_days=30, redact=redact_marker, busy_timeout=0.05)
    try:
        with pytest.raises(StorageError, match=str(path)):
            add(store, store.new_id())
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert add(store, store.new_id()) == 0  # usable again once the lock is gone
    store.close()


def test_conversations_deleted_file_is_recreated(tmp_path):
    path = tmp_path / "navigator.sqlite3"
    store = make_store(path)
    cid = store.new_id()
    add(store, cid)
    store.close()
    path.unlink()
    assert store.recent_questions(cid, 2) == []
    assert add(store, cid) == 0
    assert path.exists()

    path.unlink()  # removed while open: the next call starts a new file
    assert add(store, cid) == 0
    store.close()
    assert make_store(path).recent_questions(cid, 5) == ["How long is an EHC assessment?"]


def test_conversations_store_is_cheap_and_creates_its_folder(tmp_path):
    path = tmp_path / "a" / "b" / "navigator.sqlite3"
    store = make_store(path)
    assert not path.parent.exists()
    assert store.recent_questions("x", 1) == []
    assert path.exists()
    assert path.stat().st_mode & 0o077 == 0  # private to the service's user
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 1
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()


def test_conversations_threads_share_one_store(store):
    cid = store.new_id()
    indices: list[int] = []

    def worker() -> None:
        for _ in range(10):
            indices.append(add(store, cid))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(indices) == list(range(40))


# ---- CLI ----------------------------------------------------------------------------------------------


@pytest.fixture
def cli_db(tmp_path, monkeypatch):
    path = tmp_path / "var" / "navigator.sqlite3"
    monkeypatch.setenv("NAVIGATOR_DATABASE_PATH", str(path))
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def seed_feedback(path: Path) -> str:
    store = make_store(path)
    cid = store.new_id()
    add(store, cid, '=HYPERLINK("http://evil")')
    store.add_feedback(cid, 0, useful=True, comment="Clear, thank you")
    store.close()
    return cid


def test_cli_feedback_export_json(cli_db):
    cid = seed_feedback(cli_db)
    result = CliRunner().invoke(cli, ["feedback", "export"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == 1
    assert rows[0]["conversation_id"] == cid and rows[0]["comment"] == "Clear, thank you"
    assert rows[0]["useful"] is True and rows[0]["citations"][0]["doc_id"] == "local-offer"


def test_cli_feedback_export_csv_to_file(cli_db, tmp_path):
    cid = seed_feedback(cli_db)
    out = tmp_path / "exports" / "feedback.csv"
    result = CliRunner().invoke(cli, ["feedback", "export", "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "Wrote 1 feedback rows" in result.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == 1
    row = rows[0]
    assert row["conversation_id"] == cid and row["comment"] == "Clear, thank you" and row["useful"] == "true"
    assert json.loads(row["citations"])[0]["section"] == "EHC plans > Timescales"
    assert row["question"].startswith("'=")  # a spreadsheet must not run it as a formula


def test_cli_feedback_export_csv_to_stdout_has_header_when_empty(cli_db):
    result = CliRunner().invoke(cli, ["feedback", "export", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "id,created_at,conversation_id,message_index,useful,comment,question,language,status,answer,citations"
    ]


def test_cli_conversations_purge_prints_the_count(cli_db):
    clock = Clock(datetime.now(UTC) - timedelta(days=10))
    store = make_store(cli_db, clock)
    old, new = store.new_id(), store.new_id()
    add(store, old)
    clock.moment = datetime.now(UTC)
    add(store, new)
    store.close()

    runner = CliRunner()
    aged = runner.invoke(cli, ["conversations", "purge", "--older-than-days", "5"])
    assert aged.exit_code == 0, aged.output
    assert aged.stdout.strip() == "Deleted 1 conversation."
    by_id = runner.invoke(cli, ["conversations", "purge", "--id", new])
    assert by_id.stdout.strip() == "Deleted 1 conversation."
    again = runner.invoke(cli, ["conversations", "purge", "--id", new])
    assert again.stdout.strip() == "Deleted 0 conversations."


def test_cli_conversations_purge_needs_exactly_one_selector(cli_db):
    runner = CliRunner()
    assert runner.invoke(cli, ["conversations", "purge"]).exit_code == 2
    assert runner.invoke(cli, ["conversations", "purge", "--id", "x", "--older-than-days", "1"]).exit_code == 2


def test_cli_storage_error_is_a_clean_failure(cli_db, monkeypatch):
    monkeypatch.delenv("NAVIGATOR_DEBUG", raising=False)
    cli_db.parent.mkdir(parents=True)
    cli_db.write_bytes(b"garbage" * 1000)
    result = CliRunner().invoke(cli, ["feedback", "export"])
    assert result.exit_code == 1
    assert str(cli_db) in result.output and "Traceback" not in result.output

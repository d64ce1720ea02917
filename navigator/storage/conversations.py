"""Conversation history and feedback in SQLite: redacted before storage, purged after a retention period."""

from __future__ import annotations

import json
import logging
import sqlite3
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from navigator.errors import FeedbackTargetNotFoundError, QueryRejectedError
from navigator.storage.sqlite_file import SqliteFile

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
MAX_COMMENT_CHARS = 2000
CITATION_FIELDS = ("n", "doc_id", "title", "url", "section")  # never the quote: it is corpus text, kept elsewhere
PURGE_INTERVAL = timedelta(hours=1)
FEEDBACK_EXPORT_FIELDS = (
    "id", "created_at", "conversation_id", "message_index", "useful", "comment",
    "question", "language", "status", "answer", "citations",
)  # fmt: skip

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_updated_at ON conversations (updated_at);
CREATE TABLE IF NOT EXISTS turns (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    message_index INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    question TEXT NOT NULL,
    language TEXT NOT NULL,
    status TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    PRIMARY KEY (conversation_id, message_index)
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL,
    message_index INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    useful INTEGER NOT NULL,
    comment TEXT,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    FOREIGN KEY (conversation_id, message_index)
        REFERENCES turns (conversation_id, message_index) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS feedback_turn ON feedback (conversation_id, message_index);
"""


def utc_now() -> datetime:
    """The current time in UTC (the store's default clock)."""
    return datetime.now(UTC)


def _stamp(moment: datetime) -> str:
    # One fixed format, so stored timestamps compare correctly as text.
    return moment.astimezone(UTC).isoformat(timespec="seconds")


class ConversationStore:
    """Conversations, their turns and feedback on them, in one SQLite file.

    Args:
        path: The SQLite file; it and its folder are created on first use.
        retention_days: Conversations not updated for this many days are deleted.
        redact: Applied to every question, answer and comment before it is stored.
        now: The clock (UTC), injectable for tests.
        busy_timeout: Seconds to wait for another process's lock before giving up.

    """

    def __init__(
        self,
        path: Path,
        *,
        retention_days: int,
        redact: Callable[[str], str],
        now: Callable[[], datetime] = utc_now,
        busy_timeout: float = 5.0,
    ) -> None:
        if retention_days < 1:
            raise ValueError("retention_days must be at least 1")
        self._retention_days = retention_days
        self._redact = redact
        self._now = now
        self._last_purge: datetime | None = None
        self._db = SqliteFile(
            path,
            schema=_SCHEMA,
            version=SCHEMA_VERSION,
            label="conversation database",
            setting="NAVIGATOR_DATABASE_PATH",
            busy_timeout=busy_timeout,
            on_open=self._purge_expired,
        )

    @staticmethod
    def new_id() -> str:
        """A random, unguessable conversation id (uuid4 hex)."""
        return uuid.uuid4().hex

    def add_turn(
        self,
        conversation_id: str,
        *,
        question: str,
        language: str,
        status: str,
        answer: str,
        citations: Sequence[Mapping[str, object]],
    ) -> int:
        """Store one exchange (redacted), creating the conversation when it is new.

        Returns:
            The turn's 0-based message index within the conversation.

        Raises:
            StorageError: The database cannot be opened, is corrupt or stays locked.

        """
        cited = json.dumps([{key: c.get(key) for key in CITATION_FIELDS} for c in citations], ensure_ascii=False)
        row = (self._redact(question), language, status, self._redact(answer), cited)
        with self._db.write() as conn:
            now = self._now()
            stamp = _stamp(now)
            conn.execute(
                "INSERT INTO conversations (id, created_at, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at",
                (conversation_id, stamp, stamp),
            )
            (index,) = conn.execute(
                "SELECT COALESCE(MAX(message_index) + 1, 0) FROM turns WHERE conversation_id = ?", (conversation_id,)
            ).fetchone()
            conn.execute(
                "INSERT INTO turns (conversation_id, message_index, created_at, question, language, status, answer,"
                " citations) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (conversation_id, index, stamp, *row),
            )
            if self._last_purge is None or now - self._last_purge >= PURGE_INTERVAL:
                self._purge_expired(conn)
        return int(index)

    def recent_questions(self, conversation_id: str, limit: int) -> list[str]:
        """The last ``limit`` (redacted) questions of a conversation, oldest first; [] for an unknown id.

        Raises:
            StorageError: The database cannot be opened, is corrupt or stays locked.

        """
        if limit <= 0:
            return []
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT question FROM turns WHERE conversation_id = ? ORDER BY message_index DESC LIMIT ?",
                (conversation_id, limit),
            ).fetchall()
        return [str(question) for (question,) in reversed(rows)]

    def add_feedback(self, conversation_id: str, message_index: int, *, useful: bool, comment: str | None) -> int:
        """Store feedback on one turn, with a copy of that turn's answer and citations.

        Returns:
            The feedback's id.

        Raises:
            QueryRejectedError: The comment is longer than 2000 characters.
            FeedbackTargetNotFoundError: The conversation or the turn does not exist (or has been purged).
            StorageError: The database cannot be opened, is corrupt or stays locked.

        """
        if comment is not None and len(comment) > MAX_COMMENT_CHARS:
            raise QueryRejectedError(
                f"The feedback comment is {len(comment)} characters long; the limit is {MAX_COMMENT_CHARS}. "
                "Shorten it and send it again."
            )
        stored_comment = self._redact(comment) if comment and comment.strip() else None
        with self._db.write() as conn:
            turn = conn.execute(
                "SELECT answer, citations FROM turns WHERE conversation_id = ? AND message_index = ?",
                (conversation_id, message_index),
            ).fetchone()
            if turn is None:
                raise FeedbackTargetNotFoundError(
                    f"No reply {message_index} in conversation {conversation_id}: it does not exist or has been "
                    "deleted. Send feedback on a reply from a current conversation."
                )
            stamp = _stamp(self._now())
            cursor = conn.execute(
                "INSERT INTO feedback (conversation_id, message_index, created_at, useful, comment, answer, citations)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (conversation_id, message_index, stamp, int(useful), stored_comment, turn[0], turn[1]),
            )
            # Feedback is activity: the conversation is kept for the full retention period after it.
            conn.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (stamp, conversation_id))
        return int(cursor.lastrowid or 0)

    def export_feedback(self) -> list[dict[str, object]]:
        """Every feedback row with the question and reply it is about, oldest first.

        Raises:
            StorageError: The database cannot be opened, is corrupt or stays locked.

        """
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT f.id, f.created_at, f.conversation_id, f.message_index, f.useful, f.comment, t.question,"
                " t.language, t.status, f.answer, f.citations FROM feedback f JOIN turns t"
                " ON t.conversation_id = f.conversation_id AND t.message_index = f.message_index ORDER BY f.id"
            ).fetchall()
        exported = []
        for row in rows:
            item: dict[str, object] = dict(zip(FEEDBACK_EXPORT_FIELDS, row, strict=True))
            item["useful"] = bool(item["useful"])
            item["citations"] = json.loads(str(item["citations"]))
            exported.append(item)
        return exported

    def purge(self, *, older_than_days: int | None = None, conversation_id: str | None = None) -> int:
        """Delete conversations (with their turns and feedback) idle for ``older_than_days``, or one by id.

        Exactly one of the two arguments must be given.

        Returns:
            How many conversations were deleted.

        Raises:
            StorageError: The database cannot be opened, is corrupt or stays locked.

        """
        if (older_than_days is None) == (conversation_id is None):
            raise ValueError("give exactly one of older_than_days and conversation_id")
        with self._db.write() as conn:
            if conversation_id is not None:
                return conn.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,)).rowcount
            assert older_than_days is not None
            return self._purge_older(conn, older_than_days)

    def purge_expired(self) -> int:
        """Delete conversations idle for longer than the retention period; returns how many.

        Raises:
            StorageError: The database cannot be opened, is corrupt or stays locked.

        """
        with self._db.write() as conn:
            return self._purge_expired(conn)

    def close(self) -> None:
        """Close the connection; the next call opens it again."""
        self._db.close()

    # ---- internals ----------------------------------------------------------------------------------------

    def _purge_older(self, conn: sqlite3.Connection, days: int) -> int:
        if days < 0:
            raise ValueError("older_than_days must not be negative")
        cutoff = _stamp(self._now() - timedelta(days=days))
        return conn.execute("DELETE FROM conversations WHERE updated_at < ?", (cutoff,)).rowcount

    def _purge_expired(self, conn: sqlite3.Connection) -> int:
        deleted = self._purge_older(conn, self._retention_days)
        self._last_purge = self._now()
        if deleted:
            logger.info("purged %d conversations older than %d days", deleted, self._retention_days)
        return deleted

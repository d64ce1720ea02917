"""One SQLite file shared by threads and processes: WAL, a schema version, and errors that say what to do.

Every failure becomes a ``StorageError`` that names the file and the next step (disk full, locked by
another process, unreadable), so callers can carry on without it.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from navigator.errors import StorageError

logger = logging.getLogger(__name__)

# A write the disk refused: SQLite reports a full disk as SQLITE_FULL when a write comes up short, and as a
# write or sync I/O error when the system refuses it outright (EFBIG at the file size limit, ENOSPC).
_FULL = frozenset({sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR_WRITE, sqlite3.SQLITE_IOERR_FSYNC})


class SqliteFile:
    """A lazily opened connection to one SQLite file, created with ``schema`` on first use.

    Args:
        path: The file; it and its folder are created on first use, readable by the owner only.
        schema: SQL run (idempotently) whenever the file is opened.
        version: The schema version; a file with a newer one is refused.
        label: What the file holds, for messages ("conversation database").
        setting: The environment variable that moves the file, for messages.
        busy_timeout: Seconds to wait for another process's lock before giving up.
        on_open: Run inside a write transaction each time the file is opened (a purge, for example).

    """

    def __init__(
        self,
        path: Path,
        *,
        schema: str,
        version: int,
        label: str,
        setting: str,
        busy_timeout: float = 5.0,
        on_open: Callable[[sqlite3.Connection], object] | None = None,
    ) -> None:
        self.path = Path(path)
        self._schema = schema
        self._version = version
        self._label = label
        self._setting = setting
        self.busy_timeout = busy_timeout
        self._on_open = on_open
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """The connection, for reading."""
        with self._lock, self._wrapped():
            yield self._connection()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """The connection inside one transaction, committed when the block ends and rolled back on error."""
        # BEGIN IMMEDIATE takes the write lock up front, so computing the next message index and inserting
        # it cannot interleave with another process writing the same conversation.
        with self._lock, self._wrapped():
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.commit()
            except BaseException:
                if conn.in_transaction:
                    with suppress(sqlite3.Error):
                        conn.rollback()
                raise

    def close(self) -> None:
        """Close the connection; the next call opens it again."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @contextmanager
    def _wrapped(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            code = getattr(exc, "sqlite_errorcode", None)
            if code in _FULL or "disk is full" in str(exc):
                raise self._disk_full(exc) from exc
            if code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise StorageError(
                    f"The {self._label} {self.path} is locked by another process and stayed locked for "
                    f"{self.busy_timeout:g} s, so this could not be stored or read. Try again in a moment; if it "
                    "stays locked, stop the process holding it (a `sqlite3` shell or a backup, for example)."
                ) from exc
            raise StorageError(
                f"Cannot use the {self._label} {self.path} ({exc}). If another process holds it, stop "
                "that process; if it is corrupt, move it aside and a new empty one will be created."
            ) from exc
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
                raise self._disk_full(exc) from exc
            raise StorageError(f"Cannot use the {self._label} {self.path} ({exc}).") from exc

    def _disk_full(self, exc: Exception) -> StorageError:
        # SQLite rolls the transaction back: only this write is lost, earlier rows and the file stay sound.
        return StorageError(
            f"This could not be stored: the disk is full or cannot be written ({exc}) at {self.path}. Nothing "
            "stored earlier was lost; free disk space (or raise the file size limit) and try again."
        )

    def _connection(self) -> sqlite3.Connection:
        if self._conn is not None and not self.path.exists():
            logger.warning("%s %s was removed; creating a new one", self._label, self.path)
            self._conn.close()
            self._conn = None
        if self._conn is None:
            self._conn = self._open()
        return self._conn

    def _open(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"Cannot create the folder for the {self._label} {self.path} ({exc}). "
                f"Set {self._setting} to a writable location."
            ) from exc
        created = not self.path.exists()
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout, check_same_thread=False, isolation_level=None)
        try:
            if created:
                os.chmod(self.path, 0o600)  # questions may hold personal data the redactor missed
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA journal_mode = WAL")
            # With WAL, NORMAL syncs at checkpoints, not on every commit: a crash of the process loses nothing,
            # a power cut may lose the last turns. Syncing every chat turn cost the next request CPU time it
            # could not spare on two cores (docs/benchmarks.md).
            conn.execute("PRAGMA synchronous = NORMAL")
            (version,) = conn.execute("PRAGMA user_version").fetchone()
            if version > self._version:
                raise StorageError(
                    f"The {self._label} {self.path} has schema version {version}, newer than this "
                    f"navigator's {self._version}. Upgrade the navigator or point {self._setting} elsewhere."
                )
            conn.executescript(f"BEGIN IMMEDIATE; {self._schema} PRAGMA user_version = {self._version}; COMMIT;")
            conn.execute("BEGIN IMMEDIATE")
            if self._on_open is not None:
                self._on_open(conn)
            conn.commit()
        except BaseException:
            conn.close()
            raise
        return conn

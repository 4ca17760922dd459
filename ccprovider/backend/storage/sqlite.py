"""The backend's store on one SQLite file.

`SqliteStore` opens one connection per transaction, so it is safe between threads, and
SQLite's locking (WAL, busy timeout, `BEGIN IMMEDIATE` for writes) makes it safe between
processes: the embedded backends of several `pulumi` runs may share one file.
"""

import json
import sqlite3
import threading
import uuid
from collections.abc import Collection, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from ccprovider.backend.errors import ConflictError
from ccprovider.backend.storage import (
    Ownership,
    Record,
    Transaction,
    UsageTotal,
    Version,
    ownership_rows,
    refuse_nul,
)

_BUSY_TIMEOUT_SECONDS = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL,
    id         TEXT NOT NULL UNIQUE,
    tenant_id  TEXT NOT NULL,
    key        TEXT,
    ref        TEXT,
    version    INTEGER NOT NULL,
    body       TEXT NOT NULL,
    created_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS objects_by_key ON objects (kind, tenant_id, key)
    WHERE key IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_by_ref ON objects (kind, tenant_id, ref);
CREATE TABLE IF NOT EXISTS history (
    kind       TEXT NOT NULL,
    id         TEXT NOT NULL,
    tenant_id  TEXT NOT NULL,
    ref        TEXT,
    body       TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to   TEXT
);
CREATE INDEX IF NOT EXISTS history_by_tenant ON history (kind, tenant_id);
CREATE INDEX IF NOT EXISTS history_by_id ON history (id);
CREATE TABLE IF NOT EXISTS settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency (
    key      TEXT PRIMARY KEY,
    response TEXT NOT NULL
);
"""


_USAGE_TOTALS = """
WITH owners AS (
    SELECT json_extract(value, '$.email') AS email, json_extract(value, '$.since') AS since,
           json_extract(value, '$.until') AS until, json_extract(value, '$.owner') AS owner
    FROM json_each(?)
), usage AS (
    SELECT json_extract(body, '$.day') AS day, json_extract(body, '$.usage_type') AS type,
           json_extract(body, '$.email') AS email, json_extract(body, '$.quantity') AS quantity
    FROM objects WHERE kind = ? AND tenant_id = ? AND ref = ?
)
SELECT usage.day, usage.type, owners.owner, sum(usage.quantity) FROM usage
LEFT JOIN owners ON owners.email = usage.email AND usage.day BETWEEN owners.since AND owners.until
GROUP BY usage.day, usage.type, owners.owner ORDER BY usage.day, usage.type, owners.owner
"""


def _record(row: sqlite3.Row) -> Record:
    return Record(
        kind=row["kind"],
        id=row["id"],
        tenant_id=row["tenant_id"],
        key=row["key"],
        ref=row["ref"],
        version=row["version"],
        body=json.loads(row["body"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
        seq=row["seq"],
        created_by=row["created_by"],
    )


class SqliteTransaction:
    """`Transaction` on one SQLite connection; every statement is parameterized."""

    def __init__(self, db: sqlite3.Connection, history_of: frozenset[str]) -> None:
        self._db = db
        self._history_of = history_of

    def _open_version(self, record: Record) -> None:
        if record.kind in self._history_of:
            self._db.execute(
                "INSERT INTO history (kind, id, tenant_id, ref, body, valid_from)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    record.kind,
                    record.id,
                    record.tenant_id,
                    record.ref,
                    json.dumps(record.body),
                    record.updated_at.isoformat(),
                ),
            )

    def _close_version(self, record: Record, now: datetime) -> None:
        if record.kind in self._history_of:
            self._db.execute(
                "UPDATE history SET valid_to = ? WHERE id = ? AND valid_to IS NULL",
                (now.isoformat(), record.id),
            )

    def _one(self, sql: str, params: tuple[Any, ...]) -> Record | None:
        row = self._db.execute(sql, params).fetchone()
        return _record(row) if row else None

    def get(self, kind: str, record_id: str) -> Record | None:
        return self._one("SELECT * FROM objects WHERE kind = ? AND id = ?", (kind, record_id))

    def find(self, kind: str, tenant_id: str, key: str) -> Record | None:
        return self._one(
            "SELECT * FROM objects WHERE kind = ? AND tenant_id = ? AND key = ?",
            (kind, tenant_id, key),
        )

    def page(
        self, kind: str, tenant_id: str, *, after: int = 0, limit: int = -1, ref: str | None = None
    ) -> list[Record]:
        rows = self._db.execute(
            "SELECT * FROM objects WHERE kind = ? AND tenant_id = ? AND seq > ?"
            " AND (? IS NULL OR ref = ?) ORDER BY seq LIMIT ?",
            (kind, tenant_id, after, ref, ref, limit),
        ).fetchall()
        return [_record(row) for row in rows]

    def count(self, kind: str, tenant_id: str, *, ref: str | None = None) -> int:
        row = self._db.execute(
            "SELECT count(*) FROM objects"
            " WHERE kind = ? AND tenant_id = ? AND (? IS NULL OR ref = ?)",
            (kind, tenant_id, ref, ref),
        ).fetchone()
        return int(row[0])

    def insert(
        self,
        kind: str,
        tenant_id: str,
        body: dict[str, Any],
        now: datetime,
        *,
        key: str | None = None,
        ref: str | None = None,
        created_by: str | None = None,
    ) -> Record:
        refuse_nul(kind, tenant_id, key, ref, body)
        record_id = str(uuid.uuid4())
        stamp = now.isoformat()
        try:
            self._db.execute(
                "INSERT INTO objects (kind, id, tenant_id, key, ref, version, body,"
                " created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?)",
                (
                    kind,
                    record_id,
                    tenant_id,
                    key,
                    ref,
                    json.dumps(body),
                    created_by,
                    stamp,
                    stamp,
                ),
            )
        except sqlite3.IntegrityError as error:
            raise ConflictError(f"A {kind} with key '{key}' already exists.") from error
        created = self.get(kind, record_id)
        assert created is not None
        self._open_version(created)
        return created

    def update(
        self,
        record: Record,
        body: dict[str, Any],
        now: datetime,
        *,
        key: str | None,
        ref: str | None,
    ) -> Record:
        refuse_nul(record.kind, key, ref, body)
        try:
            self._db.execute(
                "UPDATE objects SET body = ?, key = ?, ref = ?, version = version + 1,"
                " updated_at = ? WHERE id = ?",
                (json.dumps(body), key, ref, now.isoformat(), record.id),
            )
        except sqlite3.IntegrityError as error:
            raise ConflictError(f"A {record.kind} with key '{key}' already exists.") from error
        updated = self.get(record.kind, record.id)
        assert updated is not None
        self._close_version(record, now)
        self._open_version(updated)
        return updated

    def delete(self, record: Record, now: datetime) -> None:
        self._db.execute("DELETE FROM objects WHERE id = ?", (record.id,))
        self._close_version(record, now)

    def put_many(
        self,
        kind: str,
        tenant_id: str,
        items: Sequence[tuple[str, str | None, dict[str, Any]]],
        now: datetime,
    ) -> int:
        refuse_nul(kind, tenant_id, [[key, ref, body] for key, ref, body in items])
        keys = json.dumps([key for key, _, _ in items])
        replaced = int(
            self._db.execute(
                "SELECT count(*) FROM objects WHERE kind = ? AND tenant_id = ?"
                " AND key IN (SELECT value FROM json_each(?))",
                (kind, tenant_id, keys),
            ).fetchone()[0]
        )
        stamp = now.isoformat()
        self._db.executemany(
            "INSERT INTO objects (kind, id, tenant_id, key, ref, version, body, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)"
            " ON CONFLICT (kind, tenant_id, key) WHERE key IS NOT NULL DO UPDATE SET"
            " body = excluded.body, ref = excluded.ref, version = version + 1,"
            " updated_at = excluded.updated_at",
            [
                (kind, str(uuid.uuid4()), tenant_id, key, ref, json.dumps(body), stamp, stamp)
                for key, ref, body in items
            ],
        )
        return replaced

    def versions(self, kind: str, tenant_id: str) -> list[Version]:
        rows = self._db.execute(
            "SELECT id, ref, body, valid_from, valid_to FROM history"
            " WHERE kind = ? AND tenant_id = ? ORDER BY rowid",
            (kind, tenant_id),
        )
        return [
            Version(
                id=row["id"],
                ref=row["ref"],
                body=json.loads(row["body"]),
                valid_from=datetime.fromisoformat(row["valid_from"]),
                valid_to=datetime.fromisoformat(row["valid_to"]) if row["valid_to"] else None,
            )
            for row in rows
        ]

    def usage_totals(
        self, kind: str, tenant_id: str, ref: str, owners: Sequence[Ownership]
    ) -> list[UsageTotal]:
        owned = json.dumps(ownership_rows(owners))
        rows = self._db.execute(_USAGE_TOTALS, (owned, kind, tenant_id, ref)).fetchall()
        return [(row[0], row[1], row[2], int(row[3])) for row in rows]

    def latest_change(self) -> datetime | None:
        # Stamps are UTC ISO texts, which sort as the moments they write.
        row = self._db.execute("SELECT max(valid_from), max(valid_to) FROM history").fetchone()
        stamps = [datetime.fromisoformat(stamp) for stamp in row if stamp is not None]
        return max(stamps, default=None)

    def delete_tenant_objects(self, kind: str, tenant_id: str) -> None:
        self._db.execute("DELETE FROM objects WHERE kind = ? AND tenant_id = ?", (kind, tenant_id))

    def get_setting(self, name: str) -> str | None:
        row = self._db.execute("SELECT value FROM settings WHERE name = ?", (name,)).fetchone()
        return str(row[0]) if row else None

    def get_response(self, key: str) -> str | None:
        row = self._db.execute("SELECT response FROM idempotency WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def put_response(self, key: str, response: str) -> None:
        self._db.execute(
            "INSERT INTO idempotency (key, response) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET response = excluded.response",
            (key, response),
        )

    def set_setting(self, name: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO settings (name, value) VALUES (?, ?)"
            " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (name, value),
        )


class SqliteStore:
    """`Store` on one SQLite file, keeping the history of the kinds in `history_of`."""

    def __init__(self, path: Path, history_of: Collection[str] = ()) -> None:
        self.path = path
        self._history_of = frozenset(history_of)
        self._per_thread = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._opened_lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
            columns = {row["name"] for row in db.execute("PRAGMA table_info(objects)")}
            if "created_by" not in columns:  # a database from before the column existed
                db.execute("ALTER TABLE objects ADD COLUMN created_by TEXT")
            for kind in self._history_of:  # objects stored before their history was kept
                db.execute(
                    "INSERT INTO history (kind, id, tenant_id, ref, body, valid_from)"
                    " SELECT kind, id, tenant_id, ref, body, created_at FROM objects"
                    " WHERE kind = ? AND id NOT IN (SELECT id FROM history)",
                    (kind,),
                )

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(
            self.path,
            timeout=_BUSY_TIMEOUT_SECONDS,
            isolation_level=None,
            check_same_thread=False,  # used by one thread at a time; closed by `close`
        )
        db.row_factory = sqlite3.Row
        # In WAL mode NORMAL never corrupts the database; a power cut may lose the last commits.
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection, opened once and kept until `close`: opening one costs
        as much as a small transaction. A transaction begun inside another on the same
        thread gets a connection of its own for its length."""
        kept: sqlite3.Connection | None = getattr(self._per_thread, "db", None)
        if kept is None:
            kept = self._per_thread.db = self._open()
            with self._opened_lock:
                self._opened.append(kept)
        if not kept.in_transaction:
            yield kept
            return
        db = self._open()
        try:
            yield db
        finally:
            db.close()

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[Transaction]:
        with self._connect() as db:
            db.execute(begin)
            try:
                yield SqliteTransaction(db, self._history_of)
                db.execute("COMMIT")
            finally:
                if db.in_transaction:  # the work or its commit failed
                    db.execute("ROLLBACK")

    def read(self) -> AbstractContextManager[Transaction]:
        """A read-only snapshot."""
        return self._transaction("BEGIN DEFERRED")

    def write(self) -> AbstractContextManager[Transaction]:
        """A transaction holding the write lock from its start: checks and writes are atomic."""
        return self._transaction("BEGIN IMMEDIATE")

    def close(self) -> None:
        """Close every thread's connection."""
        with self._opened_lock:
            opened, self._opened = self._opened, []
        self._per_thread = threading.local()
        for db in opened:
            db.close()

"""Persistence of the mock backend: the `Store` protocol the API layer uses, and SQLite under it.

The API layer sees only `Store`; a database server could replace `SqliteStore` without
touching it. `SqliteStore` opens one connection per operation, so it is safe to share
between threads, and SQLite's own locking (WAL, busy timeout) makes it safe between
processes: the embedded backend of several `pulumi` runs may share one file.
"""

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from ccprovider.backend.errors import ConflictError, NotFoundError
from ccprovider.contract import Tenant, TenantBody

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tenants (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL UNIQUE,
    offer      TEXT NOT NULL,
    hybrid     INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
"""

_BUSY_TIMEOUT_SECONDS = 30.0

DEFAULT_DB_PATH = Path(".ccprovider") / "backend.sqlite3"
"""Where the backend keeps its data unless told otherwise, relative to the working directory."""


class Store(Protocol):
    """What the API layer needs from storage."""

    def create_tenant(self, body: TenantBody) -> Tenant: ...

    def get_tenant(self, tenant_id: str) -> Tenant: ...

    def list_tenants(self, *, name: str | None, after: int, limit: int) -> list[tuple[int, Tenant]]:
        """Tenants after cursor `after`, oldest first, each with its cursor."""
        ...

    def replace_tenant(self, tenant_id: str, body: TenantBody) -> Tenant: ...

    def delete_tenant(self, tenant_id: str) -> None: ...


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _tenant(row: sqlite3.Row) -> Tenant:
    return Tenant(
        id=row["id"],
        name=row["name"],
        offer=row["offer"],
        hybrid=bool(row["hybrid"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class SqliteStore:
    """`Store` on one SQLite file; every statement is parameterized."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_SECONDS, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            yield db
        finally:
            db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A transaction holding the write lock from its start: checks and writes are atomic."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _require_tenant(self, db: sqlite3.Connection, tenant_id: str) -> sqlite3.Row:
        row: sqlite3.Row | None = db.execute(
            "SELECT * FROM tenants WHERE id = ?", (tenant_id,)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"Tenant '{tenant_id}' was not found.")
        return row

    @staticmethod
    def _refuse_duplicate_name(db: sqlite3.Connection, name: str, tenant_id: str | None) -> None:
        row = db.execute("SELECT id FROM tenants WHERE name = ?", (name,)).fetchone()
        if row is not None and row["id"] != tenant_id:
            raise ConflictError(
                f"A tenant named '{name}' already exists (id {row['id']}).",
                "Tenant names are unique: choose another name or manage the existing tenant.",
            )

    def create_tenant(self, body: TenantBody) -> Tenant:
        now = _now()
        with self._write() as db:
            self._refuse_duplicate_name(db, body.name, None)
            tenant_id = str(uuid.uuid4())
            db.execute(
                "INSERT INTO tenants (id, name, offer, hybrid, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (tenant_id, body.name, body.offer.value, int(body.hybrid), now, now),
            )
            return _tenant(self._require_tenant(db, tenant_id))

    def get_tenant(self, tenant_id: str) -> Tenant:
        with self._connect() as db:
            return _tenant(self._require_tenant(db, tenant_id))

    def list_tenants(self, *, name: str | None, after: int, limit: int) -> list[tuple[int, Tenant]]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT * FROM tenants WHERE seq > ? AND (? IS NULL OR name = ?)"
                " ORDER BY seq LIMIT ?",
                (after, name, name, limit),
            ).fetchall()
        return [(row["seq"], _tenant(row)) for row in rows]

    def replace_tenant(self, tenant_id: str, body: TenantBody) -> Tenant:
        with self._write() as db:
            self._require_tenant(db, tenant_id)
            self._refuse_duplicate_name(db, body.name, tenant_id)
            db.execute(
                "UPDATE tenants SET name = ?, offer = ?, hybrid = ?, updated_at = ? WHERE id = ?",
                (body.name, body.offer.value, int(body.hybrid), _now(), tenant_id),
            )
            return _tenant(self._require_tenant(db, tenant_id))

    def delete_tenant(self, tenant_id: str) -> None:
        with self._write() as db:
            self._require_tenant(db, tenant_id)
            db.execute("DELETE FROM tenants WHERE id = ?", (tenant_id,))

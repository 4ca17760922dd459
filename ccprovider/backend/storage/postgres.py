"""The backend's store on a PostgreSQL database, which several backend processes share.

Writers are serialized by a transaction-scoped advisory lock (one per schema), as SQLite's
`BEGIN IMMEDIATE` serializes them: the service checks rules (one license model per tenant,
one user per address) and then writes, and no other writer may slip in between. Readers
take a repeatable-read snapshot and never wait. Connections come from a pool per process.

While the database cannot be reached, a transaction fails with `UnavailableError` (503 with
`Retry-After`). A restart of the database kills every pooled connection: the first found
dead before any statement ran drops them all, and the transaction begins once more on a
new one, so that no request fails on a connection from before.

The schema carries a version: each migration in `_MIGRATIONS` runs once, in order, under
the same lock, so that servers starting together never migrate twice.
"""

import logging
import uuid
from collections.abc import Collection, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import DictRow, dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool, PoolTimeout

from ccprovider.backend.errors import ConflictError, UnavailableError
from ccprovider.backend.storage import (
    Ownership,
    Record,
    StoreUnavailableError,
    Transaction,
    UsageTotal,
    Version,
    describe,
    holds_nul,
    ownership_rows,
    refuse_nul,
)

# The writers' lock: an advisory lock of our own class, one per schema, so that backends
# kept in different schemas of one database do not wait for each other.
_WRITER_LOCK = "SELECT pg_advisory_xact_lock(1667461234, hashtext(current_schema()))"
_CONNECT_TIMEOUT_SECONDS = 10
_POOL_SIZE = 8
_LOCK_TIMEOUT_SECONDS = 30
_CHECKOUT_TIMEOUT_SECONDS = 3
"""How long a transaction waits for a pooled connection; longer, the database is down (or
overwhelmed) and the request is answered 503."""
_RETRY_AFTER_SECONDS = 2
"""What a 503 tells the client to wait: about what a database takes to restart."""
_RECONNECT_SECONDS = 5
"""How long the pool retries a lost connection in the background, ever less often, before
it leaves reconnecting to the next request: past a long outage, its retries would come too
seldom for requests to find the database back while they wait."""

_log = logging.getLogger(__name__)

_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # 1: objects, their history, settings and stored answers
        """CREATE TABLE objects (
            seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            kind       text NOT NULL,
            id         text NOT NULL UNIQUE,
            tenant_id  text NOT NULL,
            key        text,
            ref        text,
            version    integer NOT NULL,
            body       jsonb NOT NULL,
            created_by text,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL
        )""",
        "CREATE UNIQUE INDEX objects_by_key ON objects (kind, tenant_id, key)"
        " WHERE key IS NOT NULL",
        "CREATE INDEX objects_by_ref ON objects (kind, tenant_id, ref)",
        """CREATE TABLE history (
            seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            kind       text NOT NULL,
            id         text NOT NULL,
            tenant_id  text NOT NULL,
            ref        text,
            body       jsonb NOT NULL,
            valid_from timestamptz NOT NULL,
            valid_to   timestamptz
        )""",
        "CREATE INDEX history_by_tenant ON history (kind, tenant_id)",
        "CREATE INDEX history_by_id ON history (id)",
        "CREATE TABLE settings (name text PRIMARY KEY, value text NOT NULL)",
        "CREATE TABLE idempotency (key text PRIMARY KEY, response text NOT NULL)",
    ),
)
SCHEMA_VERSION = len(_MIGRATIONS)
"""The version of the schema this code works with."""

_USAGE_TOTALS = """
WITH owners AS (
    SELECT * FROM jsonb_to_recordset(%s) AS o(email text, since text, until text, owner text)
), usage AS (
    SELECT body->>'day' AS day, body->>'usage_type' AS type, body->>'email' AS email,
           (body->>'quantity')::bigint AS quantity
    FROM objects WHERE kind = %s AND tenant_id = %s AND ref = %s
)
SELECT usage.day, usage.type, owners.owner, sum(usage.quantity)::bigint AS quantity FROM usage
LEFT JOIN owners ON owners.email = usage.email AND usage.day BETWEEN owners.since AND owners.until
GROUP BY usage.day, usage.type, owners.owner ORDER BY usage.day, usage.type, owners.owner
"""


class _SchemaTooNewError(Exception):
    """The database's schema comes from a later release than this code."""


def _record(row: DictRow) -> Record:
    return Record(
        kind=row["kind"],
        id=row["id"],
        tenant_id=row["tenant_id"],
        key=row["key"],
        ref=row["ref"],
        version=row["version"],
        body=row["body"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        seq=row["seq"],
        created_by=row["created_by"],
    )


class PostgresTransaction:
    """`Transaction` on one PostgreSQL connection inside its transaction. PostgreSQL's text
    cannot hold NUL, so a lookup by a text with NUL finds nothing, as it would on SQLite."""

    def __init__(self, db: psycopg.Connection[DictRow], history_of: frozenset[str]) -> None:
        self._db = db
        self._history_of = history_of

    def _open_version(self, record: Record) -> None:
        if record.kind in self._history_of:
            self._db.execute(
                "INSERT INTO history (kind, id, tenant_id, ref, body, valid_from)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                (
                    record.kind,
                    record.id,
                    record.tenant_id,
                    record.ref,
                    Jsonb(record.body),
                    record.updated_at,
                ),
            )

    def _close_version(self, record: Record, now: datetime) -> None:
        if record.kind in self._history_of:
            self._db.execute(
                "UPDATE history SET valid_to = %s WHERE id = %s AND valid_to IS NULL",
                (now, record.id),
            )

    def _one(self, sql: str, params: Sequence[Any]) -> Record | None:
        if holds_nul(list(params)):
            return None
        row = self._db.execute(sql, params).fetchone()
        return _record(row) if row else None

    def _unique(self, kind: str, key: str | None, sql: str, params: Sequence[Any]) -> Record:
        """Run an insert or update returning the row; a duplicate key is a ConflictError
        that leaves the transaction usable, as it does on SQLite."""
        try:
            with self._db.transaction():  # a savepoint
                row = self._db.execute(sql, params).fetchone()
        except psycopg.errors.UniqueViolation as error:
            raise ConflictError(f"A {kind} with key '{key}' already exists.") from error
        assert row is not None
        return _record(row)

    def get(self, kind: str, record_id: str) -> Record | None:
        return self._one("SELECT * FROM objects WHERE kind = %s AND id = %s", (kind, record_id))

    def find(self, kind: str, tenant_id: str, key: str) -> Record | None:
        return self._one(
            "SELECT * FROM objects WHERE kind = %s AND tenant_id = %s AND key = %s",
            (kind, tenant_id, key),
        )

    def page(
        self, kind: str, tenant_id: str, *, after: int = 0, limit: int = -1, ref: str | None = None
    ) -> list[Record]:
        if holds_nul([tenant_id, ref]):
            return []
        rows = self._db.execute(
            "SELECT * FROM objects WHERE kind = %(kind)s AND tenant_id = %(tenant)s"
            " AND seq > %(after)s AND (%(ref)s::text IS NULL OR ref = %(ref)s)"
            " ORDER BY seq LIMIT %(limit)s",
            {
                "kind": kind,
                "tenant": tenant_id,
                "after": after,
                "ref": ref,
                "limit": None if limit < 0 else limit,
            },
        ).fetchall()
        return [_record(row) for row in rows]

    def count(self, kind: str, tenant_id: str, *, ref: str | None = None) -> int:
        if holds_nul([tenant_id, ref]):
            return 0
        row = self._db.execute(
            "SELECT count(*) AS n FROM objects WHERE kind = %(kind)s AND tenant_id = %(tenant)s"
            " AND (%(ref)s::text IS NULL OR ref = %(ref)s)",
            {"kind": kind, "tenant": tenant_id, "ref": ref},
        ).fetchone()
        assert row is not None
        return int(row["n"])

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
        created = self._unique(
            kind,
            key,
            "INSERT INTO objects (kind, id, tenant_id, key, ref, version, body, created_by,"
            " created_at, updated_at) VALUES (%s, %s, %s, %s, %s, 1, %s, %s, %s, %s)"
            " RETURNING *",
            (kind, str(uuid.uuid4()), tenant_id, key, ref, Jsonb(body), created_by, now, now),
        )
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
        updated = self._unique(
            record.kind,
            key,
            "UPDATE objects SET body = %s, key = %s, ref = %s, version = version + 1,"
            " updated_at = %s WHERE id = %s RETURNING *",
            (Jsonb(body), key, ref, now, record.id),
        )
        self._close_version(record, now)
        self._open_version(updated)
        return updated

    def delete(self, record: Record, now: datetime) -> None:
        self._db.execute("DELETE FROM objects WHERE id = %s", (record.id,))
        self._close_version(record, now)

    def put_many(
        self,
        kind: str,
        tenant_id: str,
        items: Sequence[tuple[str, str | None, dict[str, Any]]],
        now: datetime,
    ) -> int:
        refuse_nul(kind, tenant_id, [[key, ref, body] for key, ref, body in items])
        row = self._db.execute(
            "SELECT count(*) AS n FROM objects WHERE kind = %s AND tenant_id = %s"
            " AND key = ANY(%s)",
            (kind, tenant_id, [key for key, _, _ in items]),
        ).fetchone()
        assert row is not None
        with self._db.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO objects (kind, id, tenant_id, key, ref, version, body, created_at,"
                " updated_at) VALUES (%s, %s, %s, %s, %s, 1, %s, %s, %s)"
                " ON CONFLICT (kind, tenant_id, key) WHERE key IS NOT NULL DO UPDATE SET"
                " body = excluded.body, ref = excluded.ref, version = objects.version + 1,"
                " updated_at = excluded.updated_at",
                [
                    (kind, str(uuid.uuid4()), tenant_id, key, ref, Jsonb(body), now, now)
                    for key, ref, body in items
                ],
            )
        return int(row["n"])

    def versions(self, kind: str, tenant_id: str) -> list[Version]:
        rows = self._db.execute(
            "SELECT id, ref, body, valid_from, valid_to FROM history"
            " WHERE kind = %s AND tenant_id = %s ORDER BY seq",
            (kind, tenant_id),
        ).fetchall()
        return [
            Version(
                id=row["id"],
                ref=row["ref"],
                body=row["body"],
                valid_from=row["valid_from"],
                valid_to=row["valid_to"],
            )
            for row in rows
        ]

    def usage_totals(
        self, kind: str, tenant_id: str, ref: str, owners: Sequence[Ownership]
    ) -> list[UsageTotal]:
        if holds_nul([tenant_id, ref]):
            return []
        rows = self._db.execute(
            _USAGE_TOTALS, (Jsonb(ownership_rows(owners)), kind, tenant_id, ref)
        ).fetchall()
        return [(row["day"], row["type"], row["owner"], row["quantity"]) for row in rows]

    def latest_change(self) -> datetime | None:
        row = self._db.execute(
            "SELECT greatest(max(valid_from), max(valid_to)) AS latest FROM history"
        ).fetchone()
        assert row is not None
        latest: datetime | None = row["latest"]
        return latest

    def delete_tenant_objects(self, kind: str, tenant_id: str) -> None:
        self._db.execute(
            "DELETE FROM objects WHERE kind = %s AND tenant_id = %s", (kind, tenant_id)
        )

    def get_setting(self, name: str) -> str | None:
        if holds_nul(name):
            return None
        row = self._db.execute("SELECT value FROM settings WHERE name = %s", (name,)).fetchone()
        return str(row["value"]) if row else None

    def set_setting(self, name: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO settings (name, value) VALUES (%s, %s)"
            " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (name, value),
        )

    def get_response(self, key: str) -> str | None:
        if holds_nul(key):
            return None
        row = self._db.execute("SELECT response FROM idempotency WHERE key = %s", (key,)).fetchone()
        return str(row["response"]) if row else None

    def put_response(self, key: str, response: str) -> None:
        self._db.execute(
            "INSERT INTO idempotency (key, response) VALUES (%s, %s)"
            " ON CONFLICT (key) DO UPDATE SET response = excluded.response",
            (key, response),
        )


def _reason(error: Exception) -> str:
    """The first line of a driver's error: the cause, without its hints and context."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _connection_lost(error: psycopg.OperationalError) -> bool:
    """Whether `error` is the connection failing (the server went away, ended it, or none
    could be had from the pool), rather than a statement failing on a live connection (a
    lock not granted in time)."""
    return error.sqlstate is None or error.sqlstate.startswith(("08", "57P"))


def _configure(db: psycopg.Connection[Any]) -> None:
    """Every pooled connection reads timestamps in UTC, as they were written, and waits
    for the writers' lock as long as SQLite waits for its own before giving up."""
    db.execute("SET TIME ZONE 'UTC'")
    db.execute(f"SET lock_timeout = '{_LOCK_TIMEOUT_SECONDS}s'")
    db.commit()


class PostgresStore:
    """`Store` on one PostgreSQL database, keeping the history of the kinds in `history_of`."""

    def __init__(self, url: str, history_of: Collection[str] = ()) -> None:
        self._history_of = frozenset(history_of)
        self._described = describe(url)
        # One connection first: an unreachable server or a refused login fails here, at
        # once and with its cause, rather than in the pool's background retries.
        try:
            with psycopg.connect(
                url, row_factory=dict_row, connect_timeout=_CONNECT_TIMEOUT_SECONDS
            ) as db:
                self._migrate(db)
        except (psycopg.Error, _SchemaTooNewError) as error:
            raise StoreUnavailableError(
                f"cannot use the database {describe(url)}: {_reason(error)}"
            ) from None
        self._pool: ConnectionPool[psycopg.Connection[DictRow]] = ConnectionPool(
            url,
            min_size=1,
            max_size=_POOL_SIZE,
            kwargs={"row_factory": dict_row, "connect_timeout": _CONNECT_TIMEOUT_SECONDS},
            configure=_configure,
            timeout=_CHECKOUT_TIMEOUT_SECONDS,
            reconnect_timeout=_RECONNECT_SECONDS,
            name="ccprovider-backend",
            open=True,
        )

    def _migrate(self, db: psycopg.Connection[DictRow]) -> None:
        """Bring the schema to SCHEMA_VERSION, and give objects of kinds whose history is
        kept now a first version; one server at a time."""
        with db.transaction():
            db.execute(_WRITER_LOCK)
            db.execute("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)")
            row = db.execute("SELECT version FROM schema_version").fetchone()
            current = int(row["version"]) if row else 0
            if current > SCHEMA_VERSION:
                raise _SchemaTooNewError(
                    f"its schema is at version {current}, newer than this ccprovider knows"
                    f" ({SCHEMA_VERSION}); upgrade ccprovider"
                )
            for statements in _MIGRATIONS[current:]:
                for statement in statements:
                    db.execute(statement)
            if row is None:
                db.execute("INSERT INTO schema_version VALUES (%s)", (SCHEMA_VERSION,))
            else:
                db.execute("UPDATE schema_version SET version = %s", (SCHEMA_VERSION,))
            for kind in self._history_of:
                db.execute(
                    "INSERT INTO history (kind, id, tenant_id, ref, body, valid_from)"
                    " SELECT kind, id, tenant_id, ref, body, created_at FROM objects o"
                    " WHERE kind = %s AND NOT EXISTS (SELECT 1 FROM history h WHERE h.id = o.id)",
                    (kind,),
                )

    def _begin_on_pooled(self, stack: ExitStack, *, write: bool) -> psycopg.Connection[DictRow]:
        """A pooled connection in a new transaction, holding the writers' lock for a write;
        its commit (or rollback) and return to the pool are left on `stack`."""
        with ExitStack() as attempt:
            db = attempt.enter_context(self._pool.connection())
            db.read_only = not write
            db.isolation_level = (
                psycopg.IsolationLevel.READ_COMMITTED
                if write
                else psycopg.IsolationLevel.REPEATABLE_READ
            )
            attempt.enter_context(db.transaction())
            if write:
                db.execute(_WRITER_LOCK)
            stack.push(attempt.pop_all())
            return db

    def _begin(self, stack: ExitStack, *, write: bool) -> psycopg.Connection[DictRow]:
        """`_begin_on_pooled`, once more on a new connection when the pooled one is found dead
        before any statement ran: the database restarted (or was down) since it was pooled,
        so every pooled connection is as dead and the pool drops them all."""
        try:
            return self._begin_on_pooled(stack, write=write)
        except PoolTimeout:
            raise  # it waited long enough already
        except psycopg.OperationalError as error:
            if not _connection_lost(error):
                raise
        self._pool.drain()
        return self._begin_on_pooled(stack, write=write)

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Transaction]:
        try:
            with ExitStack() as stack:
                db = self._begin(stack, write=write)
                yield PostgresTransaction(db, self._history_of)
        except psycopg.OperationalError as error:
            if not _connection_lost(error):
                raise
            _log.warning("cannot reach the database %s: %s", self._described, _reason(error))
            raise UnavailableError(_RETRY_AFTER_SECONDS) from error

    def read(self) -> AbstractContextManager[Transaction]:
        """A read-only snapshot that waits for no writer."""
        return self._transaction(write=False)

    def write(self) -> AbstractContextManager[Transaction]:
        """A transaction that holds the writers' lock from its start: checks and writes are
        atomic, as on SQLite."""
        return self._transaction(write=True)

    def close(self) -> None:
        """Close the pool's connections."""
        self._pool.close()

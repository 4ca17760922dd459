"""Persistence of the mock backend: the `Store` protocol the service uses, and the engines
under it, SQLite (a file, the default) and PostgreSQL (a server that many backend processes
share), chosen by the database given to the server.

Every object is a JSON document of some kind (tenant, subscription, user, ...) with the
columns the service looks objects up by: its tenant, its natural key (unique per tenant
and kind) and one reference (a user's subscription, a usage record's month). For the kinds
it is asked to, the store also keeps every version of an object with the times it was in
effect, so that billing can say what was true on any past day. The service sees only
`Store` and `Transaction`: both engines give it the same answers, and the same guarantee
that a write transaction sees no other writer between its checks and its writes.
"""

from collections.abc import Collection, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ccprovider.backend.errors import BadRequestError

Database = Path | str
"""Where a store keeps its data: a SQLite file, or a `postgres://` (or `postgresql://`) URL."""

POSTGRES_SCHEMES = ("postgres://", "postgresql://")


class StoreUnavailableError(RuntimeError):
    """The database cannot be reached or is not one this code can use; the message says
    which database (without its password) and why."""


def is_postgres(database: Database) -> bool:
    """Whether `database` names a PostgreSQL database rather than a SQLite file."""
    return isinstance(database, str) and database.startswith(POSTGRES_SCHEMES)


def describe(database: Database) -> str:
    """`database` fit to print or log: a URL without its password, in the address or in
    a `password=` parameter."""
    if not is_postgres(database):
        return str(database)
    parts = urlsplit(str(database))
    if parts.password is not None:
        user = f"{parts.username}:***@" if parts.username else ""
        parts = parts._replace(netloc=user + parts.netloc.rsplit("@", 1)[1])
    query = [
        (name, "***" if name == "password" else value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit(parts._replace(query=urlencode(query, safe="*")))


@dataclass(frozen=True)
class Record:
    """One stored object: its lookup columns, its version (the ETag) and its JSON body."""

    kind: str
    id: str
    tenant_id: str
    key: str | None
    ref: str | None
    version: int
    body: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    seq: int
    created_by: str | None = None
    """The idempotency key of the request that created the object, stored in the same
    transaction: a retry of that request, even after a crash between the create and storing
    its answer, is recognized as the same create."""


@dataclass(frozen=True)
class Version:
    """What an object of a kind with kept history was from `valid_from` until `valid_to`
    (None: it still is); a deleted object's last version ends at its deletion."""

    id: str
    ref: str | None
    body: dict[str, Any]
    valid_from: datetime
    valid_to: datetime | None


class Ownership(NamedTuple):
    """Whose a user's usage is over a run of days (ISO dates, both included): for billing,
    the subscription the user was mapped to."""

    email: str
    since: str
    until: str
    owner: str


UsageTotal = tuple[str, str, str | None, int]
"""One day's usage of one type by one owner (None: tenant-level usage, or usage of users
no `Ownership` covers that day), summed: the day (ISO), usage type, owner and quantity."""


def ownership_rows(owners: Sequence[Ownership]) -> list[dict[str, str]]:
    """`owners` as the JSON rows each engine's usage query joins the records with."""
    return [owner._asdict() for owner in owners]


class Transaction(Protocol):
    """Reads and writes that see one consistent state and commit together."""

    def get(self, kind: str, record_id: str) -> Record | None: ...

    def find(self, kind: str, tenant_id: str, key: str) -> Record | None: ...

    def page(
        self, kind: str, tenant_id: str, *, after: int = 0, limit: int = -1, ref: str | None = None
    ) -> list[Record]:
        """Objects after cursor `after` (a `seq`), oldest first; `limit` -1 means all."""
        ...

    def count(self, kind: str, tenant_id: str, *, ref: str | None = None) -> int: ...

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
    ) -> Record: ...

    def update(
        self,
        record: Record,
        body: dict[str, Any],
        now: datetime,
        *,
        key: str | None,
        ref: str | None,
    ) -> Record: ...

    def delete(self, record: Record, now: datetime) -> None: ...

    def put_many(
        self,
        kind: str,
        tenant_id: str,
        items: Sequence[tuple[str, str | None, dict[str, Any]]],
        now: datetime,
    ) -> int:
        """Store many objects of a kind without history, each `(key, ref, body)` replacing
        any stored under its key; how many it replaced. For bulk loads."""
        ...

    def versions(self, kind: str, tenant_id: str) -> list[Version]:
        """Every version of the tenant's objects of `kind`, deleted ones included, oldest
        first; only kinds the store keeps the history of have versions."""
        ...

    def usage_totals(
        self, kind: str, tenant_id: str, ref: str, owners: Sequence[Ownership]
    ) -> list[UsageTotal]:
        """The tenant's usage records under `ref` (objects of `kind` whose bodies hold a
        day, usage_type, email and quantity), their quantities summed by the database per
        day, usage type and owner, the owner being that of the `owners` entry holding the
        record's e-mail and day (entries of one e-mail never overlap); ordered by day. One
        row per day, type and owner, whatever the number of records."""
        ...

    def latest_change(self) -> datetime | None:
        """The latest moment the kept history records (a version's start or end), of any
        tenant; None before the first change."""
        ...

    def delete_tenant_objects(self, kind: str, tenant_id: str) -> None: ...

    def get_setting(self, name: str) -> str | None: ...

    def set_setting(self, name: str, value: str) -> None: ...

    def get_response(self, key: str) -> str | None:
        """The response stored for an idempotency key."""
        ...

    def put_response(self, key: str, response: str) -> None: ...


class Store(Protocol):
    """Where the backend's state lives."""

    def read(self) -> AbstractContextManager[Transaction]: ...

    def write(self) -> AbstractContextManager[Transaction]: ...

    def close(self) -> None:
        """Let go of the connections it holds; the server calls it when it stops."""
        ...


def holds_nul(value: object) -> bool:
    """Whether a text in `value` (a string, or lists and objects of them) holds NUL."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(holds_nul(item) for item in value)
    return False


def refuse_nul(kind: str, *values: object) -> None:
    """Stored text never holds the NUL character, on either engine (PostgreSQL's text
    cannot): a write of one is refused as a bad request rather than failing in the database."""
    if any(holds_nul(value) for value in values):
        raise BadRequestError(
            f"A {kind} cannot hold the NUL character (\\u0000).",
            "Remove the NUL character from the request's text.",
        )


def open_store(database: Database, history_of: Collection[str] = ()) -> Store:
    """The store of `database`, its schema created or brought up to date; SQLite for a
    path, PostgreSQL for a `postgres://` URL (which needs `ccprovider[postgres]`). Any
    other URL is refused rather than taken for a file name."""
    if "://" in str(database) and not is_postgres(database):
        raise StoreUnavailableError(
            f"cannot use the database {describe(database)}: give a SQLite file or a"
            " postgres:// (or postgresql://) URL"
        )
    if is_postgres(database):
        try:
            from ccprovider.backend.storage.postgres import PostgresStore  # noqa: PLC0415
        except ImportError as error:
            raise StoreUnavailableError(
                f"cannot use the database {describe(database)}: PostgreSQL storage needs"
                f" {error.name}; install it with: pip install 'ccprovider[postgres]'"
            ) from error
        return PostgresStore(str(database), history_of)
    from ccprovider.backend.storage.sqlite import SqliteStore  # noqa: PLC0415

    return SqliteStore(Path(database), history_of)

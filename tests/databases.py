"""The tests' databases on both engines: a SQLite file, or a fresh schema (or database) on
the PostgreSQL cluster that `scripts/test` starts and names in CCPROVIDER_TEST_POSTGRES."""

import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import NoReturn
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
import pytest

from ccprovider.backend.storage import Database, is_postgres

TEST_POSTGRES_ENV = "CCPROVIDER_TEST_POSTGRES"
"""The URL of a database on the tests' PostgreSQL cluster, where tests make their own."""


def cluster_url() -> str:
    """The URL of the tests' database on PostgreSQL: a missing cluster fails under CI and
    skips elsewhere, as a missing pulumi CLI does."""
    url = os.environ.get(TEST_POSTGRES_ENV)
    if not url:
        _missing(f"no PostgreSQL for the tests ({TEST_POSTGRES_ENV}): run them with scripts/test")
    return url


def _missing(message: str) -> NoReturn:
    """Fail under CI, skip elsewhere."""
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


POSTGRES_DIR_ENV = "CCPROVIDER_POSTGRES_DIR"
"""The directory of the cluster that `scripts/postgres` runs; `scripts/test` names the
tests' cluster there, so that a test's `scripts/postgres url NAME` reaches it."""


def cluster_dir() -> str:
    """The directory of the tests' cluster, for the `scripts/postgres` commands a test
    runs; missing, as a missing cluster."""
    cluster_url()
    directory = os.environ.get(POSTGRES_DIR_ENV)
    if not directory:
        _missing(f"{POSTGRES_DIR_ENV} names no cluster: run the tests with scripts/test")
    return directory


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    return urlunsplit(parts._replace(query=urlencode({**query, **params})))


def _unique_name() -> str:
    return f"t_{uuid.uuid4().hex[:16]}"


@contextmanager
def fresh_schema() -> Iterator[str]:
    """A URL whose connections use a new, empty schema of the tests' database; the schema
    is dropped afterwards. A backend on it starts from nothing, as on a new SQLite file."""
    url = cluster_url()
    name = _unique_name()
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(f"CREATE SCHEMA {name}")
    try:
        yield _with_query(url, options=f"-csearch_path={name}")
    finally:
        with psycopg.connect(url, autocommit=True) as db:
            db.execute(f"DROP SCHEMA {name} CASCADE")


@contextmanager
def fresh_database() -> Iterator[str]:
    """The URL of a new, empty database on the tests' cluster, dropped afterwards (for
    clients, such as the pulumi CLI, that cannot be pointed at a schema)."""
    url = cluster_url()
    name = _unique_name()
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name}")
    try:
        yield urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(url, autocommit=True) as db:
            db.execute(f"DROP DATABASE {name} WITH (FORCE)")


@contextmanager
def engine_database(engine: str, directory: Path) -> Iterator[Database]:
    """A new, empty backend database of `engine` ("sqlite": a file in `directory`;
    "postgres": a fresh schema)."""
    if engine == "sqlite":
        yield directory / "backend.sqlite3"
    else:
        with fresh_schema() as url:
            yield url


def run_sql(database: Database, statement: str) -> list[tuple[object, ...]]:
    """Run one SQL statement on a backend's database behind its back, committed; its rows."""
    if is_postgres(database):
        with psycopg.connect(str(database), autocommit=True) as pg:
            cursor = pg.execute(statement.encode())
            return [tuple(row) for row in cursor.fetchall()] if cursor.description else []
    with closing(sqlite3.connect(database)) as lite, lite:
        return lite.execute(statement).fetchall()


def dump(database: Database) -> str:
    """Every row of every table of a backend's database, as text, to search for secrets."""
    if not is_postgres(database):
        with closing(sqlite3.connect(database)) as lite:
            return "\n".join(lite.iterdump())
    tables = run_sql(
        database,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()",
    )
    return "\n".join(
        str(row[0])
        for (table,) in tables
        for row in run_sql(database, f"SELECT t::text FROM {table} t")
    )

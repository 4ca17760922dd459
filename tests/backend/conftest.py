"""The backend's tests: each test that takes `database` runs on a new SQLite file; the tests
of the storage contract (marked `both_engines`: transactions, the writers' lock, history,
idempotency, NUL handling, paging, unique keys) run on a new PostgreSQL schema too."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from ccprovider.backend.storage import Database
from tests.databases import engine_database

ENGINES = ("sqlite", "postgres")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run a test that needs a database on SQLite, and on both engines when it is marked."""
    if "database" in metafunc.fixturenames:
        both = metafunc.definition.get_closest_marker("both_engines") is not None
        metafunc.parametrize("database", ENGINES if both else ENGINES[:1], indirect=True)


@pytest.fixture
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with engine_database(request.param, tmp_path) as created:
        yield created

"""The backend's tests run on both storage engines: each test that takes `database` runs on
a new SQLite file and on a new PostgreSQL schema."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from ccprovider.backend.storage import Database
from tests.databases import engine_database


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with engine_database(request.param, tmp_path) as created:
        yield created

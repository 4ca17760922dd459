"""Fixtures shared by the tests: a real backend server on a temporary database, a tenant in
it and its simulated clock."""

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from ccprovider.backend.server import BackgroundServer
from ccprovider.backend.storage import Database
from ccprovider.client import ProvisioningClient
from ccprovider.contract import ClockChange, TenantBody
from ccprovider.domain import Offer


@pytest.fixture
def database(tmp_path: Path) -> Database:
    """The test's backend database: a new SQLite file (the backend's own tests run on
    PostgreSQL too, see tests/backend/conftest.py)."""
    return tmp_path / "backend.sqlite3"


@pytest.fixture
def backend_url(database: Database) -> Iterator[str]:
    """The URL of a backend served over HTTP on loopback, stopped after the test."""
    server = BackgroundServer(database)
    yield server.start()
    server.stop()


@pytest.fixture
def client(backend_url: str) -> ProvisioningClient:
    return ProvisioningClient(backend_url)


@pytest.fixture
def tenant_id(client: ProvisioningClient) -> str:
    """The id of a fresh tenant `acme-dev` in the test's backend."""
    return client.create_tenant(TenantBody(name="acme-dev", offer=Offer.FLEX3)).id


@pytest.fixture
def clock_today(client: ProvisioningClient) -> date:
    """Set the backend's simulated clock to 2026-06-01 and return that day."""
    day = date(2026, 6, 1)
    client.change_clock(ClockChange(now=datetime(2026, 6, 1, 12, tzinfo=UTC)))
    return day

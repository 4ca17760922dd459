"""Fixtures shared by the tests: a real backend server on a temporary database."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from ccprovider.backend.server import BackgroundServer
from ccprovider.client import ProvisioningClient


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "backend.sqlite3"


@pytest.fixture
def backend_url(db_path: Path) -> Iterator[str]:
    """The URL of a backend served over HTTP on loopback, stopped after the test."""
    server = BackgroundServer(db_path)
    yield server.start()
    server.stop()


@pytest.fixture
def client(backend_url: str) -> ProvisioningClient:
    return ProvisioningClient(backend_url)

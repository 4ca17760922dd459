"""`scripts/postgres`: a PostgreSQL cluster of the project's own, in a directory of its own,
that starts, serves databases by URL, stops, and starts again with its data."""

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.databases import run_sql
from tests.e2e.harness import REPO

SCRIPT = REPO / "scripts" / "postgres"


@pytest.fixture
def cluster_dir() -> Iterator[Path]:
    """A new directory for the cluster, outside pytest's private temp tree so that the
    `postgres` user can reach it when the tests run as root; stopped and removed after."""
    if not list(Path("/usr/lib/postgresql").glob("*/bin/postgres")):
        message = "PostgreSQL's server is not installed: run the tests with scripts/test"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    directory = Path(tempfile.mkdtemp(prefix="ccprovider-postgres-script-"))
    yield directory
    postgres(directory, "stop")
    shutil.rmtree(directory, ignore_errors=True)


def postgres(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args],
        env={**os.environ, "CCPROVIDER_POSTGRES_DIR": str(directory)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_cluster_starts_serves_stops_and_starts_again_with_its_data(
    cluster_dir: Path,
) -> None:
    started = postgres(cluster_dir, "start", "kept")
    url = started.stdout.strip()
    run_sql(url, "CREATE TABLE kept AS SELECT 'survives' AS v")
    running = postgres(cluster_dir, "status")
    stopped = postgres(cluster_dir, "stop")
    status_when_stopped = postgres(cluster_dir, "status")
    url_when_stopped = postgres(cluster_dir, "url", "kept")
    again = postgres(cluster_dir, "start", "kept")

    assert started.returncode == 0, started.stderr
    assert url.startswith("postgres://ccprovider:")
    assert url.endswith("/kept?sslmode=disable")
    assert "@127.0.0.1:" in url
    assert running.stdout.startswith("running on 127.0.0.1:")
    assert stopped.returncode == 0
    assert (status_when_stopped.returncode, status_when_stopped.stdout.split()[0]) == (3, "stopped")
    assert url_when_stopped.returncode != 0
    assert "is not running: scripts/postgres start" in url_when_stopped.stderr
    assert again.returncode == 0, again.stderr
    assert run_sql(again.stdout.strip(), "SELECT v FROM kept") == [("survives",)]
    assert (cluster_dir / "password").stat().st_mode & 0o077 == 0  # its owner's alone


def test_the_cluster_refuses_a_login_without_its_password(cluster_dir: Path) -> None:
    url = postgres(cluster_dir, "start").stdout.strip()
    password = url.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]

    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(url.replace(password, "wrong"), connect_timeout=5).close()


def test_a_database_name_that_is_not_a_plain_identifier_is_refused(cluster_dir: Path) -> None:
    assert postgres(cluster_dir, "start").returncode == 0

    refused = postgres(cluster_dir, "url", "x; DROP DATABASE state")

    assert refused.returncode != 0
    assert "a database name is lowercase letters, digits and _" in refused.stderr
    assert postgres(cluster_dir, "url", "state").returncode == 0

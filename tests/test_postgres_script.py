"""`scripts/postgres`: a PostgreSQL cluster of the project's own, in a directory of its own,
that starts, serves databases by URL, stops, and starts again with its data."""

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.databases import run_sql
from tests.e2e.harness import REPO
from tests.readme import commands

SCRIPT = REPO / "scripts" / "postgres"


def require_server() -> None:
    """Skip (fail under CI) when PostgreSQL's server is not installed."""
    if not list(Path("/usr/lib/postgresql").glob("*/bin/postgres")):
        message = "PostgreSQL's server is not installed: run the tests with scripts/test"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def cluster_dir() -> Iterator[Path]:
    """A new directory for the cluster, outside pytest's private temp tree so that the
    `postgres` user can reach it when the tests run as root; stopped and removed after."""
    require_server()
    directory = Path(tempfile.mkdtemp(prefix="ccprovider-postgres-script-"))
    yield directory
    postgres(directory, "stop")
    shutil.rmtree(directory, ignore_errors=True)


def postgres(
    directory: Path | None, *args: str, script: Path = SCRIPT
) -> subprocess.CompletedProcess[str]:
    """`scripts/postgres ARGS` on the cluster in `directory`, or (None) in its default one."""
    env = {k: v for k, v in os.environ.items() if k != "CCPROVIDER_POSTGRES_DIR"}
    if directory is not None:
        env["CCPROVIDER_POSTGRES_DIR"] = str(directory)
    return subprocess.run(
        [str(script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_cluster_starts_serves_stops_and_starts_again_with_its_data(
    cluster_dir: Path,
) -> None:
    """The README's commands, in its order, then each again on the stopped cluster."""
    start, url_of, status, stop = commands("postgres-cluster")
    assert {command[0] for command in (start, url_of, status, stop)} == {"scripts/postgres"}
    started = postgres(cluster_dir, *start[1:])
    url = started.stdout.strip()
    run_sql(url, "CREATE TABLE kept AS SELECT 'survives' AS v")
    backend = postgres(cluster_dir, *url_of[1:])
    running = postgres(cluster_dir, *status[1:])
    stopped = postgres(cluster_dir, *stop[1:])
    status_when_stopped = postgres(cluster_dir, *status[1:])
    url_when_stopped = postgres(cluster_dir, *url_of[1:])
    again = postgres(cluster_dir, *start[1:])

    assert started.returncode == 0, started.stderr
    assert url.startswith("postgres://ccprovider:")
    assert url.endswith("/state?sslmode=disable")
    assert "@127.0.0.1:" in url
    assert backend.stdout.strip() == url.replace("/state?", "/backend?")
    assert running.stdout.startswith("running on 127.0.0.1:")
    assert stopped.returncode == 0
    assert (status_when_stopped.returncode, status_when_stopped.stdout.split()[0]) == (3, "stopped")
    assert url_when_stopped.returncode != 0
    assert "is not running: scripts/postgres start" in url_when_stopped.stderr
    assert again.returncode == 0, again.stderr
    assert run_sql(again.stdout.strip(), "SELECT v FROM kept") == [("survives",)]
    assert run_sql(backend.stdout.strip(), "SELECT 'made'") == [("made",)]
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


def cluster_dir_of(status: subprocess.CompletedProcess[str]) -> Path:
    """The directory `scripts/postgres status` names, running or stopped."""
    found = re.fullmatch(r"(?:running on \S+ from (.+)|stopped \((.+)\))\n", status.stdout)
    assert found, status.stdout
    return Path(found[1] or found[2])


@pytest.fixture
def script_in_private_home(tmp_path: Path) -> Iterator[Path]:
    """`scripts/postgres` of a copy of the clone's files under a directory of mode 0700, as
    a clone in root's home is; its cluster, wherever it went, is stopped and removed after."""
    if os.geteuid() != 0:
        pytest.skip("only as root does the cluster run as the postgres user")
    require_server()
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    clone = home / "ccprovider"
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, tracked.split("\0")):
        (clone / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, clone / name)
    script = clone / "scripts" / "postgres"
    yield script
    status = postgres(None, "status", script=script)
    postgres(None, "stop", script=script)
    shutil.rmtree(cluster_dir_of(status), ignore_errors=True)


def test_a_clone_in_a_private_home_starts_its_cluster_where_postgres_can_reach_it(
    script_in_private_home: Path,
) -> None:
    script = script_in_private_home

    started = postgres(None, "start", "kept", script=script)
    assert started.returncode == 0, started.stderr
    assert run_sql(started.stdout.strip(), "SELECT 'served'") == [("served",)]
    running = postgres(None, "status", script=script)
    stopped = postgres(None, "stop", script=script)
    status_when_stopped = postgres(None, "status", script=script)

    directory = cluster_dir_of(running)
    assert not directory.is_relative_to(script.parents[2])  # outside the private home
    assert f"from {directory}" in started.stderr
    assert stopped.returncode == 0, stopped.stderr
    assert cluster_dir_of(status_when_stopped) == directory


def test_a_cluster_an_earlier_release_made_in_the_clone_is_still_found_there(
    script_in_private_home: Path,
) -> None:
    in_clone = script_in_private_home.parents[1] / ".ccprovider" / "postgres"
    (in_clone / "data").mkdir(parents=True)
    (in_clone / "data" / "PG_VERSION").write_text("15\n")

    status = postgres(None, "status", script=script_in_private_home)

    assert cluster_dir_of(status) == in_clone

"""Requests per second of license-assignment writes and reads against the backend.

Not a test: it prints figures. For each size it creates users in a fresh tenant, then
times one PATCH per user (assign a license: the write) and one access check per user
(the read), from `--clients` threads with a keep-alive HTTP client each, against:

- the embedded backend: the app on a background thread of this process, as the
  provider runs it, on SQLite;
- the HTTP server: `python -m ccprovider.backend serve` in its own processes, on SQLite
  with 1 worker, and on PostgreSQL with 1 and with 4 workers when `--postgres URL` names
  a database to make scratch schemas in (`scripts/postgres start bench` prints one).

    .venv/bin/python bench/license_throughput.py [--users 1000 10000] [--clients 4] \
        [--postgres URL]
"""

import argparse
import os
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ccprovider.backend.server import BackgroundServer
from ccprovider.backend.storage import Database
from ccprovider.backend.subprocess_server import serve_in_subprocess
from ccprovider.client import ProvisioningClient
from ccprovider.contract import (
    LicenseOperation,
    SubscriptionBody,
    TenantBody,
    User,
    UserBody,
)

Backend = Callable[[Database], AbstractContextManager[str]]
"""Serves a database while its block runs; yields the URL."""


@contextmanager
def embedded(database: Database) -> Iterator[str]:
    server = BackgroundServer(database)
    yield server.start()
    server.stop()


def http_server(workers: int) -> Backend:
    @contextmanager
    def serve(database: Database) -> Iterator[str]:
        with serve_in_subprocess(database, "--no-auth", "--workers", str(workers)) as url:
            yield url

    return serve


@contextmanager
def scratch_schema(url: str) -> Iterator[str]:
    """A URL whose connections use a new schema of the database at `url`, dropped after."""
    import psycopg  # noqa: PLC0415 - only the PostgreSQL rows need the driver

    name = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(f"CREATE SCHEMA {name}".encode())
    parts = urlsplit(url)
    query = urlencode({**dict(parse_qsl(parts.query)), "options": f"-csearch_path={name}"})
    try:
        yield urlunsplit(parts._replace(query=query))
    finally:
        with psycopg.connect(url, autocommit=True) as db:
            db.execute(f"DROP SCHEMA {name} CASCADE".encode())


@contextmanager
def scratch_file() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as scratch:
        yield Path(scratch) / "b.db"


def _rate(count: int, clients: int, action: Callable[[int], object]) -> float:
    """Requests per second of `action` over indexes 0..count-1 from `clients` threads."""
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(action, range(count)))
    return count / (time.perf_counter() - started)


def measure(url: str, users: int, clients: int) -> tuple[float, float]:
    """Writes and reads per second for `users` license assignments."""
    local = threading.local()

    def client() -> ProvisioningClient:
        if not hasattr(local, "client"):
            local.client = ProvisioningClient(url)
        made: ProvisioningClient = local.client
        return made

    setup = ProvisioningClient(url)
    tenant = setup.create_tenant(TenantBody(name=f"bench-{users}", offer="flex3"))
    subscription = setup.create_subscription(
        tenant.id,
        SubscriptionBody(
            external_id="SUB-BENCH",
            department="benchmarks",
            license_model="named",
            offer="flex3",
            telephony="webex_calling",
            start=date(2025, 1, 1),
            term_months=60,
        ),
    )
    emails = [f"agent{i}@bench.example" for i in range(users)]
    created: dict[int, User] = {}

    def create(index: int) -> object:
        body = UserBody(email=emails[index], role="agent", agent_profile="standard")
        created[index] = client().create_user(tenant.id, body)
        return created[index]

    _rate(users, clients, create)
    book = setup.license_book(tenant.id)
    operation = LicenseOperation(id=f"{subscription.id}:standard-agent", operation="add")

    def assign(index: int) -> object:
        return client().change_licenses(tenant.id, created[index], [operation], book)

    writes = _rate(users, clients, assign)
    reads = _rate(users, clients, lambda index: client().check_access(tenant.id, emails[index]))
    return writes, reads


@dataclass(frozen=True)
class Run:
    """One row of figures: where the backend runs, on which database, with how many workers."""

    backend: str
    engine: str
    workers: int
    serve: Backend
    scratch: Callable[[], AbstractContextManager[Database]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--clients", type=int, default=4, help="client threads (%(default)s)")
    parser.add_argument("--postgres", help="a postgres:// URL to make scratch schemas in")
    args = parser.parse_args()
    runs = [
        Run("embedded", "sqlite", 1, embedded, scratch_file),
        Run("server", "sqlite", 1, http_server(1), scratch_file),
    ]
    if args.postgres:
        runs += [
            Run("server", "postgres", n, http_server(n), lambda: scratch_schema(args.postgres))
            for n in (1, 4)
        ]
    print(
        f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, {args.clients} clients"
    )
    header = ("backend", "database", "workers", "users", "writes/s", "reads/s")
    print("{:<10} {:<9} {:>7} {:>7} {:>10} {:>10}".format(*header))
    for run in runs:
        for users in args.users:
            with run.scratch() as database, run.serve(database) as url:
                writes, reads = measure(url, users, args.clients)
            print(
                f"{run.backend:<10} {run.engine:<9} {run.workers:>7} {users:>7}"
                f" {writes:>10.0f} {reads:>10.0f}",
                flush=True,
            )


if __name__ == "__main__":
    main()

"""Requests per second of license-assignment writes and reads against the backend.

Not a test: it prints figures. For each size it creates users in a fresh tenant, then
times one PATCH per user (assign a license: the write) and one access check per user
(the read), through one keep-alive HTTP client, against:

- the embedded backend: the app on a background thread of this process, as the
  provider runs it;
- the HTTP server: `python -m ccprovider.backend serve` in its own process.

    .venv/bin/python bench/license_throughput.py [--users 1000 10000]
"""

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from ccprovider.backend.server import BackgroundServer
from ccprovider.backend.subprocess_server import serve_in_subprocess
from ccprovider.client import ProvisioningClient
from ccprovider.contract import (
    LicenseOperation,
    LicensePatch,
    SubscriptionBody,
    TenantBody,
    UserBody,
)


@contextmanager
def embedded(db: Path) -> Iterator[str]:
    server = BackgroundServer(db)
    yield server.start()
    server.stop()


@contextmanager
def http_server(db: Path) -> Iterator[str]:
    with serve_in_subprocess(db, "--no-auth") as url:
        yield url


def _rate(count: int, action: Callable[[int], object]) -> float:
    started = time.perf_counter()
    for index in range(count):
        action(index)
    return count / (time.perf_counter() - started)


def measure(url: str, users: int) -> tuple[float, float]:
    """Writes and reads per second for `users` license assignments."""
    client = ProvisioningClient(url)
    tenant = client.create_tenant(TenantBody(name=f"bench-{users}", offer="flex3"))
    subscription = client.create_subscription(
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
    for email in emails:
        client.create_user(tenant.id, UserBody(email=email, role="agent", agent_profile="standard"))
    license_id = f"{subscription.id}:standard-agent"

    def assign(index: int) -> object:
        operation = LicenseOperation(id=license_id, operation="add")
        return client.patch_licenses(
            tenant.id, LicensePatch(email=emails[index], licenses=[operation])
        )

    writes = _rate(users, assign)
    reads = _rate(users, lambda index: client.check_access(tenant.id, emails[index]))
    return writes, reads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[1000, 10_000])
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"{'backend':<10} {'users':>7} {'writes/s':>10} {'reads/s':>10}")
    for name, backend in (("embedded", embedded), ("server", http_server)):
        for users in args.users:
            with tempfile.TemporaryDirectory() as scratch, backend(Path(scratch) / "b.db") as url:
                writes, reads = measure(url, users)
            print(f"{name:<10} {users:>7} {writes:>10.0f} {reads:>10.0f}", flush=True)


if __name__ == "__main__":
    main()

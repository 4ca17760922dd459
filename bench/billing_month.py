"""Seconds and server memory of one month's billing summary over 1,000,000 usage records.

Not a test: it prints figures. It fills a fresh backend with one tenant: two subscriptions,
`--users` agents mapped half to each (a quarter remapped on the 15th), and one record per
agent, day and usage type over May 2026 (4,000 agents x 31 days x 8 types = 992,000
records). Then it serves the database with `python -m ccprovider.backend serve` in a process
of its own and times `GET billing`: once alone, then `--concurrent` requests at once (as a
report drawing several months, or a few readers, send them), each on a fresh server so
that its memory peak is its own. On SQLite, and on PostgreSQL when `--postgres URL` names
a database to make a scratch schema in (`scripts/postgres start bench` prints one).

    .venv/bin/python bench/billing_month.py [--users 4000] [--concurrent 3] [--postgres URL]
"""

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

# Beside this script: the scratch databases and the subscription the other benchmarks use.
from license_throughput import scratch_file, scratch_schema
from usage_load import bench_subscription

from ccprovider.backend.server import BackgroundServer
from ccprovider.backend.service.billing import BillingService
from ccprovider.backend.service.common import HISTORY_KINDS
from ccprovider.backend.storage import Database, open_store
from ccprovider.backend.subprocess_server import serve_in_subprocess
from ccprovider.bulk_assign import BulkAction, BulkAssignment
from ccprovider.client import ProvisioningClient
from ccprovider.contract import ClockChange, TenantBody, UsageBatch
from ccprovider.domain import UsageRecord, UsageType

_MONTH = date(2026, 5, 1)
_DAYS = 31
_BATCH = 10_000
_PATIENT = (5.0, 3600.0)
"""The benchmark's client waits for an answer as long as it takes."""


def _at(day: date) -> ClockChange:
    return ClockChange(now=datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=12))


def _agents(subscription_id: str, emails: list[str]) -> list[BulkAssignment]:
    return [
        BulkAssignment(
            action=BulkAction.ASSIGN,
            email=email,
            role="agent",
            agent_profile="standard",
            license=f"{subscription_id}:standard-agent",
        )
        for email in emails
    ]


def populate(database: Database, users: int) -> str:
    """The tenant with its subscriptions, agents and a month of usage; its id."""
    server = BackgroundServer(database)
    client = ProvisioningClient(server.start())
    try:
        client.change_clock(_at(_MONTH))
        tenant = client.create_tenant(TenantBody(name="acme-bench", offer="flex3"))
        first, second = (
            client.create_subscription(tenant.id, bench_subscription(s, users // 2))
            for s in ("SUB-1", "SUB-2")
        )
        emails = [f"agent{n}@acme.example" for n in range(users)]
        half = users // 2
        client.bulk_assign(tenant.id, _agents(first.id, emails[:half]))
        client.bulk_assign(tenant.id, _agents(second.id, emails[half:]))
        client.change_clock(_at(_MONTH + timedelta(days=14)))
        client.bulk_assign(tenant.id, _agents(second.id, emails[: half // 2]))
        client.change_clock(_at(_MONTH + timedelta(days=_DAYS)))
    finally:
        server.stop()
    store = open_store(database, HISTORY_KINDS)
    try:
        billing, batch = BillingService(store), []
        for day in (_MONTH + timedelta(days=n) for n in range(_DAYS)):
            for email in emails:
                batch += [
                    UsageRecord.model_construct(day=day, usage_type=t, quantity=1, email=email)
                    for t in UsageType
                ]
                if len(batch) >= _BATCH:
                    billing.add_usage(tenant.id, UsageBatch.model_construct(records=batch))
                    batch = []
        if batch:
            billing.add_usage(tenant.id, UsageBatch.model_construct(records=batch))
    finally:
        store.close()
    return tenant.id


def _server_pid() -> int:
    """The backend server this process started: its child running `ccprovider.backend`."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == os.getpid() and b"ccprovider.backend" in command:
            return int(entry.name)
    raise SystemExit("the backend server's process was not found")


def _memory_mb(pid: int) -> tuple[float, float]:
    """The process's peak and current resident memory, in MB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return (
        int(fields["VmHWM"].split()[0]) / 1024,
        int(fields["VmRSS"].split()[0]) / 1024,
    )


def measure(database: Database, tenant_id: str, requests: int) -> tuple[float, float, float]:
    """The slowest of `requests` simultaneous billing summaries, in seconds, and the
    server's peak and final resident memory in MB."""
    with serve_in_subprocess(database, "--no-auth") as url:
        pid = _server_pid()

        def bill(_: int) -> float:
            started = time.perf_counter()
            ProvisioningClient(url, timeout=_PATIENT).billing_summary(tenant_id, "2026-05")
            return time.perf_counter() - started

        with ThreadPoolExecutor(requests) as pool:
            seconds = max(pool.map(bill, range(requests)))
        peak, final = _memory_mb(pid)
    return seconds, peak, final


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=4000)
    parser.add_argument("--concurrent", type=int, default=3)
    parser.add_argument("--postgres", help="a postgres:// URL to make a scratch schema in")
    args = parser.parse_args()
    engines: list[tuple[str, AbstractContextManager[Database]]] = [("sqlite", scratch_file())]
    if args.postgres:
        engines.append(("postgres", scratch_schema(args.postgres)))
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    header = ("database", "records", "requests", "seconds", "peak MB", "after MB")
    print("{:<9} {:>9} {:>8} {:>8} {:>8} {:>8}".format(*header), flush=True)
    for engine, scratch in engines:
        with scratch as database:
            tenant_id = populate(database, args.users)
            records = args.users * _DAYS * len(UsageType)
            for requests in (1, args.concurrent):
                seconds, peak, final = measure(database, tenant_id, requests)
                print(
                    f"{engine:<9} {records:>9,} {requests:>8} {seconds:>8.1f} {peak:>8.0f}"
                    f" {final:>8.0f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()

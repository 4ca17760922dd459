"""Rows per second of `python -m ccprovider load-usage` on a large usage file.

Not a test: it prints figures. It writes a CSV of `--rows` per-user records (one per
agent and day), creates the stack's tenant in a fresh embedded backend, then times the
command as a user runs it, twice: the first load stores every row, the second replaces
each (a load repeated never counts twice).

    .venv/bin/python bench/usage_load.py [--rows 112000]
"""

import argparse
import csv
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from ccprovider.backend.server import BackgroundServer
from ccprovider.cli import main
from ccprovider.client import ProvisioningClient
from ccprovider.contract import SubscriptionBody, TenantBody

_AGENTS = 4000
_STACK = """\
config:
  ccprovider:endpoint: ""
  ccprovider:backendFile: {db}
  ccprovider:tenant:
    name: acme-bench
    offer: flex3
    telephony: webex_calling
    subscriptions: []
"""


def write_usage(path: Path, rows: int) -> None:
    """`rows` records: one standard-agent unit per agent and day, from 2026-05-01 on."""
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["day", "usage_type", "quantity", "email"])
        for n in range(rows):
            day = date(2026, 5, 1) + timedelta(days=n // _AGENTS)
            out.writerow([day.isoformat(), "standard_agent", 1, f"agent{n % _AGENTS}@acme.example"])


def bench_subscription(external_id: str, agents: int) -> SubscriptionBody:
    """A named subscription of `agents` standard agents, from 2025-01-01 for 36 months."""
    return SubscriptionBody.model_validate(
        {
            "externalId": external_id,
            "department": "care",
            "licenseModel": "named",
            "offer": "flex3",
            "telephony": "webex_calling",
            "start": "2025-01-01",
            "termMonths": 36,
            "entitlements": {"standardAgents": agents},
        }
    )


def make_tenant(db: Path) -> None:
    server = BackgroundServer(db)
    client = ProvisioningClient(server.start())
    tenant = client.create_tenant(TenantBody(name="acme-bench", offer="flex3"))
    client.create_subscription(tenant.id, bench_subscription("SUB-1", _AGENTS))
    server.stop()


def main_bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=112_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        db, usage = root / "backend.sqlite3", root / "usage.csv"
        (root / "Pulumi.bench.yaml").write_text(_STACK.format(db=db))
        write_usage(usage, args.rows)
        make_tenant(db)
        print(f"{'load':<8} {'rows':>8} {'seconds':>8} {'rows/s':>8}")
        for load in ("first", "repeated"):
            started = time.perf_counter()
            code = main(["--stacks-dir", str(root), "load-usage", "--stack", "bench", str(usage)])
            seconds = time.perf_counter() - started
            if code != 0:
                raise SystemExit(f"load-usage failed with exit status {code}")
            print(f"{load:<8} {args.rows:>8} {seconds:>8.1f} {args.rows / seconds:>8.0f}")


if __name__ == "__main__":
    main_bench()

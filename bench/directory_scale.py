"""How licensing a whole directory by rule scales, against the engine's own floor.

Not a test: it prints a table. It declares a tenant with three subscriptions and three
license rules (one per division), loads a directory of N people into the embedded
backend (`ccprovider directory load`'s sync), and times with the real CLI: the preview
and the first `up` that license everyone, a re-run `up` that changes nothing, and the
preview and `up` of one rule switched to another subscription. Columns: wall time,
backend requests per person, and the floor: the same CLI on a program of as many no-op
dynamic resources as the stack holds, in the same run.

    PATH="$(scripts/bootstrap --print-pulumi-dir):$PATH" .venv/bin/python \\
        bench/directory_scale.py [--people 10000]
"""

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from engine_scale import MAIN_PROGRAM, PULUMI, Measure, Project, floor, subscription

from ccprovider.backend import DEFAULT_DB_PATH
from ccprovider.backend.server import BackgroundServer
from ccprovider.client import ProvisioningClient
from ccprovider.directory import DirectoryPerson
from ccprovider.directory_sync import sync_directory

DIVISIONS = ("EMEA", "AMER", "APAC")
SUBSCRIPTIONS = ("SUB-1", "SUB-2", "SUB-3", "SUB-4")
RESOURCES = 1 + 1 + len(SUBSCRIPTIONS) + 1 + len(DIVISIONS)
"""What the stack holds: state identity, tenant, subscriptions, the admin, one per rule."""


def declaration(people: int, emea_on: str = "SUB-1") -> dict[str, Any]:
    """The tenant: an admin, and a rule per division on its own subscription (EMEA's on
    `emea_on`)."""
    subscriptions = [subscription(sub, people) for sub in SUBSCRIPTIONS]
    on = dict(zip(DIVISIONS, [emea_on, "SUB-2", "SUB-3"], strict=True))
    return {
        "name": f"directory-{people}",
        "offer": "flex3",
        "telephony": "webex_calling",
        "subscriptions": subscriptions,
        "users": [{"email": "admin@bench.example", "role": "admin", "subscription": "SUB-1"}],
        "licenseRules": [
            {
                "name": division.lower(),
                "match": {"division": division},
                "role": "agent",
                "agentProfile": "standard",
                "subscription": on[division],
            }
            for division in DIVISIONS
        ],
    }


def directory(people: int) -> list[DirectoryPerson]:
    return [
        DirectoryPerson(
            email=f"person{n}@bench.example",
            department="Care",
            division=DIVISIONS[n % len(DIVISIONS)],
        )
        for n in range(people)
    ]


def load(project: Project, people: int) -> float:
    """Load the directory into the project's embedded backend; the seconds it took."""
    server = BackgroundServer(project.root / DEFAULT_DB_PATH)
    try:
        client = ProvisioningClient(server.start())
        [tenant] = client.list_tenants()
        started = time.perf_counter()
        result = sync_directory(client, tenant.id, directory(people))
        assert not result.failures, result.failures[:3]
        return time.perf_counter() - started
    finally:
        server.stop()


def declare(project: Project, people: int, **options: str) -> None:
    config = {"ccprovider:tenant": declaration(people, **options), "ccprovider:endpoint": ""}
    (project.root / "Pulumi.bench.yaml").write_text(yaml.safe_dump({"config": config}))


def _said(project: Project) -> list[str]:
    """What a `pulumi preview` of the project says of its rules and steps."""
    result = subprocess.run(  # noqa: S603 - the real CLI
        [PULUMI, "preview", "--non-interactive"],
        cwd=project.root,
        env=project.env,
        check=True,
        capture_output=True,
        text=True,
    )
    shown = ("license rule", "~ ", "Resources:", "changes", "unchanged")
    return [line.rstrip() for line in result.stdout.splitlines() if line.strip().startswith(shown)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    args = parser.parse_args()
    people: int = args.people
    print(f"machine: {os.cpu_count()} cores; pulumi: {PULUMI}; {people:,} people, 3 rules")
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        base = floor(scratch, RESOURCES)
        project = Project(scratch / "ours", MAIN_PROGRAM, {})
        declare(project, people)
        project.pulumi("up", "--yes", "--skip-preview")  # the tenant, before its people
        print(f"directory load: {load(project, people):.1f} s")
        rows: list[tuple[str, Measure, Measure]] = []
        rows.append(("preview", project.measure("preview"), base["preview"]))
        rows.append(("up", project.measure("up", "--yes", "--skip-preview"), base["up"]))
        rows.append(("re-up", project.measure("up", "--yes"), base["re-up"]))
        declare(project, people, emea_on="SUB-4")
        rows.append(("switch preview", project.measure("preview"), base["preview"]))
        print("the switch's preview says:", *_said(project), sep="\n  ")
        switched = project.measure("up", "--yes", "--skip-preview")
        rows.append(("switch up", switched, base["up"]))
    print(f"{'step':<15} {'seconds':>8} {'req/person':>11} {'floor s':>8} {'ratio':>6}")
    for step, m, f in rows:
        print(
            f"{step:<15} {m.seconds:>8.1f} {m.requests / people:>11.3f} {f.seconds:>8.1f} "
            f"{m.seconds / f.seconds:>6.2f}"
        )


if __name__ == "__main__":
    main()

"""How ccprovider scales with the tenant, measured against the engine's own floor.

Not a test: it prints a table. For each N it declares a tenant with N users (an admin and
agents over two subscriptions) and times, with the real CLI on a scratch project:
`pulumi preview` of the new stack, the first `pulumi up --skip-preview`, and a re-run
`pulumi up` that changes nothing; against the embedded backend and against the HTTP
server; with one resource per user (`single`) and with users in teams of `--team-size`
assigned in bulk (`teams`). In the same run it times the same commands on a program of N
no-op dynamic resources: the engine's floor. Columns: wall time, the peak resident memory
of the step's largest process (CLI, language host or provider), backend requests per
managed user, and our time divided by the floor's.

Then, for each N, with every user on one subscription, it raises that subscription's
entitlement and times `pulumi preview --json`, printing the steps it plans: one update.

    PATH="$(scripts/bootstrap --print-pulumi-dir):$PATH" .venv/bin/python bench/engine_scale.py \\
        [--users 100 1000 5000] [--backends embedded server] [--modes single teams] \\
        [--sections scale entitlement]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ccprovider.backend.subprocess_server import serve_in_subprocess

REPO = Path(__file__).resolve().parents[1]
FLOOR_PROGRAM = REPO / "bench" / "floor_program" / "__main__.py"
MAIN_PROGRAM = REPO / "__main__.py"
REQUEST_LOG_ENV = "CCPROVIDER_BACKEND_REQUEST_LOG"
STEPS = ("preview", "up", "re-up")
MODES = ("single", "teams")
SECTIONS = ("scale", "entitlement")
PULUMI = shutil.which("pulumi") or "pulumi"
PEAK_OF_CHILDREN = (
    "import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)"
)
"""Runs a command and prints the peak RSS (KiB) of its largest descendant, for one step."""


@dataclass
class Measure:
    seconds: float
    peak_mib: float
    requests: int


class Project:
    """A scratch project with one stack, run by the real CLI."""

    def __init__(
        self, root: Path, program: Path, config: dict[str, object], repo: Path = REPO
    ) -> None:
        """A project in `root` running `program` (with the Python files beside it, unless
        it is a repository's own program) in `repo`'s venv, on a stack with `config`."""
        self.root = root
        root.mkdir(parents=True)
        project = {
            "name": "bench",
            "runtime": {"name": "python", "options": {"virtualenv": ".venv"}},
        }
        (root / "Pulumi.yaml").write_text(yaml.safe_dump(project))
        (root / ".venv").symlink_to(repo / ".venv")
        own_program = program.name == "__main__.py" and program.parent == repo
        for source in [program] if own_program else program.parent.glob("*.py"):
            shutil.copy(source, root / source.name)
        (root / "state").mkdir()
        self.log = root / "requests.log"
        venv_bin = repo / ".venv" / "bin"
        self.env = {
            **os.environ,
            "PATH": f"{venv_bin}{os.pathsep}{os.environ['PATH']}",
            "PULUMI_BACKEND_URL": f"file://{root / 'state'}",
            "PULUMI_CONFIG_PASSPHRASE": "bench",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            REQUEST_LOG_ENV: str(self.log),
        }
        self.pulumi("stack", "init", "bench")
        (root / "Pulumi.bench.yaml").write_text(yaml.safe_dump({"config": config}))

    def pulumi(self, *args: str) -> int:
        """Run the real CLI; return the peak RSS (KiB) of its largest process."""
        result = subprocess.run(  # noqa: S603 - the real CLI
            [sys.executable, "-c", PEAK_OF_CHILDREN, PULUMI, *args, "--non-interactive"],
            cwd=self.root,
            env=self.env,
            check=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        return int(result.stdout.splitlines()[-1])

    def measure(self, *args: str) -> Measure:
        self.log.write_text("")
        started = time.perf_counter()
        peak_kib = self.pulumi(*args)
        seconds = time.perf_counter() - started
        requests = len(self.log.read_text().splitlines())
        return Measure(seconds, peak_kib / 1024, requests)

    def preview_json(self) -> dict[str, Any]:
        """`pulumi preview --json`, parsed."""
        result = subprocess.run(  # noqa: S603 - the real CLI
            [PULUMI, "preview", "--json", "--non-interactive"],
            cwd=self.root,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )
        parsed: dict[str, Any] = json.loads(result.stdout)
        return parsed

    def run_steps(self) -> dict[str, Measure]:
        return {
            "preview": self.measure("preview"),
            "up": self.measure("up", "--yes", "--skip-preview"),
            "re-up": self.measure("up", "--yes"),
        }


USERS_FILE = "users.yaml"


def subscription(sub_id: str, agents: int) -> dict[str, Any]:
    """A named subscription of `agents` standard agents, from 2025 for five years."""
    return {
        "id": sub_id,
        "department": "care",
        "licenseModel": "named",
        "start": "2025-01-01",
        "termMonths": 60,
        "entitlements": {"standardAgents": agents},
    }


def tenant(
    users: int, team_size: int | None, on: tuple[str, ...] = ("SUB-1", "SUB-2")
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """A tenant of `users` users, in teams of `team_size` (bulk) unless it is None, mapped
    in turn to the subscriptions `on`; and its users, which it reads from USERS_FILE as
    large tenants do."""
    subscriptions = [subscription(sub, users) for sub in ("SUB-1", "SUB-2")]
    declared = [
        {
            "email": f"user{i}@bench.example",
            "role": "agent",
            "agentProfile": "standard",
            "subscription": on[i % len(on)],
        }
        for i in range(users - 1)
    ]
    admin = {"email": "admin@bench.example", "role": "admin", "subscription": "SUB-1"}
    if team_size is not None:
        for index, declared_user in enumerate(declared):
            declared_user["team"] = f"team-{index // team_size}"
    declaration: dict[str, Any] = {
        "name": f"bench-{users}",
        "offer": "flex3",
        "telephony": "webex_calling",
        "subscriptions": subscriptions,
        "usersFile": USERS_FILE,
    }
    return declaration, [admin, *declared]


def ours(scratch: Path, users: int, backend: str, team_size: int | None) -> dict[str, Measure]:
    declaration, declared_users = tenant(users, team_size)
    config: dict[str, object] = {"ccprovider:tenant": declaration, "ccprovider:endpoint": ""}
    name = f"ours-{backend}-{users}-{team_size or 'single'}"
    project = Project(scratch / name, MAIN_PROGRAM, config)
    (project.root / USERS_FILE).write_text(yaml.safe_dump(declared_users))
    if backend == "embedded":
        return project.run_steps()
    log = {REQUEST_LOG_ENV: str(project.log)}
    with serve_in_subprocess(project.root / "server.db", "--no-auth", extra_env=log) as url:
        config["ccprovider:endpoint"] = url
        (project.root / "Pulumi.bench.yaml").write_text(yaml.safe_dump({"config": config}))
        return project.run_steps()


def entitlement_change(scratch: Path, users: int) -> tuple[float, list[str]]:
    """With every user on SUB-1, raise its entitlement: the seconds `pulumi preview --json`
    takes and the steps it plans (operation and resource name)."""
    declaration, declared_users = tenant(users, None, on=("SUB-1",))
    config: dict[str, object] = {"ccprovider:tenant": declaration, "ccprovider:endpoint": ""}
    project = Project(scratch / f"entitlement-{users}", MAIN_PROGRAM, config)
    (project.root / USERS_FILE).write_text(yaml.safe_dump(declared_users))
    project.pulumi("up", "--yes", "--skip-preview")
    declaration["subscriptions"][0]["entitlements"]["standardAgents"] += 1
    (project.root / "Pulumi.bench.yaml").write_text(yaml.safe_dump({"config": config}))
    started = time.perf_counter()
    preview = project.preview_json()
    seconds = time.perf_counter() - started
    planned = [
        f"{step['op']} {step['urn'].rpartition('::')[2]}"
        for step in preview.get("steps", [])
        if step["op"] not in ("same", "read")
    ]
    return seconds, planned


def floor(scratch: Path, users: int) -> dict[str, Measure]:
    project = Project(scratch / f"floor-{users}", FLOOR_PROGRAM, {"floor:count": str(users)})
    return project.run_steps()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--backends", nargs="+", default=["embedded", "server"])
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--team-size", type=int, default=100)
    parser.add_argument("--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; pulumi: {PULUMI}")
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        if "scale" in args.sections:
            scale(scratch, args.users, args.modes, args.backends, args.team_size)
        if "entitlement" in args.sections:
            print(f"{'N':>6} {'entitlement change on the one subscription':<44} {'seconds':>8}")
            for users in args.users:
                seconds, planned = entitlement_change(scratch, users)
                print(f"{users:>6} {'preview plans: ' + ', '.join(planned):<44} {seconds:>8.1f}")


def scale(
    scratch: Path, sizes: list[int], modes: list[str], backends: list[str], team_size: int
) -> None:
    """The table of steps, per size, mode and backend, against the engine's floor."""
    print(
        f"{'N':>6} {'mode':<7} {'backend':<9} {'step':<8} {'seconds':>8} {'peak MiB':>9} "
        f"{'req/user':>9} {'floor s':>8} {'ratio':>6}"
    )
    for users in sizes:
        base = floor(scratch, users)
        _print_rows(users, "floor", "-", base, base)
        for mode in modes:
            for backend in backends:
                measured = ours(scratch, users, backend, team_size if mode == "teams" else None)
                _print_rows(users, mode, backend, measured, base)
    print()


def _print_rows(
    users: int, mode: str, backend: str, measured: dict[str, Measure], base: dict[str, Measure]
) -> None:
    for step in STEPS:
        m, f = measured[step], base[step]
        print(
            f"{users:>6} {mode:<7} {backend:<9} {step:<8} {m.seconds:>8.1f} {m.peak_mib:>9.0f} "
            f"{m.requests / users:>9.2f} {f.seconds:>8.1f} {m.seconds / f.seconds:>6.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()

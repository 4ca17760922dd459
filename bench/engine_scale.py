"""How ccprovider scales with the tenant, measured against the engine's own floor.

Not a test: it prints a table. For each N it declares a tenant with N users (admins and
agents over two subscriptions) and times, with the real CLI on a scratch project:
`pulumi preview` of the new stack, the first `pulumi up --skip-preview`, and a re-run
`pulumi up` that changes nothing; against the embedded backend and against the HTTP
server. In the same run it times the same commands on a program of N no-op dynamic
resources: the engine's floor. Columns: wall time, the largest resident memory of any
process run so far (the CLI, language host, providers), backend requests per managed user,
and our time divided by the floor's.

    PATH="$(scripts/bootstrap --print-pulumi-dir):$PATH" \\
        .venv/bin/python bench/engine_scale.py [--users 100 1000 5000] [--backends embedded server]
"""

import argparse
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
FLOOR_PROGRAM = REPO / "bench" / "floor_program" / "__main__.py"
MAIN_PROGRAM = REPO / "__main__.py"
REQUEST_LOG_ENV = "CCPROVIDER_BACKEND_REQUEST_LOG"
STEPS = ("preview", "up", "re-up")
PULUMI = shutil.which("pulumi") or "pulumi"


@dataclass
class Measure:
    seconds: float
    peak_mib: float
    requests: int


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


class Project:
    """A scratch project with one stack, run by the real CLI."""

    def __init__(self, root: Path, program: Path, config: dict[str, object]) -> None:
        self.root = root
        root.mkdir(parents=True)
        project = {
            "name": "bench",
            "runtime": {"name": "python", "options": {"virtualenv": ".venv"}},
        }
        (root / "Pulumi.yaml").write_text(yaml.safe_dump(project))
        (root / ".venv").symlink_to(REPO / ".venv")
        for source in program.parent.glob("*.py") if program != MAIN_PROGRAM else [program]:
            shutil.copy(source, root / source.name)
        (root / "state").mkdir()
        self.log = root / "requests.log"
        venv_bin = REPO / ".venv" / "bin"
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

    def pulumi(self, *args: str) -> None:
        subprocess.run(  # noqa: S603 - the real CLI
            [PULUMI, *args, "--non-interactive"],
            cwd=self.root,
            env=self.env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def measure(self, *args: str) -> Measure:
        self.log.write_text("")
        started = time.perf_counter()
        self.pulumi(*args)
        seconds = time.perf_counter() - started
        requests = len(self.log.read_text().splitlines())
        return Measure(seconds, _peak_rss_mib(), requests)

    def run_steps(self) -> dict[str, Measure]:
        return {
            "preview": self.measure("preview"),
            "up": self.measure("up", "--yes", "--skip-preview"),
            "re-up": self.measure("up", "--yes"),
        }


def tenant(users: int) -> dict[str, object]:
    subscriptions = [
        {
            "id": sub,
            "department": "care",
            "licenseModel": "named",
            "start": "2025-01-01",
            "termMonths": 60,
            "entitlements": {"standardAgents": users},
        }
        for sub in ("SUB-1", "SUB-2")
    ]
    declared = [
        {
            "email": f"user{i}@bench.example",
            "role": "agent",
            "agentProfile": "standard",
            "subscription": "SUB-1" if i % 2 else "SUB-2",
        }
        for i in range(users - 1)
    ]
    admin = {"email": "admin@bench.example", "role": "admin", "subscription": "SUB-1"}
    return {
        "name": f"bench-{users}",
        "offer": "flex3",
        "telephony": "webex_calling",
        "subscriptions": subscriptions,
        "users": [admin, *declared],
    }


@contextmanager
def server(db: Path, log: Path) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, REQUEST_LOG_ENV: str(log)}
    command = [
        sys.executable,
        "-m",
        "ccprovider.backend",
        "serve",
        "--no-auth",
        "--port",
        str(port),
        "--db",
        str(db),
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)  # noqa: S603
    try:
        for _ in range(150):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def ours(scratch: Path, users: int, backend: str) -> dict[str, Measure]:
    config: dict[str, object] = {"ccprovider:tenant": tenant(users), "ccprovider:endpoint": ""}
    project = Project(scratch / f"ours-{backend}-{users}", MAIN_PROGRAM, config)
    if backend == "embedded":
        return project.run_steps()
    with server(scratch / f"server-{users}.db", project.log) as url:
        config["ccprovider:endpoint"] = url
        (project.root / "Pulumi.bench.yaml").write_text(yaml.safe_dump({"config": config}))
        return project.run_steps()


def floor(scratch: Path, users: int) -> dict[str, Measure]:
    project = Project(scratch / f"floor-{users}", FLOOR_PROGRAM, {"floor:count": str(users)})
    return project.run_steps()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--backends", nargs="+", default=["embedded", "server"])
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; pulumi: {PULUMI}")
    header = f"{'N':>6} {'backend':<9} {'step':<8} {'seconds':>8} {'max MiB':>9} "
    print(header + f"{'req/user':>9} {'floor s':>8} {'ratio':>6}")
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        for users in args.users:
            base = floor(scratch, users)
            for backend in args.backends:
                measured = ours(scratch, users, backend)
                for step in STEPS:
                    m, f = measured[step], base[step]
                    print(
                        f"{users:>6} {backend:<9} {step:<8} {m.seconds:>8.1f} {m.peak_mib:>9.0f} "
                        f"{m.requests / users:>9.2f} {f.seconds:>8.1f} "
                        f"{m.seconds / f.seconds:>6.2f}",
                        flush=True,
                    )


if __name__ == "__main__":
    main()

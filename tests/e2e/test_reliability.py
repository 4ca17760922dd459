"""Invariants under load, faults and interruption, and the token's secrecy, on the real engine."""

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ccprovider.backend import DEFAULT_DB_PATH
from ccprovider.backend.server import BackgroundServer
from ccprovider.backend.subprocess_server import serve_in_subprocess
from ccprovider.client import ProvisioningClient
from tests.e2e.declarations import tenant, user
from tests.e2e.harness import Apply, PulumiProject, ccprovider, changed_steps, readme_server
from tests.readme import commands

DIRECT_PROGRAM = Path(__file__).parent / "direct_program" / "__main__.py"
RACES = 20


@pytest.fixture(scope="module")
def racing_project(
    pulumi_cli: str, pulumi_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> PulumiProject:
    directory = tmp_path_factory.mktemp("race") / "project"
    return PulumiProject.create(directory, pulumi_home, stack="race-0", program=DIRECT_PROGRAM)


@pytest.mark.parametrize("run", range(RACES))
def test_racing_subscriptions_never_leave_a_tenant_mixed(
    racing_project: PulumiProject, run: int
) -> None:
    """Eight subscriptions of a new tenant race, with --parallel 32, to set different
    telephony options (even runs) or license models (odd runs): one outcome wins."""
    field = "telephony" if run % 2 == 0 else "license_model"
    stack = racing_project if run == 0 else racing_project.init_stack(f"race-{run}")
    stack.run("config", "set", "direct:tenant", f"race-{run}")
    stack.run("config", "set", "direct:race", field)

    up = stack.run("up", "--yes", "--parallel", "32", check=False)

    with racing_project.backend() as backend:
        live = backend.find_tenant(f"race-{run}")
        assert live is not None
        subscriptions = list(backend.list_subscriptions(live.id))
    values = {getattr(s, field).value for s in subscriptions}
    assert len(values) == 1, f"the tenant is mixed: {values}"
    assert 1 <= len(subscriptions) <= 4, "the other option's four racers must all lose"
    [winner] = values
    assert getattr(live, field).value == winner
    # The engine stops starting operations after the first error: the losers it did start
    # failed with a clear reason, and the rest never reached the backend.
    assert up.returncode != 0
    reason = "a tenant has one telephony option" if field == "telephony" else "cannot be mixed"
    assert reason in up.stdout


def big_tenant(users: int) -> dict[str, object]:
    return tenant(
        users=[user("admin1@acme.example", "SUB-1", "admin")]
        + [user(f"agent{i}@acme.example", "SUB-1") for i in range(users - 1)]
    )


def assert_exactly_declared(db: Path, users: int) -> None:
    """The backend holds exactly the declared tenant: SUB-1 and no other subscription, and
    exactly big_tenant's users by e-mail, each holding one license, of SUB-1."""
    server = BackgroundServer(db)
    client = ProvisioningClient(server.start())
    try:
        [live] = list(client.list_tenants())
        [sub1] = list(client.list_subscriptions(live.id))
        held = {u.email: u for u in client.list_users(live.id)}
        declared = tenant_users(big_tenant(users))
        assert sub1.external_id == "SUB-1"
        assert sorted(held) == sorted(declared)
        assert {e: u.subscription_id for e, u in held.items()} == dict.fromkeys(held, sub1.id)
        assert all(len(u.licenses) == 1 for u in held.values())
    finally:
        server.stop()


def tenant_users(declared: dict[str, object]) -> list[str]:
    users = declared["users"]
    assert isinstance(users, list)
    return [str(u["email"]) for u in users]


def test_up_converges_under_a_20_percent_fault_rate_without_duplicates(
    project: PulumiProject, tmp_path: Path
) -> None:
    db = tmp_path / "faulty.sqlite3"
    with serve_in_subprocess(db, "--no-auth", "--faults", "0.2", "--fault-seed", "3") as url:
        project.run("config", "set", "ccprovider:endpoint", url)
        project.declare(big_tenant(200))
        up = project.run("up", "--yes", check=False)
        if up.returncode != 0:  # the odd call out of retries: a second up converges
            project.run("up", "--yes")
        project.run("preview", "--expect-no-changes")
    assert_exactly_declared(db, 200)


@pytest.mark.parametrize("recovery", ["up", "destroy"])
@pytest.mark.parametrize("killed_after", [5, 60])
def test_an_up_killed_part_way_recovers_by_up_or_destroy(
    project: PulumiProject, killed_after: int, recovery: str
) -> None:
    project.declare(big_tenant(120))
    db = project.directory / DEFAULT_DB_PATH
    left = _kill_part_way(project, "up", lambda: _wait_for_users(db, at_least=killed_after))
    # The providers and the program notice the engine is gone, and their embedded backends
    # stop serving. (Pulumi's own Go language host may linger; it holds no tenant data.)
    assert [command for command in left.values() if _GO_LANGUAGE_HOST not in command] == []

    project.run("cancel", "--yes")  # the killed run's lock on the stack
    project.run("refresh", "--yes", "--clear-pending-creates")

    if recovery == "up":
        project.run("up", "--yes")
        project.run("preview", "--expect-no-changes")
        assert_exactly_declared(db, 120)
        return
    # Users the killed run licensed but never recorded go with the stack's subscriptions.
    project.run("destroy", "--yes")
    with project.backend() as backend:
        assert list(backend.list_tenants()) == []


_GO_LANGUAGE_HOST = "/pulumi-language-python "


def _kill_part_way(
    project: PulumiProject, command: str, until: Callable[[], None]
) -> dict[int, str]:
    """Run `pulumi COMMAND --yes` on the project's stack and SIGKILL its process group once
    `until` returns, as a runner's timeout would. Return what it left running besides
    Pulumi's language host (once that is all, or after 30 s), having ended that too."""
    process = subprocess.Popen(
        ["pulumi", command, "--yes", "--non-interactive", "--stack", project.stack],
        cwd=project.directory,
        env=project.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        until()
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    left = _processes_left_in(project.directory, within_seconds=30)
    _kill(left)
    return left


def test_a_destroy_killed_part_way_is_shown_and_repaired_by_a_plain_up(applied: Apply) -> None:
    """The stack's state still holds the users a killed destroy released: a plain preview
    (the project refreshes on every command) shows each of them, and `up` licenses them
    again, marked as their resources'."""
    project = applied(big_tenant(60))
    db = project.directory / DEFAULT_DB_PATH
    _kill_part_way(project, "destroy", lambda: _wait_for_users(db, at_least=15, released=True))
    project.run("cancel", "--yes")  # the killed run's lock on the stack
    with project.backend() as backend:
        [live] = backend.list_tenants()
        released = sorted(u.email for u in backend.list_users(live.id) if not u.licenses)

    planned = changed_steps(project.preview_json())
    project.run("up", "--yes")

    # Each released user is updated, or created again where the destroy had recorded its
    # delete before the kill; nothing else changes.
    assert len(released) >= 15
    assert {op for op, _ in planned} <= {"create", "update"}
    assert sorted(key for _, key in planned) == released
    project.run("preview", "--expect-no-changes")
    assert_exactly_declared(db, 60)
    owner = project.owner()
    with project.backend() as backend:
        marks = {u.email: u.external_id for u in backend.list_users(live.id)}
    assert marks == {email: f"{owner}#user:{email}" for email in marks}


def _processes_left_in(directory: Path, within_seconds: float) -> dict[int, str]:
    """The live processes whose working directory is `directory`, by pid with their command
    lines, once none but Pulumi's language host is left or `within_seconds` have passed (a
    bound on the wait, not a target)."""
    deadline = time.monotonic() + within_seconds
    while True:
        left = {}
        for proc in Path("/proc").iterdir():
            try:
                if not proc.name.isdigit() or (proc / "cwd").resolve() != directory.resolve():
                    continue
                if (proc / "stat").read_text().rpartition(")")[2].split()[0] == "Z":
                    continue  # exited, not yet reaped
                left[int(proc.name)] = (proc / "cmdline").read_text().replace("\0", " ")
            except OSError:
                continue
        if all(_GO_LANGUAGE_HOST in c for c in left.values()) or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


def _kill(processes: dict[int, str]) -> None:
    for pid in processes:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _wait_for_users(db: Path, at_least: int, *, released: bool = False) -> None:
    """Until the backend holds `at_least` users (`released`: without a license)."""
    query = "SELECT count(*) FROM objects WHERE kind = 'user'"
    if released:
        query += " AND json_array_length(body, '$.licenses') = 0"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with sqlite3.connect(db, timeout=30) as connection:
                row = connection.execute(query).fetchone()
            if row[0] >= at_least:
                return
        except sqlite3.OperationalError:
            pass  # the backend has not created its database yet
        time.sleep(0.05)
    raise AssertionError(f"fewer than {at_least} {'released ' if released else ''}users")


TOKEN = "s3cr3t-ccprovider-token-4711"


def test_the_token_never_appears_in_plaintext(project: PulumiProject, tmp_path: Path) -> None:
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps({TOKEN: "customer_admin"}))
    db = tmp_path / "secure.sqlite3"
    trace = tmp_path / "up.trace"
    with serve_in_subprocess(db, "--tokens", str(tokens)) as url:
        project.run("config", "set", "ccprovider:endpoint", url)
        project.run("config", "set", "--secret", "ccprovider:token", TOKEN)
        project.declare(tenant())
        traced = project.run("up", "--yes", "--diff", f"--tracing=file:{trace}", via_script=True)
        outputs = [traced.stdout, traced.stderr]
        outputs.append(project.run("stack", "export").stdout)
        logged = project.run("preview", "--diff", "-v=9", "--logtostderr", "--logflow")
        outputs += [logged.stdout, logged.stderr]
        project.run("config", "set", "--secret", "ccprovider:token", "wrong-token")
        project.declare(tenant(hybrid=True))
        failed = project.run("up", "--yes", check=False)

    assert failed.returncode != 0
    assert "A valid bearer token is required" in failed.stdout
    outputs += [failed.stdout, failed.stderr]
    home = Path(project.env["PULUMI_HOME"])
    files = [
        f
        for d in (project.directory, home)
        for f in d.rglob("*")
        if f.is_file() and ".venv" not in f.parts
    ]
    files += [trace, db]  # the trace of the update, and the backend's database
    found = [str(f) for f in files if TOKEN.encode() in f.read_bytes()]
    found += [f"output {i}" for i, text in enumerate(outputs) if TOKEN in text]
    assert found == []
    assert any("ccprovider:token" in text for text in outputs), "the outputs were searched"


def test_commands_reach_the_backend_with_the_stacks_secret_token(
    pulumi_cli: str, pulumi_home: Path, tmp_path: Path
) -> None:
    """The README's server and its commands that point stack dev at it, with its token."""
    project = PulumiProject.create(tmp_path / "project", pulumi_home, stack="dev")
    with readme_server(tmp_path) as (url, token):
        for setting in commands("backend-server", {"http://127.0.0.1:8080": url})[2:]:
            project.run_readme(setting)
        project.declare(tenant())
        project.run("up", "--yes")

        command = ("report", "--stack", project.stack, "--period", "2026-05")
        report = ccprovider(project, *command, CCPROVIDER_TOKEN="")
        locked = ccprovider(
            project,
            *command,
            check=False,
            CCPROVIDER_TOKEN="",
            PULUMI_CONFIG_PASSPHRASE="not-the-passphrase",
        )

    assert "primary subscription: SUB-1" in report.stdout
    assert token not in report.stdout + report.stderr
    assert locked.returncode == 2
    assert locked.stderr.splitlines() == [
        f"error: cannot decrypt ccprovider:token of stack {project.stack}: incorrect "
        f"passphrase. Fix: set PULUMI_CONFIG_PASSPHRASE to stack {project.stack}'s passphrase, "
        "or set CCPROVIDER_TOKEN"
    ]

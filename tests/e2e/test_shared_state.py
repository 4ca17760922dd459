"""A team on one shared state: two clones (two engineers) keep their stack's state in one
PostgreSQL database, with the real CLI's `postgres://` state backend and its locking, and
their tenant in one backend server on PostgreSQL."""

import json
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from ccprovider.backend.subprocess_server import serve_in_subprocess
from ccprovider.client import ProvisioningClient
from tests.databases import POSTGRES_DIR_ENV, cluster_dir, fresh_database, fresh_schema, run_sql
from tests.e2e.declarations import tenant
from tests.e2e.harness import (
    TENANT_TYPE,
    PulumiProject,
    changed_steps,
    resource_summary,
    run_block,
)
from tests.readme import is_excerpt, snippet

LOCKED = snippet("stack-locked")
"""What the CLI answers an update of a stack that another update holds, as the README
shows it."""


@dataclass
class Team:
    """Two engineers' clones of one project on one shared state and one backend."""

    alice: PulumiProject
    bob: PulumiProject
    state_url: str
    backend_url: str


@pytest.fixture
def team(pulumi_cli: str, tmp_path: Path) -> Iterator[Team]:
    """Alice creates the stack and declares the tenant; Bob's clone gets her committed
    stack file (its encryption salt and declaration) as a `git pull` would."""
    # Each answer waits 150 ms, so that an update holds the stack's lock for seconds.
    with (
        fresh_database() as state_url,
        fresh_schema() as backend_db,
        serve_in_subprocess(backend_db, "--no-auth", "--latency-ms", "150") as backend_url,
    ):
        alice = PulumiProject.create(
            tmp_path / "alice", tmp_path / "alice-home", state_url=state_url
        )
        alice.run("config", "set", "ccprovider:endpoint", backend_url)
        alice.declare(tenant())
        bob = PulumiProject.create(
            tmp_path / "bob", tmp_path / "bob-home", state_url=state_url, new_stack=False
        )
        shutil.copy(alice.config_file, bob.config_file)
        yield Team(alice, bob, state_url, backend_url)


def test_one_engineer_applies_and_the_others_preview_sees_no_changes(team: Team) -> None:
    planned, taken = team.alice.preview_then_up()
    seen_by_bob = team.bob.preview_json()

    assert planned == taken
    assert ("create", "tenant") in taken
    assert changed_steps(seen_by_bob) == []
    assert team.bob.outputs() == team.alice.outputs()
    [stored] = ProvisioningClient(team.backend_url).list_tenants()
    assert stored.name == "acme-e2e"


def test_a_second_up_of_a_locked_stack_is_refused_and_the_state_stays_whole(team: Team) -> None:
    first = subprocess.Popen(
        ["pulumi", "up", "--yes", "--non-interactive", "--stack", team.alice.stack],
        cwd=team.alice.directory,
        env=team.alice.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _await_lock(team.state_url)
        # Alice's CLI is paused while it holds the lock, so Bob's up surely meets it.
        first.send_signal(signal.SIGSTOP)
        try:
            second = team.bob.run("up", "--yes", check=False)
            locks_while_held = _locks(team.state_url)
        finally:
            first.send_signal(signal.SIGCONT)
        first_output, _ = first.communicate(timeout=300)
    finally:
        first.kill()

    assert first.returncode == 0, first_output
    assert second.returncode != 0
    assert is_excerpt(LOCKED, second.stdout + second.stderr), second.stdout + second.stderr
    assert len(locks_while_held) == 1  # Alice's; Bob's refused up left none
    assert _locks(team.state_url) == []  # the first update let go of its lock
    for engineer in (team.alice, team.bob):  # the state holds the whole update, once
        assert changed_steps(engineer.preview_json()) == []
    tenants = [r["outputs"]["name"] for r in team.bob.state_resources(TENANT_TYPE)]
    assert tenants == ["acme-e2e"]
    retried = team.bob.run("up", "--yes")  # Bob's retry, once the stack is free
    [summary] = resource_summary(retried.stdout)
    assert summary.endswith("unchanged"), retried.stdout


def test_a_stack_moves_from_the_file_state_to_postgres_and_back_as_the_readme_says(
    clone: Path, pulumi_home: Path
) -> None:
    """The README's move of stack dev from a clone's file state to PostgreSQL, as written,
    then back the same way: the stack keeps its resources and its secrets (which open with
    the same passphrase), a preview on the new state changes nothing, and the old state no
    longer holds the stack."""
    project = PulumiProject.as_scripts_run(clone, pulumi_home, "dev")
    project.run("stack", "init", "dev")
    project.run("config", "set", "--secret", "ccprovider:token", "moved-token")
    project.declare(tenant())
    project.up()
    file_state = project.env["PULUMI_BACKEND_URL"]
    with fresh_database() as state_url:
        database = urlsplit(state_url).path.lstrip("/")
        moved = snippet("moving-a-stack", {"url state": f"url {database}"})
        run_block(moved, clone, {**project.shell_env(), POSTGRES_DIR_ENV: cluster_dir()})
        left_behind = _stacks(project, file_state)
        project.env["PULUMI_BACKEND_URL"] = state_url
        on_postgres = moved_stack(project)
        _move(project, file_state, clone / "back-state.json")
        back = moved_stack(project)
        left = {url: _stacks(project, url) for url in (file_state, state_url)}

    assert left_behind == []
    assert on_postgres == back == (1, "moved-token")
    assert left == {file_state: [project.stack], state_url: []}


def moved_stack(project: PulumiProject) -> tuple[int, str]:
    """A moved stack's tenants in its state and its secret token; its preview must change
    nothing."""
    assert changed_steps(project.preview_json()) == []
    token = project.run("config", "get", "ccprovider:token").stdout.strip()
    return len(project.state_resources(TENANT_TYPE)), token


def test_deploying_an_existing_stack_anew_on_shared_state_is_refused_naming_the_move(
    pulumi_cli: str, tmp_path: Path
) -> None:
    """The README's shared-state block run on a clone whose stack is already deployed in
    its file state: the new state of the stack is refused at preview, with the way to
    move it, and nothing reaches the backend."""
    project = PulumiProject.create(tmp_path / "project", tmp_path / "home")
    project.declare(tenant())
    project.up()
    with project.backend() as backend:
        [before] = backend.list_tenants()

    with fresh_database() as state_url:
        project.env["PULUMI_BACKEND_URL"] = state_url
        project.run("stack", "init", project.stack)
        refused = project.run("preview", check=False)

    assert refused.returncode != 0
    assert (
        "Tenant 'acme-e2e' is managed by another state of stack ccprovider/e2e. Fix: import "
        "that stack's state (README: moving a stack)"
    ) in refused.stdout
    with project.backend() as backend:
        assert list(backend.list_tenants()) == [before]


def _move(project: PulumiProject, target: str, exported: Path) -> None:
    """Move the project's stack to the state at `target`, as the README's block does."""
    project.run("stack", "export", "--file", str(exported))
    source = project.env["PULUMI_BACKEND_URL"]
    project.env["PULUMI_BACKEND_URL"] = target
    project.run("stack", "init", project.stack)
    project.run("stack", "import", "--file", str(exported))
    project.run("preview")  # reads the moved state before the old one goes
    project.env["PULUMI_BACKEND_URL"] = source
    project.run("stack", "rm", "--yes", "--force", "--preserve-config")
    project.env["PULUMI_BACKEND_URL"] = target


def _stacks(project: PulumiProject, state_url: str) -> list[str]:
    """The names of the stacks in the state at `state_url`."""
    listed = subprocess.run(
        ["pulumi", "stack", "ls", "--json"],
        cwd=project.directory,
        env={**project.env, "PULUMI_BACKEND_URL": state_url},
        capture_output=True,
        text=True,
        check=True,
    )
    return [stack["name"] for stack in json.loads(listed.stdout)]


def _locks(state_url: str) -> list[str]:
    """The update locks in a PostgreSQL state (the CLI keeps them as rows, like files)."""
    rows = run_sql(state_url, "SELECT key FROM pulumi_state WHERE key LIKE '%.pulumi/locks/%'")
    return [str(key) for (key,) in rows]


def _await_lock(state_url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not _locks(state_url):
        if time.monotonic() > deadline:
            raise AssertionError("the first update never took the stack's lock")
        time.sleep(0.05)

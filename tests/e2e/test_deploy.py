"""`scripts/deploy`, the production workflow: it applies only what was reviewed. It asks on a
terminal, refuses without `--yes` elsewhere, and applies a saved plan or nothing."""

import os
import pty
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ccprovider.backend import DEFAULT_DB_PATH
from ccprovider.backend.server import BackgroundServer
from ccprovider.client import ProvisioningClient
from tests.databases import fresh_database, run_sql
from tests.e2e.harness import REPO


@pytest.fixture
def clone(pulumi_cli: str, tmp_path: Path) -> Path:
    """A user's clone: the project's tracked files, sharing this clone's venv."""
    del pulumi_cli
    root = tmp_path / "clone"
    tracked = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z"], capture_output=True, text=True, check=True
    ).stdout.split("\0")
    for name in filter(None, tracked):
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    (root / ".venv").symlink_to(REPO / ".venv")
    return root


def _command(clone: Path, args: tuple[str, ...]) -> tuple[list[str], dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
    return [str(clone / "scripts" / "deploy"), *args], env


def deploy(clone: Path, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    """Run `scripts/deploy ARGS` without a terminal, as CI or a pipe does, with `extra_env`
    added to its environment."""
    command, env = _command(clone, args)
    env.update(extra_env)
    return subprocess.run(
        command,
        cwd=clone,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )


def deploy_on_a_terminal(clone: Path, answer: str, *args: str) -> tuple[int, str]:
    """Run `scripts/deploy ARGS` on a terminal of its own, typing `answer` at its question;
    return its exit code and what it showed."""
    command, env = _command(clone, args)
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        command, cwd=clone, env=env, stdin=follower, stdout=follower, stderr=follower
    )
    os.close(follower)
    shown, answered = b"", False
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the command ended
            break
        if not chunk:
            break
        shown += chunk
        if not answered and b"[y/N]" in shown:
            os.write(leader, answer.encode() + b"\n")
            answered = True
    os.close(leader)
    return process.wait(timeout=60), shown.decode(errors="replace")


@contextmanager
def backend(clone: Path) -> Iterator[ProvisioningClient]:
    server = BackgroundServer(clone / DEFAULT_DB_PATH)
    try:
        yield ProvisioningClient(server.start())
    finally:
        server.stop()


def tenants(clone: Path) -> list[str]:
    if not (clone / DEFAULT_DB_PATH).exists():
        return []
    with backend(clone) as client:
        return [t.name for t in client.list_tenants()]


def test_without_a_terminal_nothing_is_applied_unless_yes(clone: Path) -> None:
    refused = deploy(clone, "dev")

    assert refused.returncode == 2
    assert "not on a terminal: nothing applied" in refused.stderr
    assert "rerun with --yes" in refused.stderr
    assert tenants(clone) == []
    applied = deploy(clone, "dev", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert tenants(clone) == ["acme-dev"]


def test_the_state_goes_where_pulumi_backend_url_says_postgres_included(clone: Path) -> None:
    with fresh_database() as state_url:
        applied = deploy(clone, "dev", "--yes", PULUMI_BACKEND_URL=state_url)
        stacks = run_sql(state_url, "SELECT key FROM pulumi_state WHERE key LIKE '%/stacks/%'")

    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert [key for (key,) in stacks if str(key).endswith("/stacks/ccprovider/dev.json")]
    assert not (clone / ".pulumi-state").exists()  # nothing in the clone's file state
    assert tenants(clone) == ["acme-dev"]


def test_on_a_terminal_it_asks_and_a_no_applies_nothing(clone: Path) -> None:
    code, shown = deploy_on_a_terminal(clone, "n", "dev")

    assert "Apply this preview to stack dev? [y/N]" in shown
    assert "Nothing applied." in shown
    assert code == 1
    assert tenants(clone) == []


def test_a_saved_plan_is_applied_exactly_or_not_at_all(clone: Path) -> None:
    plan = clone / "reviewed-plan.json"
    saved = deploy(clone, "dev", "--save-plan", str(plan))
    assert saved.returncode == 0, saved.stdout + saved.stderr
    assert tenants(clone) == []
    # How to apply it is this script's advice, not the engine's `pulumi up --plan`.
    assert f"scripts/deploy dev --plan {plan}" in saved.stdout
    assert "pulumi up --plan" not in saved.stdout + saved.stderr
    config = clone / "stacks" / "Pulumi.dev.yaml"
    config.write_text(config.read_text().replace("name: acme-dev", "name: acme-unreviewed"))

    refused = deploy(clone, "dev", "--plan", str(plan), "--yes")

    assert refused.returncode == 2
    assert refused.stderr.splitlines()[-1] == (
        f"error: {plan} was saved for another declaration of stack dev (ccprovider:tenant "
        "changed since: name: acme-dev -> acme-unreviewed); nothing applied. Fix: preview "
        f"again with `scripts/deploy dev --save-plan {plan}`, review it, then apply that "
        f"plan with `scripts/deploy dev --plan {plan}`."
    )
    assert "Updating (dev)" not in refused.stdout  # refused before the engine starts
    assert tenants(clone) == []
    config.write_text(config.read_text().replace("name: acme-unreviewed", "name: acme-dev"))
    applied = deploy(clone, "dev", "--plan", str(plan), "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert tenants(clone) == ["acme-dev"]

"""`scripts/deploy`, the production workflow: it applies only what was reviewed. It asks on a
terminal, refuses without `--yes` elsewhere, and applies a saved plan or nothing."""

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from ccprovider.backend import DEFAULT_DB_PATH
from ccprovider.backend.server import BackgroundServer
from ccprovider.client import ProvisioningClient
from tests.databases import POSTGRES_DIR_ENV, cluster_dir, fresh_database, run_sql
from tests.e2e.harness import on_a_terminal, run_block, without_a_terminal
from tests.readme import commands, snippet


def _user_env() -> dict[str, str]:
    """The environment of a user who set no Pulumi variable."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}


def _command(clone: Path, args: tuple[str, ...]) -> tuple[list[str], dict[str, str]]:
    return [str(clone / "scripts" / "deploy"), *args], _user_env()


def deploy_args(command: list[str]) -> list[str]:
    """The arguments of a README command `scripts/deploy ARGS`."""
    program, *args = command
    assert program == "scripts/deploy", command
    return args


def deploy(clone: Path, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    """Run `scripts/deploy ARGS` without a terminal, as CI or a pipe does, with `extra_env`
    added to its environment."""
    command, env = _command(clone, args)
    return without_a_terminal(command, clone, {**env, **extra_env}, check=False)


def deploy_on_a_terminal(clone: Path, answer: str, *args: str) -> tuple[int, str]:
    """Run `scripts/deploy ARGS` on a terminal of its own, typing `answer` at its question;
    return its exit code and what it showed."""
    command, env = _command(clone, args)
    return on_a_terminal(command, clone, env, answer)


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
    [the_main_job, _] = commands("the-two-commands")
    refused = deploy(clone, "dev")

    assert refused.returncode == 2
    assert "not on a terminal: nothing applied" in refused.stderr
    assert "rerun with --yes" in refused.stderr
    assert tenants(clone) == []
    applied = deploy(clone, *deploy_args(the_main_job))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert tenants(clone) == ["acme-dev"]


def test_the_state_goes_where_pulumi_backend_url_says_postgres_included(clone: Path) -> None:
    """The README's shared-state block, its `state` database one of the test's own."""
    with fresh_database() as state_url:
        database = urlsplit(state_url).path.lstrip("/")
        script = snippet("shared-state", {"url state": f"url {database}"})
        env = {**_user_env(), POSTGRES_DIR_ENV: cluster_dir()}
        applied = run_block(script, clone, env, check=False)
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
    """The README's reviewed change of prod: the plan saved, refused once the declaration
    changed, then applied on a terminal once it is back as reviewed."""
    save, apply = (deploy_args(command) for command in commands("reviewed-plan"))
    plan = clone / save[-1]  # relative to where the commands run
    saved = deploy(clone, *save)
    assert saved.returncode == 0, saved.stdout + saved.stderr
    assert tenants(clone) == []
    # How to apply it is this script's advice, not the engine's `pulumi up --plan`.
    assert f"scripts/deploy prod --plan {plan}" in saved.stdout
    assert "pulumi up --plan" not in saved.stdout + saved.stderr
    config = clone / "stacks" / "Pulumi.prod.yaml"
    config.write_text(config.read_text().replace("name: acme-prod", "name: acme-unreviewed"))

    refused = deploy(clone, *apply)

    assert refused.returncode == 2
    assert refused.stderr.splitlines()[-1] == (
        f"error: {plan} was saved for another declaration of stack prod (ccprovider:tenant "
        "changed since: name: acme-prod -> acme-unreviewed); nothing applied. Fix: preview "
        f"again with `scripts/deploy prod --save-plan {plan}`, review it, then apply that "
        f"plan with `scripts/deploy prod --plan {plan}`."
    )
    assert "Updating (prod)" not in refused.stdout  # refused before the engine starts
    assert tenants(clone) == []
    config.write_text(config.read_text().replace("name: acme-unreviewed", "name: acme-prod"))
    code, shown = deploy_on_a_terminal(clone, "y", *apply)
    assert code == 0, shown
    assert tenants(clone) == ["acme-prod"]

"""A backend failure reaches the user as one line naming the resource, the HTTP status, the
vendor's message, its trackingId and the fix; never as a Python traceback."""

import json
import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ccprovider.backend.subprocess_server import serve_in_subprocess
from ccprovider.client import ProvisioningClient
from ccprovider.contract import TenantBody
from tests.e2e.declarations import tenant
from tests.e2e.harness import TENANT_TYPE, PulumiProject

ENGINE_LINES = (
    "error: update failed",
    "error: preview failed",
    "error: an unhandled error occurred: program exited",
)
"""The engine's own summary lines after a failure, which name no cause."""
TOKENS = {"admin-token": "customer_admin", "reader-token": {"role": "partner", "org": "p-r"}}


def failed_up(project: PulumiProject, endpoint: str, token: str | None = None) -> str:
    project.run("config", "set", "ccprovider:endpoint", endpoint)
    if token is not None:
        project.run("config", "set", "--secret", "ccprovider:token", token)
    project.declare(tenant())
    result = project.run("up", "--yes", check=False)
    assert result.returncode != 0, result.stdout
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    return output


@pytest.fixture
def tokens_file(tmp_path: Path) -> Path:
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps(TOKENS))
    return path


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        # The program reads the provisioning clock first; an unknown token stops it there.
        ("wrong-token", "GET /v1/simulator/tenants with 401: "),
        ("reader-token", "POST /v1/simulator/tenants with 403: "),
    ],
    ids=["401", "403"],
)
def test_a_refused_token_names_the_config_key_to_fix(
    project: PulumiProject, tmp_path: Path, tokens_file: Path, token: str, expected: str
) -> None:
    with serve_in_subprocess(tmp_path / "b.sqlite3", "--tokens", str(tokens_file)) as url:
        output = failed_up(project, url, token)

    assert f"Tenant 'acme-e2e': {url} answered {expected}" in output
    assert "trackingId " in output
    assert "ccprovider:token" in output


def test_a_conflict_says_what_to_do(project: PulumiProject, tmp_path: Path) -> None:
    with serve_in_subprocess(tmp_path / "b.sqlite3", "--no-auth") as url:
        ProvisioningClient(url).create_tenant(TenantBody(name="acme-e2e", offer="flex3"))
        output = failed_up(project, url)

    assert f"Tenant 'acme-e2e' already exists in {url}" in output
    assert "Set `adopt: true`" in output


def test_a_backend_that_keeps_failing_is_named_after_the_retries(
    project: PulumiProject, tmp_path: Path
) -> None:
    faults = ("--no-auth", "--faults", "1", "--fault-seed", "3")
    with serve_in_subprocess(tmp_path / "b.sqlite3", *faults) as url:
        output = failed_up(project, url)

    # The faults are 5xx, 429 and answers cut off: whichever the last retry met, one line.
    [line] = [ln for ln in output.splitlines() if "error: Tenant 'acme-e2e': " in ln][:1]
    assert (
        f"the backend at {url}" in line or f"{url} answered GET /v1/simulator/tenants with" in line
    )
    assert "Fix: " in line


def test_an_unreachable_backend_names_the_url_and_the_tries(project: PulumiProject) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    output = failed_up(project, url)

    assert f"Tenant 'acme-e2e': the backend at {url} cannot be reached (9 tries)" in output
    assert "Fix: check ccprovider:endpoint" in output


def test_a_backend_that_went_down_fails_each_command_in_one_line_per_resource(
    project: PulumiProject, tmp_path: Path
) -> None:
    with serve_in_subprocess(tmp_path / "b.sqlite3", "--no-auth") as url:
        project.run("config", "set", "ccprovider:endpoint", url)
        declared = tenant()
        project.declare(declared)
        project.up()
    declared["users"][1]["agentProfile"] = "premium"  # one changed user
    project.declare(declared)

    # Each command on a copy of the stack of its own, side by side: each waits out the
    # client's retries, and none needs another's outcome.
    commands = {
        "up": ("up", "--yes"),
        "refresh": ("refresh", "--yes"),
        "destroy": ("destroy", "--yes"),
    }
    copies = {command: project.copy(tmp_path / command) for command in commands}
    with ThreadPoolExecutor(len(commands)) as runs:
        started = {
            command: runs.submit(copies[command].run, *args, check=False)
            for command, args in commands.items()
        }
        failures = {command: run.result() for command, run in started.items()}

    unreachable = f"the backend at {url} cannot be reached (9 tries)"
    for command, result in failures.items():
        output = result.stdout + result.stderr
        assert result.returncode != 0, command
        assert "Traceback" not in output, command
        errors = {
            line.strip()
            for line in output.splitlines()
            if line.strip().startswith("error:") and not line.strip().startswith(ENGINE_LINES)
        }
        assert errors, command
        for line in errors:  # each names its resource, the URL, the tries and the fix
            assert unreachable in line and "Fix: check ccprovider:endpoint" in line, line


def test_a_plaintext_token_is_refused_before_anything_is_sent(project: PulumiProject) -> None:
    project.declare(tenant())
    project.run("config", "set", "ccprovider:token", "plain-admin-token", "--plaintext")

    refused = project.run("up", "--yes", check=False)

    assert refused.returncode != 0
    output = refused.stdout + refused.stderr
    assert "Traceback" not in output
    assert (
        "error: ccprovider:token is stored in plaintext in the stack config, so it would be "
        "written to the state as it is. Fix: `pulumi config set --secret ccprovider:token "
        "<token>`, which encrypts it (and rotate the token if the file was shared)."
    ) in output
    assert project.state_resources(TENANT_TYPE) == []
    assert "plain-admin-token" not in project.run("stack", "export").stdout
    with project.backend() as backend:
        assert list(backend.list_tenants()) == []

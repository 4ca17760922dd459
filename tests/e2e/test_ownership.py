"""One tenant, one owner, on the real engine: a second state of the same stack, another
stack, or an export of another stack's tenant never takes over, half-applies or destroys
what it does not own; the preview refuses first, in one line, and the backend is untouched."""

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.e2e.declarations import tenant, user
from tests.e2e.harness import (
    Apply,
    PulumiProject,
    ccprovider,
    file_state_url,
)


def backend_snapshot(project: PulumiProject) -> str:
    """Every object of the project's embedded backend, as JSON: compared before and after."""
    with project.backend() as backend:
        tenants = list(backend.list_tenants())
        found: list[Any] = [t.model_dump(mode="json") for t in tenants]
        for t in tenants:
            for listed in (
                backend.list_subscriptions(t.id),
                backend.list_users(t.id),
                backend.list_partners(t.id),
            ):
                found += [o.model_dump(mode="json") for o in listed]
    return json.dumps(found, sort_keys=True)


def second_state(project: PulumiProject, where: Path) -> PulumiProject:
    """The project's stack initialised again in another state (`stack init` instead of
    `stack import`), with the same stack file and the same backend: the team's mistake
    when it moves to shared state."""
    where.mkdir()
    env = {**project.env, "PULUMI_BACKEND_URL": file_state_url(where)}
    again = PulumiProject(project.directory, project.stack, env)
    again.run("stack", "init", project.stack)
    return again


def refusal(result: subprocess.CompletedProcess[str]) -> str:
    """The one error line of a failed command naming a resource, without the engine's own."""
    assert result.returncode != 0, result.stdout
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    [line] = [
        ln.strip()
        for ln in output.splitlines()
        if ln.strip().startswith("error: ") and "Tenant 'acme-e2e'" in ln
    ]
    return line


def test_a_second_state_of_the_stack_is_refused_and_its_destroy_touches_nothing(
    applied: Apply, tmp_path: Path
) -> None:
    project = applied(tenant())
    before = backend_snapshot(project)
    again = second_state(project, tmp_path / "state2")

    previewed = again.run("preview", check=False)
    # Without the preview pass, which a plain `up` runs first and which refuses as above.
    applied_again = again.run("up", "--yes", "--skip-preview", check=False)
    destroyed = again.run("destroy", "--yes", check=False)

    expected = (
        "Tenant 'acme-e2e' is managed by another state of stack ccprovider/e2e. Fix: import "
        "that stack's state (README: moving a stack), or set `adopt: true` and `takeOver: "
        "true` in ccprovider:tenant to take it over."
    )
    for result in (previewed, applied_again):
        assert expected in refusal(result)
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    assert backend_snapshot(project) == before
    project.run("preview", "--expect-no-changes")  # the first state still owns it all


def test_a_user_that_changed_hands_is_refused_rather_than_replayed(applied: Apply) -> None:
    """Stack e2e created agent0 and let it go; stack sa took it over. e2e declaring agent0
    again sends its original create (same key, same body): the preview refuses it, naming
    sa, instead of the replay handing agent0 back."""
    with_agent0 = tenant(users=[*tenant()["users"], user("agent0@acme.example", "SUB-1")])
    project = applied(with_agent0)
    project.declare(tenant())
    project.up()  # agent0 released
    taker = project.init_stack("sa")  # the tenant and agent0 only
    agent0 = [u for u in with_agent0["users"] if u["email"] == "agent0@acme.example"]
    taker.declare({**with_agent0, "users": agent0, "adopt": True, "takeOver": True})
    taker.up()
    project.declare(with_agent0)
    before = backend_snapshot(project)

    previewed = project.run("preview", check=False)

    assert previewed.returncode != 0
    output = previewed.stdout + previewed.stderr
    assert "User agent0@acme.example is managed by stack ccprovider/sa." in output
    assert "Traceback" not in output
    assert backend_snapshot(project) == before
    taker.run("preview", "--expect-no-changes")


def test_an_export_of_another_stacks_tenant_is_refused_at_preview(applied: Apply) -> None:
    """`ccprovider export` of a tenant that stack e2e manages, then a stack of the export:
    its preview says what the update would refuse, before anything is taken over."""
    project = applied(tenant())
    before = backend_snapshot(project)
    ccprovider(project, "export", "--tenant", "acme-e2e", "--stack", "legacy", "--yes")
    legacy = project.init_stack("legacy")

    previewed = legacy.run("preview", check=False)
    applied_legacy = legacy.run("up", "--yes", check=False)

    for result in (previewed, applied_legacy):
        assert "Tenant 'acme-e2e' is managed by stack ccprovider/e2e. Fix: declare it in one " in (
            refusal(result)
        )
    assert backend_snapshot(project) == before

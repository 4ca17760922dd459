"""Bulk assignment by team on the real engine: one resource per team, readable diffs per
member, moves between teams and single assignments in one update, release and destroy."""

from datetime import timedelta
from typing import Any

from ccprovider.client import ProvisioningClient
from ccprovider.contract import User
from tests.e2e.declarations import TODAY, subscription, tenant, user
from tests.e2e.harness import Apply, PulumiProject, steps_by_op
from tests.readme import is_excerpt, snippet

TEAM_TYPE = "pulumi-python:dynamic/ccprovider:TeamAssignments"
ASSIGNMENT_TYPE = "pulumi-python:dynamic/ccprovider:LicenseAssignment"


def member(email: str, sub_id: str, team: str, role: str = "agent") -> dict[str, Any]:
    return {**user(email, sub_id, role), "team": team}


def two_teams(**moves: str) -> dict[str, Any]:
    """admin1 alone; care has agents 1-3 and sales agents 4-5, unless `moves` maps a local
    part (agent1) to another team, or to "" for a single assignment."""
    teams = {f"agent{i}": "care" if i <= 3 else "sales" for i in range(1, 6)}
    teams.update(moves)
    users = [user("admin1@acme.example", "SUB-1", "admin")]
    for local, team in teams.items():
        email = f"{local}@acme.example"
        users.append(member(email, "SUB-1", team) if team else user(email, "SUB-1"))
    return tenant(
        subscriptions=[
            subscription("SUB-1", TODAY - timedelta(days=30), 36),
            subscription("SUB-2", TODAY - timedelta(days=1), 24),
        ],
        users=users,
    )


def up_with(project: PulumiProject, declared: dict[str, Any]) -> None:
    """Declare the tenant and run `pulumi up`."""
    project.declare(declared)
    project.up()


def applied_teams(applied: Apply, declared: dict[str, Any]) -> tuple[PulumiProject, str]:
    """A project of the test's own with `declared` applied, and its tenant's id."""
    project = applied(declared)
    return project, str(project.outputs()["tenantId"])


def live_users(backend: ProvisioningClient, tenant_id: str) -> dict[str, User]:
    return {u.email: u for u in backend.list_users(tenant_id)}


def test_a_team_is_one_resource_and_its_users_get_their_licenses(
    applied: Apply,
) -> None:
    project, tenant_id = applied_teams(applied, two_teams())

    teams = {r["outputs"]["team"]: r for r in project.state_resources(TEAM_TYPE)}
    assert sorted(teams) == ["care", "sales"]
    assert sorted(teams["care"]["outputs"]["members"]) == [
        "agent1@acme.example",
        "agent2@acme.example",
        "agent3@acme.example",
    ]
    assert len(project.state_resources(ASSIGNMENT_TYPE)) == 1  # admin1, declared alone
    with project.backend() as backend:
        users = live_users(backend, tenant_id)
        sub1 = backend.find_subscription(tenant_id, "SUB-1")
    assert sub1 is not None
    assert {u.email: u.licenses for u in users.values()} == {
        "admin1@acme.example": [f"{sub1.id}:admin"],
        **{f"agent{i}@acme.example": [f"{sub1.id}:standard-agent"] for i in range(1, 6)},
    }
    project.run("preview", "--expect-no-changes")


def test_a_remap_in_a_team_shows_the_member_and_applies_in_place(
    applied: Apply,
) -> None:
    declared = two_teams()
    project, tenant_id = applied_teams(applied, declared)
    declared["users"][2]["subscription"] = "SUB-2"  # agent2, of care
    project.declare(declared)

    diff = project.run("preview", "--diff").stdout

    assert steps_by_op(project.preview_json(), TEAM_TYPE).keys() == {"update"}
    assert is_excerpt(snippet("team-remap-diff"), diff), diff
    project.up()
    with project.backend() as backend:
        agent2 = live_users(backend, tenant_id)["agent2@acme.example"]
        sub2 = backend.find_subscription(tenant_id, "SUB-2")
    assert sub2 is not None
    assert agent2.licenses == [f"{sub2.id}:standard-agent"]
    project.run("preview", "--expect-no-changes")


def test_users_move_between_teams_and_single_assignments_without_being_recreated(
    applied: Apply,
) -> None:
    project, tenant_id = applied_teams(applied, two_teams())
    with project.backend() as backend:
        before = live_users(backend, tenant_id)

    # agent1 care -> sales, agent4 sales -> alone, then agent4 alone -> care.
    up_with(project, two_teams(agent1="sales", agent4=""))
    up_with(project, two_teams(agent1="sales", agent4="care"))

    with project.backend() as backend:
        after = live_users(backend, tenant_id)
    assert {e: u.id for e, u in after.items()} == {e: u.id for e, u in before.items()}
    assert all(u.licenses for u in after.values())
    owner = project.owner()
    assert after["agent1@acme.example"].external_id == f"{owner}#team:sales"
    assert after["agent4@acme.example"].external_id == f"{owner}#team:care"
    project.run("preview", "--expect-no-changes")


def test_a_removed_member_is_released_and_destroy_deletes_what_the_teams_created(
    applied: Apply,
) -> None:
    declared = two_teams()
    project, tenant_id = applied_teams(applied, declared)

    up_with(project, {**declared, "users": declared["users"][:-1]})  # agent5 leaves sales

    with project.backend() as backend:
        agent5 = live_users(backend, tenant_id)["agent5@acme.example"]
    assert agent5.licenses == []
    assert agent5.external_id == f"{project.owner()}#"
    project.run("destroy", "--yes")
    with project.backend() as backend:
        assert backend.get_tenant(tenant_id) is None


def test_refresh_shows_a_member_deleted_outside_and_up_brings_them_back(
    applied: Apply,
) -> None:
    project, tenant_id = applied_teams(applied, two_teams())
    with project.backend() as backend:
        backend.delete_user(tenant_id, live_users(backend, tenant_id)["agent2@acme.example"].id)

    project.run("refresh", "--yes")
    steps = steps_by_op(project.preview_json(), TEAM_TYPE)

    assert list(steps) == ["update"]
    project.up()
    with project.backend() as backend:
        assert live_users(backend, tenant_id)["agent2@acme.example"].licenses
    project.run("preview", "--expect-no-changes")

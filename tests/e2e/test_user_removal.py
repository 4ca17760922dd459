"""Removing a user from the declaration has one meaning for single and team assignments,
stated in the preview and the update: the license is released and the account kept, unless
the tenant declares `deleteUsers: true`."""

from typing import Any

import pytest

from tests.e2e.declarations import tenant, user
from tests.e2e.harness import Apply


def declared(delete_users: bool) -> dict[str, Any]:
    """acme-e2e with admin1, agent1 on its own and agent2 in team care."""
    team_member = {**user("agent2@acme.example", "SUB-1"), "team": "care"}
    users = [user("admin1@acme.example", "SUB-1", "admin"), user("agent1@acme.example", "SUB-1")]
    return tenant(users=[*users, team_member], deleteUsers=delete_users)


@pytest.mark.parametrize("delete_users", [False, True])
def test_removed_users_are_released_or_deleted_as_the_preview_says(
    applied: Apply, delete_users: bool
) -> None:
    project = applied(declared(delete_users))
    tenant_id = project.outputs()["tenantId"]
    kept = declared(delete_users)
    kept["users"] = kept["users"][:1]
    project.declare(kept)

    preview = project.run("preview").stdout
    update = project.run("up", "--yes").stdout

    for email in ("agent1@acme.example", "agent2@acme.example"):
        said = f"{email} leaves the declaration: its license is released"
        assert said in preview
        assert said in update
        assert ("account is deleted" in preview) is delete_users
    with project.backend() as backend:
        for email in ("agent1@acme.example", "agent2@acme.example"):
            left = backend.find_user(tenant_id, email)
            if delete_users:
                assert left is None
            else:
                assert left is not None
                assert left.licenses == []
    project.run("preview", "--expect-no-changes")
    project.run("destroy", "--yes")  # released accounts go with the stack's tenant


def test_turning_delete_users_on_applies_to_users_who_leave_afterwards(
    applied: Apply,
) -> None:
    project = applied(declared(delete_users=False))
    tenant_id = project.outputs()["tenantId"]
    changed = declared(delete_users=True)
    changed["users"] = [u for u in changed["users"] if u["email"] != "agent1@acme.example"]
    project.declare(changed)

    preview = project.run("preview").stdout
    project.up()

    # Its assignment lets it go with the state the last update wrote: deleteUsers false.
    said = "agent1@acme.example leaves the declaration: its license is released and its account"
    assert f"{said} kept" in preview
    with project.backend() as backend:
        kept = backend.find_user(tenant_id, "agent1@acme.example")
    assert kept is not None
    assert kept.licenses == []

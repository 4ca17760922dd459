"""Remap before expiry on the real engine, including the domain document's scenario: no user
may be left on a subscription that gives no access, and none loses access on the way."""

import re
from datetime import timedelta
from typing import Any

from ccprovider.client import ProvisioningClient
from ccprovider.contract import ClockChange
from tests.e2e.declarations import TODAY, ending_in, subscription, tenant, user
from tests.e2e.harness import (
    Apply,
    Poll,
    PulumiProject,
    access_watch,
    resource_key,
    steps_by_op,
)

ASSIGNMENT_TYPE = "pulumi-python:dynamic/ccprovider:LicenseAssignment"
SUBSCRIPTION_TYPE = "pulumi-python:dynamic/ccprovider:Subscription"
USERS = ("admin1@acme.example", "agent1@acme.example")


def expiring_tenant() -> dict[str, Any]:
    """Subscription 1 ends in 10 days and carries admin 1 and agent 1; subscription 2 is new."""
    return tenant(
        subscriptions=[
            ending_in(10, "SUB-1"),
            subscription("SUB-2", TODAY - timedelta(days=1), 24),
        ]
    )


def remapped(declared: dict[str, Any]) -> dict[str, Any]:
    return {
        **declared,
        "users": [
            user("admin1@acme.example", "SUB-2", "admin"),
            user("agent1@acme.example", "SUB-2"),
        ],
    }


def users_checked(tenant_id: str) -> Poll:
    """A poll of USERS' access, through the backend's access check."""

    def poll(backend: ProvisioningClient) -> list[str]:
        lapses = []
        for email in USERS:
            access = backend.check_access(tenant_id, email)
            if not access.has_access:
                lapses.append(f"{email}: {access.reason}")
        return lapses

    return poll


def test_users_left_on_a_removed_subscription_fail_preview_with_where_to_go(
    applied: Apply,
) -> None:
    declared = expiring_tenant()
    project = applied(declared)

    project.declare({**declared, "subscriptions": declared["subscriptions"][1:]})
    output = project.preview_fails()

    for index, email in enumerate(["admin1@acme.example", "agent1@acme.example"]):
        assert (
            f"ccprovider:tenant.users[{index}].subscription ({email}): 'SUB-1' is not a "
            "subscription this tenant declares. Fix: map the user to one of its active "
            "subscriptions (SUB-2)."
        ) in output


def test_users_on_a_subscription_ending_soon_get_a_visible_warning(
    project: PulumiProject,
) -> None:
    project.declare(expiring_tenant())

    output = project.run("preview").stdout

    end = (TODAY + timedelta(days=10)).isoformat()
    assert f"warning: remap before expiry: admin1@acme.example on SUB-1 (ends on {end}" in output
    assert "can move to: SUB-2" in output


def test_remapping_and_removing_the_old_subscription_in_one_up_never_drops_access(
    applied: Apply,
) -> None:
    declared = expiring_tenant()
    project = applied(declared)
    tenant_id = project.outputs()["tenantId"]
    change = {**remapped(declared), "subscriptions": declared["subscriptions"][1:]}
    project.declare(change)

    preview = project.preview_json()
    assignments = steps_by_op(preview, ASSIGNMENT_TYPE)
    subscriptions = steps_by_op(preview, SUBSCRIPTION_TYPE)
    with access_watch(project, users_checked(tenant_id)) as lapses:
        project.up()

    assert sorted(assignments) == ["update"], "a remap is an in-place update, not a replace"
    assert len(assignments["update"]) == 2
    assert [resource_key(s["urn"]) for s in subscriptions["delete"]] == ["SUB-1"]
    assert lapses == []
    with project.backend() as backend:
        for email in USERS:
            assert backend.check_access(tenant_id, email).external_id == "SUB-2"
        assert [s.external_id for s in backend.list_subscriptions(tenant_id)] == ["SUB-2"]
    project.run("preview", "--expect-no-changes")


def test_domain_scenario_remapped_users_keep_access_and_the_primary_moves(
    applied: Apply,
) -> None:
    """Subscription 1 with admin 1 and agent 1; subscription 2 added while 1 is expiring;
    remap; the backend's clock passes 1's end; both keep access; the primary is 2."""
    project = applied(tenant(subscriptions=[ending_in(10, "SUB-1")]))
    tenant_id = project.outputs()["tenantId"]
    assert project.outputs()["primarySubscription"] == "SUB-1"

    project.declare(expiring_tenant())
    project.up()
    project.declare(remapped(expiring_tenant()))
    project.up()

    with project.backend() as backend:
        backend.change_clock(ClockChange(advance_days=11))
        for email in USERS:
            access = backend.check_access(tenant_id, email)
            assert (access.has_access, access.external_id) == (True, "SUB-2")
        live = backend.get_tenant(tenant_id)
        assert live is not None
        assert live.primary_subscription == "SUB-2"
    project.run("refresh", "--yes")
    states = {
        r["outputs"]["external_id"]: r["outputs"]
        for r in project.state_resources(SUBSCRIPTION_TYPE)
    }
    assert (states["SUB-1"]["status"], states["SUB-1"]["is_primary"]) == ("expired", False)
    assert (states["SUB-2"]["status"], states["SUB-2"]["is_primary"]) == ("active", True)


def test_a_user_mapped_to_a_subscription_that_expired_on_the_backend_fails_preview(
    applied: Apply,
) -> None:
    """The backend's clock, not the machine's date, decides, already when the declaration
    is validated: every stranded user is named with its place and where it can move."""
    project = applied(expiring_tenant())
    tenant_id = project.outputs()["tenantId"]
    with project.backend() as backend:
        backend.change_clock(ClockChange(advance_days=11))
    declared = expiring_tenant()
    declared["users"].append(user("agent2@acme.example", "SUB-1"))
    project.declare(declared)

    output = project.preview_fails()

    for index, email in enumerate(("admin1", "agent1", "agent2")):
        stranded = (
            rf"ccprovider:tenant\.users\[{index}\]\.subscription: {email}@acme\.example on "
            r"SUB-1 \(expired on \d{4}-\d{2}-\d{2}\); can move to: SUB-2\."
        )
        assert re.search(stranded, output), output
    with project.backend() as backend:
        assert backend.find_user(tenant_id, "agent2@acme.example") is None

"""The stack shows the tenant as the backend holds it: refresh finds a subscription that
expired or was cancelled there, the outputs follow the live resources, and every date rule
of the preview follows the provisioning system's clock, not this machine's."""

import re
from datetime import UTC, date, datetime, time, timedelta

from ccprovider.contract import ClockChange
from tests.e2e.declarations import TODAY, ending_in, subscription, tenant, user
from tests.e2e.harness import Apply, PulumiProject, refresh_drift


def move_backend_clock(project: PulumiProject, days: int) -> None:
    """Set the backend's clock `days` after the day the declarations count from (noon), so
    that a run across midnight counts the same days."""
    noon = datetime.combine(TODAY + timedelta(days=days), time(12), UTC)
    with project.backend() as backend:
        backend.change_clock(ClockChange(now=noon))


def test_a_subscription_that_expired_in_the_backend_shows_on_refresh_and_in_the_outputs(
    applied: Apply,
) -> None:
    # SUB-OLD started first, so it is the primary until it expires.
    subscriptions = [subscription("SUB-1", date(2025, 1, 1), 60), ending_in(10, "SUB-OLD")]
    project = applied(tenant(subscriptions=subscriptions))
    assert project.outputs()["primarySubscription"] == "SUB-OLD"
    move_backend_clock(project, 20)

    shown = project.run("refresh", "--preview-only", "--diff").stdout
    refreshed = project.run("refresh", "--yes", "--run-program").stdout

    assert refresh_drift(refreshed) == [("SUB-OLD", "~status")]
    assert re.search(r'~ status\s*: "active" => "expired"', shown), shown
    outputs = project.outputs()
    assert outputs["primarySubscription"] == "SUB-1"
    assert outputs["pooledEntitlements"] == {"standard_agent": 10, "supervisor": 1}
    assert outputs["usersPerSubscription"] == {
        "SUB-1": ["admin1@acme.example", "agent1@acme.example"],
        "SUB-OLD": [],
    }
    # The declaration still names SUB-OLD, whose dates now say expired: no perpetual diff.
    project.run("preview", "--expect-no-changes")


def test_a_subscription_cancelled_in_the_backend_shows_on_refresh_and_stops_the_preview(
    applied: Apply,
) -> None:
    subscriptions = [subscription("SUB-1", date(2025, 1, 1), 60), ending_in(300, "SUB-2")]
    project = applied(tenant(subscriptions=subscriptions))
    with project.backend() as backend:
        tenant_id = project.outputs()["tenantId"]
        [sub2] = [s for s in backend.list_subscriptions(tenant_id) if s.external_id == "SUB-2"]
        backend.cancel_subscription(tenant_id, sub2.id)

    refreshed = project.run("refresh", "--yes").stdout
    output = project.preview_fails()

    assert refresh_drift(refreshed) == [("SUB-2", "~status")]
    assert "Traceback" not in output
    assert "Subscription SUB-2 was cancelled in embedded backend" in output
    assert "then remove SUB-2 from ccprovider:tenant" in output


def test_the_remap_warning_follows_the_provisioning_clock(applied: Apply) -> None:
    declared = tenant(
        subscriptions=[subscription("SUB-1", date(2025, 1, 1), 60), ending_in(60, "SUB-OLD")],
        users=[
            user("admin1@acme.example", "SUB-1", "admin"),
            user("agent1@acme.example", "SUB-OLD"),
        ],
    )
    project = applied(declared)
    assert "remap before expiry" not in project.run("preview").stdout
    move_backend_clock(project, 55)

    warned = project.run("preview").stdout
    project.run("up", "--yes", "--refresh")

    assert "remap before expiry: agent1@acme.example on SUB-OLD (ends on" in warned
    assert "in 5 day(s)); can move to: SUB-1" in warned
    [expiring] = project.outputs()["expiringUsers"]
    assert (expiring["email"], expiring["canMoveTo"]) == ("agent1@acme.example", ["SUB-1"])
    assert expiring["reason"].endswith("in 5 day(s)")


def test_a_user_on_a_subscription_expired_by_the_provisioning_clock_stops_the_preview(
    applied: Apply,
) -> None:
    declared = tenant(
        subscriptions=[subscription("SUB-1", date(2025, 1, 1), 60), ending_in(10, "SUB-OLD")],
        users=[
            user("admin1@acme.example", "SUB-1", "admin"),
            user("agent1@acme.example", "SUB-OLD"),
        ],
    )
    project = applied(declared)
    move_backend_clock(project, 20)
    declared["users"].append(user("agent2@acme.example", "SUB-1"))
    project.declare(declared)

    output = project.run("up", "--yes", check=False)

    assert output.returncode != 0
    text = output.stdout + output.stderr
    assert "Traceback" not in text
    assert "ccprovider:tenant.users[1].subscription" in text
    assert "agent1@acme.example on SUB-OLD (expired on" in text
    with project.backend() as backend:
        emails = {u.email for u in backend.list_users(project.outputs()["tenantId"])}
    assert "agent2@acme.example" not in emails

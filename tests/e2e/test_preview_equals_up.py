"""A preview is the record a team approves a change from: for every kind of change, the steps
`pulumi preview` lists are exactly the steps the following `pulumi up` takes."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

from ccprovider.contract import ClockChange, TenantBody, UserBody
from tests.e2e.declarations import ending_in, subscription, tenant, user
from tests.e2e.harness import (
    Apply,
    PulumiProject,
    ccprovider,
    changed_steps,
    infos,
    refresh_drift,
    resource_summary,
)
from tests.helpers import assign_license, subscription_body


def two_subscriptions(**overrides: Any) -> dict[str, Any]:
    """acme-e2e with SUB-1 and SUB-2, admin1 and agent1 on SUB-1, agent2 on SUB-2."""
    declared = tenant(
        subscriptions=[
            subscription("SUB-1", date(2025, 1, 1), 60),
            subscription("SUB-2", date(2025, 6, 1), 36),
        ],
        users=[
            user("admin1@acme.example", "SUB-1", "admin"),
            user("agent1@acme.example", "SUB-1"),
            user("agent2@acme.example", "SUB-2"),
        ],
    )
    return {**declared, **overrides}


def test_an_entitlement_change_previews_and_applies_one_update(applied: Apply) -> None:
    declared = two_subscriptions()
    project = applied(declared)
    declared["subscriptions"][0]["entitlements"]["standardAgents"] = 40
    project.declare(declared)

    planned, taken = project.preview_then_up()

    assert planned == taken == [("update", "SUB-1")]


def test_a_term_and_billing_change_previews_and_applies_one_update(applied: Apply) -> None:
    declared = two_subscriptions()
    project = applied(declared)
    declared["subscriptions"][1]["termMonths"] = 48
    declared["subscriptions"][1]["billing"] = {"cycle": "quarterly", "purchaseOrder": "PO-77"}
    project.declare(declared)

    planned, taken = project.preview_then_up()

    assert planned == taken == [("update", "SUB-2")]


def test_a_remap_previews_and_applies_one_update(applied: Apply) -> None:
    declared = two_subscriptions()
    project = applied(declared)
    declared["users"][1]["subscription"] = "SUB-2"
    project.declare(declared)

    planned, taken = project.preview_then_up()

    assert planned == taken == [("update", "agent1@acme.example")]


def test_adding_and_removing_a_user_preview_and_apply_one_step_each(applied: Apply) -> None:
    declared = two_subscriptions()
    project = applied(declared)
    declared["users"].append(user("agent3@acme.example", "SUB-2"))
    project.declare(declared)
    added = project.preview_then_up()
    declared["users"] = [u for u in declared["users"] if u["email"] != "agent1@acme.example"]
    project.declare(declared)
    removed = project.preview_then_up()

    assert added == ([("create", "agent3@acme.example")],) * 2
    assert removed == ([("delete", "agent1@acme.example")],) * 2


def test_adding_a_partner_previews_and_applies_one_create(applied: Apply) -> None:
    declared = two_subscriptions()
    project = applied(declared)
    declared["partners"] = [{"org": "partner-a", "access": "full_admin"}]
    project.declare(declared)

    planned, taken = project.preview_then_up()

    assert planned == taken == [("create", "partner-a")]


def test_renaming_the_tenant_previews_and_applies_one_update(applied: Apply) -> None:
    partners = [{"org": "partner-a", "access": "read_only"}]
    project = applied(two_subscriptions(partners=partners))
    project.declare(two_subscriptions(name="acme-renamed", partners=partners))

    planned, taken = project.preview_then_up()

    assert planned == taken == [("update", "tenant")]


def test_promotion_into_an_existing_stack_previews_what_it_applies(applied: Apply) -> None:
    project = applied(two_subscriptions(name="acme-dev"))
    staging = project.init_stack("staging")
    staging.declare(tenant(name="acme-staging"))
    staging.up()
    ccprovider(project, "promote", "e2e", "staging", "--yes")

    planned, taken = staging.preview_then_up()

    assert planned == taken == [("create", "SUB-2"), ("create", "agent2@acme.example")]


def test_adopting_existing_objects_previews_what_it_applies(project: PulumiProject) -> None:
    with project.backend() as backend:
        made = backend.create_tenant(TenantBody(name="acme-e2e", offer="flex3"))
        sub1 = backend.create_subscription(
            made.id, subscription_body("SUB-1", department="customer-care", term_months=60)
        )
        backend.create_user(made.id, UserBody(email="admin1@acme.example", role="admin"))
        assign_license(backend, made.id, "admin1@acme.example", f"{sub1.id}:admin")
    project.declare(tenant(adopt=True))

    preview, update = project.preview_then_up_json()
    planned, taken = changed_steps(preview), changed_steps(update)

    assert planned == taken
    assert {name for _, name in taken} == {
        "ccprovider-e2e",
        "contact-center",
        "state",
        "tenant",
        "SUB-1",
        "admin1@acme.example",
        "agent1@acme.example",
    }
    # The creates that take over existing objects are named, in the preview and the update.
    takeovers = [
        "adopt: takes over 1 existing tenant(s) rather than creating them: acme-e2e",
        "adopt: takes over 1 existing subscription(s) rather than creating them: SUB-1",
        "adopt: takes over 1 existing user(s) rather than creating them: admin1@acme.example",
    ]
    assert [line for line in infos(preview) if line.startswith("adopt:")] == takeovers
    assert [line for line in infos(update) if line.startswith("adopt:")] == takeovers
    # Once they are the stack's, nothing is taken over any more.
    again = project.preview_json()
    assert changed_steps(again) == []
    assert not [line for line in infos(again) if line.startswith("adopt:")]


def test_a_refresh_after_a_subscription_expired_previews_what_it_applies(
    applied: Apply,
) -> None:
    subscriptions = [subscription("SUB-1", date(2025, 1, 1), 60), ending_in(10, "SUB-OLD")]
    project = applied(tenant(subscriptions=subscriptions))
    with project.backend() as backend:
        later = datetime.now(UTC) + timedelta(days=20)
        backend.change_clock(ClockChange(now=later))

    preview = project.run("preview", "--refresh").stdout
    update = project.run("up", "--refresh", "--yes").stdout

    # The refresh finds SUB-OLD expired; nothing else changes, in the preview and the update.
    assert refresh_drift(preview) == refresh_drift(update) == [("SUB-OLD", "~status")]
    assert resource_summary(preview) == resource_summary(update) == ["8 unchanged"]

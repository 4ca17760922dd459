"""The vendor's rules enforced by `pulumi preview` on the real engine: telephony, license
model, partner access, and diffs that stay quiet when nothing changed."""

from datetime import date, timedelta

from ccprovider.contract import TenantBody
from tests.e2e.declarations import TODAY, subscription, tenant, user
from tests.e2e.harness import Apply, PulumiProject, steps_by_op
from tests.helpers import subscription_body

SUBSCRIPTION_TYPE = "pulumi-python:dynamic/ccprovider:Subscription"


def test_a_tenant_whose_only_order_changed_license_model_takes_more_of_that_model(
    applied: Apply,
) -> None:
    declared = tenant(users=[])
    project = applied(declared)
    declared["subscriptions"][0]["licenseModel"] = "concurrent"  # replaces SUB-1
    project.declare(declared)
    project.up()
    declared["subscriptions"].append(
        subscription("SUB-2", date(2025, 6, 1), 24, licenseModel="concurrent")
    )
    project.declare(declared)

    project.up()

    with project.backend() as backend:
        [live] = backend.list_tenants()
        models = {s.external_id: s.license_model for s in backend.list_subscriptions(live.id)}
    assert live.license_model == "concurrent"
    assert models == {"SUB-1": "concurrent", "SUB-2": "concurrent"}


def test_replacing_an_order_that_users_hold_fails_preview_and_changes_nothing(
    applied: Apply,
) -> None:
    project = applied(tenant())
    declared = tenant()
    declared["subscriptions"][0]["licenseModel"] = "concurrent"  # a new order for SUB-1
    project.declare(declared)

    output = project.preview_fails()

    assert (
        "Subscription SUB-1: changing licenseModel makes it a new order, which replaces SUB-1, "
        "while 2 user(s) (admin1@acme.example, agent1@acme.example) hold its licenses. Fix: "
        "remap them to another subscription first, then change licenseModel."
    ) in output
    assert "Traceback" not in output
    with project.backend() as backend:
        [live] = backend.list_tenants()
        [sub1] = backend.list_subscriptions(live.id)
        holders = {u.email: u.subscription_id for u in backend.list_users(live.id)}
    assert sub1.license_model == "named"
    assert holders == {"admin1@acme.example": sub1.id, "agent1@acme.example": sub1.id}


def test_a_declared_telephony_mismatch_fails_preview_naming_both_subscriptions(
    project: PulumiProject,
) -> None:
    declared = tenant()
    declared["subscriptions"].append(subscription("SUB-2", date(2025, 6, 1), 24, telephony="vpop"))
    project.declare(declared)

    output = project.preview_fails()

    assert "ccprovider:tenant.subscriptions[1].telephony" in output
    assert "SUB-2 uses telephony vpop" in output
    assert "option is webex_calling (as on SUB-1)" in output
    assert "vendor support" in output
    with project.backend() as backend:
        assert list(backend.list_tenants()) == []


def test_changing_the_telephony_of_an_existing_tenant_fails_preview(applied: Apply) -> None:
    project = applied(tenant())
    project.declare(tenant(telephony="vpop"))

    output = project.preview_fails()

    assert "uses telephony webex_calling" in output
    assert "vendor support" in output
    with project.backend() as backend:
        live = backend.find_tenant("acme-e2e")
        assert live is not None
        assert live.telephony == "webex_calling"


def test_a_license_model_mix_fails_before_the_backend_sees_it(applied: Apply) -> None:
    project = applied(tenant())
    mixed = tenant()
    mixed["subscriptions"].append(
        subscription("SUB-2", date(2025, 6, 1), 24, licenseModel="concurrent")
    )
    project.declare(mixed)

    output = project.preview_fails()
    up = project.run("up", "--yes", check=False)

    assert "ccprovider:tenant.subscriptions[1].licenseModel" in output
    assert "SUB-2 is concurrent" in output
    assert up.returncode != 0
    with project.backend() as backend:
        live = backend.find_tenant("acme-e2e")
        assert live is not None
        assert [s.external_id for s in backend.list_subscriptions(live.id)] == ["SUB-1"]


def adopt_tenant_made_elsewhere(project: PulumiProject, **first_subscription: str) -> str:
    """acme-e2e exists already, with a subscription SUB-0 this stack does not declare."""
    with project.backend() as backend:
        existing = backend.create_tenant(TenantBody(name="acme-e2e", offer="flex3"))
        backend.create_subscription(existing.id, subscription_body("SUB-0", **first_subscription))
    return existing.id


def test_the_live_tenants_telephony_is_enforced_when_adopting_it(project: PulumiProject) -> None:
    tenant_id = adopt_tenant_made_elsewhere(project, telephony="vpop")
    project.declare(tenant(adopt=True))

    output = project.preview_fails()

    assert "Tenant acme-e2e uses telephony vpop" in output
    assert "Fix: declare telephony: vpop" in output
    with project.backend() as backend:
        assert [s.external_id for s in backend.list_subscriptions(tenant_id)] == ["SUB-0"]


def test_the_live_tenants_license_model_is_enforced_for_new_subscriptions(
    project: PulumiProject,
) -> None:
    tenant_id = adopt_tenant_made_elsewhere(project, license_model="concurrent")
    project.declare(tenant(adopt=True))

    up = project.run("up", "--yes", check=False)
    preview = project.preview_fails()

    for output in (up.stdout, preview):
        assert "SUB-1 is named" in output
        assert "concurrent (as on SUB-0)" in output
    with project.backend() as backend:
        assert [s.external_id for s in backend.list_subscriptions(tenant_id)] == ["SUB-0"]


def test_a_second_partner_is_read_only_unless_a_customer_admin_approves(
    project: PulumiProject,
) -> None:
    declared = tenant()
    declared["subscriptions"].append(subscription("SUB-2", date(2025, 6, 1), 24))
    declared["partners"] = [
        {"org": "partner-a", "access": "full_admin"},
        {"org": "partner-b", "access": "full_admin"},
    ]
    project.declare(declared)

    unapproved = project.preview_fails()
    declared["partners"][1]["approvedBy"] = "admin1@acme.example"
    project.declare(declared)
    project.up()

    assert "ccprovider:tenant.partners[1].approvedBy" in unapproved
    assert "needs a customer admin's approval, but none is recorded" in unapproved
    with project.backend() as backend:
        live = backend.find_tenant("acme-e2e")
        assert live is not None
        access = {p.org: p.access.value for p in backend.list_partners(live.id)}
    assert access == {"partner-a": "full_admin", "partner-b": "full_admin"}
    project.run("preview", "--expect-no-changes")


def test_order_and_date_spelling_cause_no_diff_and_a_new_start_is_a_replacement(
    applied: Apply,
) -> None:
    declared = tenant()
    declared["subscriptions"].append(subscription("SUB-2", date(2025, 6, 1), 24))
    declared["users"].append(user("agent2@acme.example", "SUB-1"))
    project = applied(declared)

    reordered = tenant(
        subscriptions=list(reversed(declared["subscriptions"])),
        users=list(reversed(declared["users"])),
    )
    reordered["subscriptions"][0]["start"] = "2025-06-01 00:00:00 +0000 UTC"
    reordered["subscriptions"][1]["entitlements"] = {"supervisors": 1, "standardAgents": 10}
    project.declare(reordered)
    project.run("preview", "--expect-no-changes")

    reordered["subscriptions"][0]["start"] = "2025-07-01"
    project.declare(reordered)
    steps = steps_by_op(project.preview_json(), SUBSCRIPTION_TYPE)

    assert len(steps["replace"]) == 1
    assert steps["replace"][0]["replaceReasons"] == ["start"]


def test_a_subscription_starting_later_is_pending_and_gives_no_access_yet(
    project: PulumiProject,
) -> None:
    declared = tenant()
    declared["subscriptions"].append(subscription("SUB-9", TODAY + timedelta(days=30), 12))
    declared["users"].append(user("agent9@acme.example", "SUB-9"))
    project.declare(declared)

    output = project.preview_fails()

    assert "agent9@acme.example on SUB-9 (starts on" in output

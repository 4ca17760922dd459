"""Changes made directly in the backend: `pulumi refresh` reports them, and an explicit opt-in
adopts existing objects by their natural key instead of failing or duplicating them."""

import re

from ccprovider.contract import TenantBody, UserBody
from tests.e2e.declarations import tenant
from tests.e2e.harness import Apply, PulumiProject, resource_key, steps_by_op
from tests.helpers import assign_license, subscription_body

ASSIGNMENT_TYPE = "pulumi-python:dynamic/ccprovider:LicenseAssignment"


def test_refresh_reports_changed_terms_and_removed_users(applied: Apply) -> None:
    project = applied(tenant())
    tenant_id = project.outputs()["tenantId"]
    with project.backend() as backend:
        sub1 = backend.find_subscription(tenant_id, "SUB-1")
        agent = backend.find_user(tenant_id, "agent1@acme.example")
        assert sub1 is not None
        assert agent is not None
        changed = subscription_body(
            "SUB-1", start=sub1.start, term_months=48, entitlements=sub1.entitlements
        )
        backend.replace_subscription(tenant_id, sub1.id, changed)
        backend.delete_user(tenant_id, agent.id)

    refresh = project.run("refresh", "--yes", "--diff").stdout

    assert re.search(r"~ term_months\s*: 60 => 48", refresh), refresh
    assert re.search(r"- pulumi-python:dynamic/ccprovider:LicenseAssignment: \(delete\)", refresh)
    steps = steps_by_op(project.preview_json(), ASSIGNMENT_TYPE)
    assert [resource_key(s["urn"]) for s in steps["create"]] == ["agent1@acme.example"]
    project.up()
    project.run("preview", "--expect-no-changes")


def make_the_tenant_by_hand(project: PulumiProject) -> str:
    """acme-e2e as an admin made it in Control Hub: SUB-1, admin 1 and agent 1 mapped to it."""
    with project.backend() as backend:
        made = backend.create_tenant(TenantBody(name="acme-e2e", offer="flex3"))
        sub1 = backend.create_subscription(
            made.id, subscription_body("SUB-1", department="customer-care", term_months=60)
        )
        for email, role, kind in (
            ("admin1@acme.example", "admin", "admin"),
            ("agent1@acme.example", "agent", "standard-agent"),
        ):
            profile = "standard" if role == "agent" else None
            backend.create_user(made.id, UserBody(email=email, role=role, agent_profile=profile))
            assign_license(backend, made.id, email, f"{sub1.id}:{kind}")
    return made.id


def test_existing_objects_are_refused_without_the_opt_in(project: PulumiProject) -> None:
    make_the_tenant_by_hand(project)
    project.declare(tenant())

    up = project.run("up", "--yes", check=False)

    assert up.returncode != 0
    assert "Tenant 'acme-e2e' already exists" in up.stdout
    assert "Set `adopt: true` in ccprovider:tenant" in up.stdout
    with project.backend() as backend:
        assert [t.name for t in backend.list_tenants()] == ["acme-e2e"]


def test_adoption_takes_over_existing_objects_without_duplicates(project: PulumiProject) -> None:
    tenant_id = make_the_tenant_by_hand(project)
    project.declare(tenant(adopt=True))

    project.up()

    with project.backend() as backend:
        assert [t.id for t in backend.list_tenants()] == [tenant_id]
        assert [s.external_id for s in backend.list_subscriptions(tenant_id)] == ["SUB-1"]
        assert sorted(u.email for u in backend.list_users(tenant_id)) == [
            "admin1@acme.example",
            "agent1@acme.example",
        ]
        for email in ("admin1@acme.example", "agent1@acme.example"):
            assert backend.check_access(tenant_id, email).has_access
    project.run("preview", "--expect-no-changes")


def test_adopt_leaves_another_stacks_users_unless_the_tenant_takes_them_over(
    applied: Apply,
) -> None:
    project = applied(tenant())
    other = project.init_stack("other")
    other.declare(tenant(adopt=True))

    refused = other.run("up", "--yes", check=False)
    with project.backend() as backend:
        [live] = backend.list_tenants()
        before = {u.email: u.external_id for u in backend.list_users(live.id)}
    other.declare(tenant(adopt=True, takeOver=True))
    other.up()
    with project.backend() as backend:
        after = {u.email: u.external_id for u in backend.list_users(live.id)}
        taken = backend.get_tenant(live.id)
    dropped = project.run("refresh", "--yes").stdout

    assert refused.returncode != 0
    assert "Tenant 'acme-e2e' is managed by stack ccprovider/e2e" in refused.stdout
    assert "Traceback" not in refused.stdout + refused.stderr
    assert all((mark or "").startswith(f"{project.owner()}#") for mark in before.values())
    assert all((mark or "").startswith(f"{other.owner()}#") for mark in after.values())
    assert taken is not None and taken.managed_by == other.owner()
    # The stack that lost its users sees it on refresh, rather than a quiet preview.
    assert "- 2 deleted" in dropped


def test_a_drift_check_is_quiet_right_after_an_update_and_fails_on_real_drift(
    applied: Apply,
) -> None:
    """`refresh --expect-no-changes` is how a team runs drift detection: right after an
    update it passes, and the next preview plans nothing, outputs included."""
    project = applied(tenant())

    quiet = project.run("refresh", "--yes", "--expect-no-changes", check=False)
    preview = project.run("preview", "--expect-no-changes", "--diff", check=False)

    assert quiet.returncode == 0, quiet.stdout + quiet.stderr
    assert preview.returncode == 0, preview.stdout + preview.stderr
    assert "Outputs:" not in preview.stdout, preview.stdout
    tenant_id = project.outputs()["tenantId"]
    with project.backend() as backend:
        agent = backend.find_user(tenant_id, "agent1@acme.example")
        assert agent is not None
        backend.replace_user(
            tenant_id, agent.id, UserBody(email=agent.email, role="agent", agent_profile="premium")
        )
    drifted = project.run("refresh", "--yes", "--expect-no-changes", "--diff", check=False)

    assert drifted.returncode != 0
    assert re.search(r"~ agent_profile\s*: \"standard\" => \"premium\"", drifted.stdout), (
        drifted.stdout
    )

"""A tenant through its life on the real engine: preview, up, no-op, update, drift, destroy."""

import re
from pathlib import Path

from ccprovider.contract import TenantBody
from ccprovider.domain import Offer
from tests.e2e.harness import (
    TENANT_TYPE,
    Apply,
    PulumiProject,
    changed_properties,
    resource_summary,
    steps_by_op,
)
from tests.readme import commands

ACME = {"name": "acme-e2e", "offer": "flex3", "hybrid": False, "telephony": "webex_calling"}


def test_the_readme_commands_preview_apply_refresh_and_destroy_a_tenant(
    pulumi_cli: str, pulumi_home: Path, tmp_path: Path
) -> None:
    """`scripts/pulumi` on stack dev as the README runs it: the preview creates nothing, the
    update creates the tenant, a refresh finds it as applied, destroy removes it."""
    project = PulumiProject.create(tmp_path / "project", pulumi_home, "dev", new_stack=False)
    project.set_tenant(**ACME)
    select, preview, up, refresh, destroy = commands("pulumi-yourself")

    project.run_readme(select)
    previewed = project.run_readme(preview).stdout
    with project.backend() as backend:
        assert list(backend.list_tenants()) == [], "preview must not create anything"
    assert re.search(r"\+ pulumi-python:dynamic/ccprovider:Tenant: \(create\)", previewed)
    project.run_readme(up)
    outputs = project.outputs()
    with project.backend() as backend:
        tenant = backend.find_tenant("acme-e2e")
    assert tenant is not None
    assert (tenant.offer.value, tenant.hybrid) == ("flex3", False)
    assert outputs["tenantId"] == tenant.id
    [state] = project.state_resources(TENANT_TYPE)
    assert state["outputs"]["created_at"] == tenant.created_at.isoformat()
    [refreshed] = resource_summary(project.run_readme(refresh).stdout)
    assert refreshed.endswith(" unchanged"), refreshed
    project.run_readme(destroy)

    with project.backend() as backend:
        assert list(backend.list_tenants()) == []
    assert project.state_resources(TENANT_TYPE) == []


def test_changing_one_field_updates_exactly_that_field_in_place(applied: Apply) -> None:
    project = applied(ACME)
    tenant_id = project.outputs()["tenantId"]

    project.set_tenant(**{**ACME, "hybrid": True})
    diff = project.run("preview", "--diff").stdout

    assert changed_properties(diff, "Tenant", "update") == ["~ hybrid: false => true"]
    steps = steps_by_op(project.preview_json(), TENANT_TYPE)
    assert list(steps) == ["update"]

    project.up()
    with project.backend() as backend:
        tenant = backend.get_tenant(tenant_id)
    assert tenant is not None
    assert tenant.hybrid is True
    project.run("preview", "--expect-no-changes")


def test_refresh_detects_drift_and_up_restores_the_declaration(applied: Apply) -> None:
    project = applied(ACME)
    tenant_id = project.outputs()["tenantId"]
    with project.backend() as backend:
        live = backend.get_tenant(tenant_id)
        assert live is not None
        backend.replace_tenant(
            tenant_id, TenantBody(name=live.name, offer=Offer.FLEX, hybrid=live.hybrid)
        )

    refresh = project.run("refresh", "--yes", "--diff").stdout

    assert re.search(r"~ offer\s*: \"flex3\" => \"flex\"", refresh), refresh
    [state] = project.state_resources(TENANT_TYPE)
    assert state["outputs"]["offer"] == "flex"
    drifted = project.run("preview", "--expect-no-changes", check=False)
    assert drifted.returncode != 0

    project.up()
    with project.backend() as backend:
        restored = backend.get_tenant(tenant_id)
    assert restored is not None
    assert restored.offer.value == "flex3"
    project.run("preview", "--expect-no-changes")


def test_refresh_drops_a_tenant_removed_from_the_backend(applied: Apply) -> None:
    project = applied(ACME)
    with project.backend() as backend:
        assert backend.delete_tenant(project.outputs()["tenantId"])

    project.run("refresh", "--yes")

    assert project.state_resources(TENANT_TYPE) == []
    steps = steps_by_op(project.preview_json(), TENANT_TYPE)
    assert list(steps) == ["create"]


def test_an_invalid_declaration_fails_preview_naming_the_config_path(
    project: PulumiProject,
) -> None:
    project.set_tenant(**{**ACME, "offer": "flex4"})

    result = project.run("preview", check=False)

    assert result.returncode != 0
    assert "ccprovider:tenant.offer: Input should be 'flex' or 'flex3'" in result.stdout
    assert "Traceback" not in result.stdout


def test_renaming_the_tenant_is_an_update_in_place(applied: Apply) -> None:
    project = applied(ACME)
    tenant_id = project.outputs()["tenantId"]

    project.set_tenant(**{**ACME, "name": "acme-renamed"})
    diff = project.run("preview", "--diff").stdout
    project.up()

    assert changed_properties(diff, "Tenant", "update") == ['~ name: "acme-e2e" => "acme-renamed"']
    with project.backend() as backend:
        renamed = backend.find_tenant("acme-renamed")
    assert renamed is not None
    assert renamed.id == tenant_id

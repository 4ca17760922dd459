"""The program's wiring under `pulumi.runtime.set_mocks`: config in, resources and exports out.

No provider hook runs under mocks; the hooks and the engine are tested elsewhere.
"""

import json
import runpy
from datetime import date
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from ccprovider.args import ContactCenterArgs
from ccprovider.contact_center import ContactCenter
from ccprovider.engine_stop import SHOWN_TO_USER
from tests.helpers import declaration
from tests.readme import snippet

PROGRAM = Path(__file__).resolve().parents[1] / "__main__.py"
DYNAMIC = "pulumi-python:dynamic/ccprovider:"


class RecordingMocks(pulumi.runtime.Mocks):
    """Records every registered resource and answers with inputs plus fake computed ids; a
    tenant's and a subscription's resource id is its backend id, as with the real providers.
    The stack's last outputs, read by the engine's function, are none (a new stack)."""

    def __init__(self) -> None:
        self.resources: dict[str, pulumi.runtime.MockResourceArgs] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        kind = args.typ.removeprefix(DYNAMIC)
        self.resources[f"{kind}:{args.name}"] = args
        computed = {"tenant_id": "tenant-1", "subscription_id": f"id-of-{args.name}"}
        ids = {"Tenant": computed["tenant_id"], "Subscription": computed["subscription_id"]}
        return ids.get(kind, f"{args.name}-id"), {**args.inputs, **computed}

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, []


def run_program(tenant: Any, directory: Path) -> tuple[RecordingMocks, dict[str, Any]]:
    """Run the program under mocks on `tenant` (or the JSON text of one), with its embedded
    backend's database in `directory` (the program reads the provisioning clock); return the
    mocks and the program's globals."""
    mocks = RecordingMocks()
    pulumi.runtime.set_mocks(mocks, project="ccprovider", stack="test", preview=False)
    pulumi.runtime.set_all_config(
        {
            "ccprovider:tenant": tenant if isinstance(tenant, str) else json.dumps(tenant),
            "ccprovider:backendFile": str(directory / "backend.sqlite3"),
        }
    )
    return mocks, runpy.run_path(str(PROGRAM))


@pulumi.runtime.test
def test_the_declaration_becomes_a_tenant_and_its_children(tmp_path: Path) -> pulumi.Output[None]:
    mocks, program = run_program(declaration(), tmp_path)
    center = program["center"]

    def check(_: Any) -> None:
        assert sorted(mocks.resources) == [
            "LicenseAssignment:contact-center-admin1@acme.example",
            "LicenseAssignment:contact-center-agent1@acme.example",
            "PartnerAccess:contact-center-partner-a",
            "PartnerAccess:contact-center-partner-b",
            "StateIdentity:contact-center-state",
            "Subscription:contact-center-SUB-1",
            "Subscription:contact-center-SUB-2",
            "Tenant:contact-center-tenant",
            "ccprovider:index:ContactCenter:contact-center",
        ]
        agent = mocks.resources["LicenseAssignment:contact-center-agent1@acme.example"].inputs
        assert (agent["tenant_id"], agent["subscription"]) == ("tenant-1", "SUB-2")
        assert agent["state"] == "contact-center-state-id"  # marked as this state's
        assert agent["subscription_id"] == "id-of-contact-center-SUB-2"
        sub2 = mocks.resources["Subscription:contact-center-SUB-2"].inputs
        assert (sub2["telephony"], sub2["start"]) == ("webex_calling", "2025-06-01")

    leaves = [p.partner_id for p in center.partners.values()]
    return pulumi.Output.all(*(a.id for a in center.assignments.values()), *leaves).apply(check)


@pulumi.runtime.test
def test_the_computed_outputs_apply_the_rules_to_the_resources_live_outputs(
    tmp_path: Path,
) -> pulumi.Output[None]:
    _, program = run_program(declaration(), tmp_path)
    center = program["center"]

    def check(outputs: list[Any]) -> None:
        primary, pooled, per_subscription, partners = outputs
        assert primary == "SUB-1"
        assert pooled == {"standard_agent": 25, "wfo": 15}
        assert per_subscription == {
            "SUB-1": ["admin1@acme.example"],
            "SUB-2": ["agent1@acme.example"],
        }
        assert partners == {"partner-a": "full_admin", "partner-b": "read_only"}

    return pulumi.Output.all(
        center.primary_subscription,
        center.pooled_entitlements,
        center.users_per_subscription,
        center.partner_access,
    ).apply(check)


@pulumi.runtime.test
def test_users_of_a_team_are_one_bulk_resource_with_subscription_ids(
    tmp_path: Path,
) -> pulumi.Output[None]:
    """The README's declaration with its users in team `care`."""
    tenant = yaml.safe_load(snippet("tenant-declaration"))["config"]["ccprovider:tenant"]
    tenant["users"] = yaml.safe_load(snippet("team-users"))["users"]
    mocks, program = run_program(json.dumps(tenant, default=str), tmp_path)
    center = program["center"]

    def check(_: Any) -> None:
        assert "LicenseAssignment" not in " ".join(mocks.resources)
        team = mocks.resources["TeamAssignments:contact-center-care"].inputs
        assert team["members"] == {
            f"agent{n}@acme.example": {
                "role": "agent",
                "agent_profile": profile,
                "subscription": "SUB-CORE-001",
            }
            for n, profile in ((1, "standard"), (2, "premium"))
        }
        assert team["subscription_ids"] == {"SUB-CORE-001": "id-of-contact-center-SUB-CORE-001"}

    registered = [*(p.partner_id for p in center.partners.values()), center.teams["care"].id]
    return pulumi.Output.all(*registered).apply(check)


@pytest.mark.parametrize(
    ("tenant", "error"),
    [
        (
            declaration(offer="flex4"),
            "invalid tenant declaration:\n"
            "  ccprovider:tenant.offer: Input should be 'flex' or 'flex3'",
        ),
        (
            # Python's JSON reader cannot read it: the engine's does, and hands it on.
            json.dumps(declaration()).replace('"admin1@acme.example"', "[" * 5000 + "]" * 5000),
            "ccprovider:tenant must be an object (name, offer, telephony, ...) of at most 12 "
            "levels of lists and mappings",
        ),
    ],
    ids=["invalid", "too deep to read"],
)
def test_an_invalid_declaration_ends_the_program_with_its_message_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, tenant: Any, error: str
) -> None:
    """The exit code tells the language host the message is shown: it adds none of its own
    ("an unhandled error occurred")."""
    with pytest.raises(SystemExit) as stopped:
        run_program(tenant, tmp_path)

    assert stopped.value.code == SHOWN_TO_USER
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [error]


@pulumi.runtime.test
def test_a_thousand_partners_are_declared(tmp_path: Path) -> pulumi.Output[None]:
    """Every partner after the first waits for the first alone: a chain of a thousand
    dependencies overflowed the SDK's recursive walk of them."""
    partners = [{"org": f"partner-{i}", "access": "read_only"} for i in range(1000)]
    _, program = run_program(declaration(partners=partners), tmp_path)
    center: ContactCenter = program["center"]

    def check(access: dict[str, str]) -> None:
        assert sorted(access) == sorted(p["org"] for p in partners)

    return center.partner_access.apply(check)


@pulumi.runtime.test
def test_two_tenants_in_one_program_name_their_children_apart() -> pulumi.Output[None]:
    mocks = RecordingMocks()
    pulumi.runtime.set_mocks(mocks, project="ccprovider", stack="test", preview=False)
    today = date(2026, 6, 1)
    blue = ContactCenter(
        "blue", ContactCenterArgs.from_declaration(declaration(name="acme-blue")), today=today
    )
    green = ContactCenter(
        "green", ContactCenterArgs.from_declaration(declaration(name="acme-green")), today=today
    )

    def check(_: Any) -> None:
        subscriptions = sorted(k for k in mocks.resources if k.startswith("Subscription:"))
        assert subscriptions == [
            "Subscription:blue-SUB-1",
            "Subscription:blue-SUB-2",
            "Subscription:green-SUB-1",
            "Subscription:green-SUB-2",
        ]
        assert mocks.resources["Tenant:green-tenant"].inputs["name"] == "acme-green"
        green_agent = mocks.resources["LicenseAssignment:green-agent1@acme.example"].inputs
        assert green_agent["subscription_id"] == "id-of-green-SUB-2"

    # Wait for every resource the check reads: each tenant's subscriptions register on
    # their own, after their tenant.
    subscriptions = [s.id for center in (blue, green) for s in center.subscriptions.values()]
    registered = [blue.tenant.id, *subscriptions, green.assignments["agent1@acme.example"].id]
    return pulumi.Output.all(*registered).apply(check)

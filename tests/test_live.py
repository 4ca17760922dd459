"""What the program reads from the backend before it declares anything, and the stack
outputs it computes from the resources' live outputs."""

from datetime import date
from typing import Any

import pytest
import requests_mock

from ccprovider.client import ProvisioningClient
from ccprovider.connection import ConnectionSettings
from ccprovider.contact_center import TenantView
from ccprovider.live import LiveReadError, adoption_notices, read, tenant_label
from tests.helpers import ENDPOINT, subscription_fields, vendor_error, wire

EXISTING = {
    "tenant": ["acme-dev"],
    "subscription": ["SUB-1", "SUB-2"],
    "user": ["admin1@acme.example", "agent1@acme.example"],
}


def test_a_new_stack_takes_over_every_existing_object_one_line_per_kind() -> None:
    assert adoption_notices(EXISTING, {}) == [
        "adopt: takes over 1 existing tenant(s) rather than creating them: acme-dev",
        "adopt: takes over 2 existing subscription(s) rather than creating them: SUB-1, SUB-2",
        "adopt: takes over 2 existing user(s) rather than creating them: "
        "admin1@acme.example, agent1@acme.example",
    ]


def test_objects_the_last_update_managed_are_not_taken_over_again() -> None:
    last = {
        "tenantName": "acme-dev",
        "usersPerSubscription": {"SUB-1": ["admin1@acme.example"]},
        "partnerAccess": {"partner-a": "read_only"},
    }
    existing = {**EXISTING, "partner": ["partner-a", "partner-b"]}

    assert adoption_notices(existing, last) == [
        "adopt: takes over 1 existing subscription(s) rather than creating them: SUB-2",
        "adopt: takes over 1 existing user(s) rather than creating them: agent1@acme.example",
        "adopt: takes over 1 existing partner(s) rather than creating them: partner-b",
    ]


@pytest.mark.parametrize(
    ("declared", "label"),
    [({"name": "acme-dev"}, "Tenant 'acme-dev'"), ({"name": 7}, "Tenant"), ([], "Tenant")],
)
def test_the_tenant_is_named_before_its_declaration_is_validated(declared: Any, label: str) -> None:
    assert tenant_label(declared) == label


def test_a_refused_read_becomes_one_line_naming_the_tenant_the_cause_and_the_fix() -> None:
    settings = ConnectionSettings(endpoint=ENDPOINT, token="wrong")
    client = ProvisioningClient(ENDPOINT, "wrong")
    with requests_mock.Mocker() as mock:
        refused = vendor_error("No valid bearer token.", tracking_id="t-9")
        mock.get(f"{ENDPOINT}/v1/simulator/tenants", status_code=401, json=wire(refused))
        with pytest.raises(LiveReadError) as failure:
            read("Tenant 'acme-dev'", settings, client.today)

    message = str(failure.value)
    assert message.startswith(
        f"Tenant 'acme-dev': {ENDPOINT} answered GET /v1/simulator/tenants with 401: "
        "No valid bearer"
    )
    assert "trackingId t-9" in message
    assert "pulumi config set --secret ccprovider:token" in message
    assert "\n" not in message


def live_terms(external_id: str, start: str, status: str, standard_agents: int) -> dict[str, Any]:
    """A subscription's terms and status as its resource's outputs hold them."""
    entitlements = {"standard_agents": standard_agents}
    fields = subscription_fields(
        external_id, start=date.fromisoformat(start), entitlements=entitlements
    )
    return {**fields, "status": status}


def test_the_outputs_follow_the_live_status_and_the_provisioning_date() -> None:
    found = {
        "subscriptions": [
            live_terms("SUB-OLD", "2023-01-01", "cancelled", 50),
            live_terms("SUB-1", "2025-01-01", "active", 10),
            live_terms("SUB-2", "2024-07-01", "active", 5),
        ],
        "mappings": [{"email": "admin1@acme.example", "subscription": "SUB-1"}],
        "teams": [
            {
                "members": {
                    "agent1@acme.example": {"role": "agent", "subscription": "SUB-OLD"},
                    "agent2@acme.example": {"role": "agent", "subscription": "SUB-2"},
                }
            }
        ],
        "partners": [{"org": "partner-a", "access": "read_only"}],
    }

    # SUB-2 (36 months from 2024-07-01) ends on 2027-07-01, 20 days after this date.
    view = TenantView.of(found, date(2027, 6, 11), warning_days=30)

    assert view.primary == "SUB-2"  # the oldest active one: SUB-OLD was cancelled
    assert view.pooled == {"standard_agent": 15}
    assert view.users_per_subscription == {
        "SUB-OLD": ["agent1@acme.example"],
        "SUB-1": ["admin1@acme.example"],
        "SUB-2": ["agent2@acme.example"],
    }
    assert [(u["email"], u["canMoveTo"]) for u in view.expiring_users] == [
        ("agent1@acme.example", ["SUB-1", "SUB-2"]),
        ("agent2@acme.example", ["SUB-1"]),
    ]
    assert view.expiring_users[0]["reason"] == "was cancelled"
    assert view.partner_access == {"partner-a": "read_only"}

"""Partner access in the backend: domain rule 7, read-only first for an additional partner."""

from datetime import date

import pytest
import requests

from ccprovider.client import ProvisioningClient
from ccprovider.contract import PartnerBody
from tests.helpers import assert_vendor_error, assign_license, subscription_body, user_body


@pytest.fixture
def two_subscriptions_and_an_admin(
    client: ProvisioningClient, tenant_id: str, clock_today: date
) -> str:
    """A tenant with two active subscriptions, customer admin admin1 and partner-a."""
    sub1 = client.create_subscription(tenant_id, subscription_body("SUB-1"))
    client.create_subscription(tenant_id, subscription_body("SUB-2", start=date(2025, 6, 1)))
    client.create_user(tenant_id, user_body("admin1@acme.example", role="admin"))
    assign_license(client, tenant_id, "admin1@acme.example", f"{sub1.id}:admin")
    client.create_partner(tenant_id, PartnerBody(org="partner-a", access="full_admin"))
    return tenant_id


def partners_url(client: ProvisioningClient, tenant_id: str) -> str:
    return f"{client.base_url}/v1/simulator/tenants/{tenant_id}/partners"


def test_the_first_partner_may_be_full_admin(client: ProvisioningClient, tenant_id: str) -> None:
    partner = client.create_partner(tenant_id, PartnerBody(org="partner-a", access="full_admin"))

    assert partner.access == "full_admin"


def test_a_second_partner_must_start_read_only(
    client: ProvisioningClient, two_subscriptions_and_an_admin: str
) -> None:
    tenant_id = two_subscriptions_and_an_admin

    response = requests.post(
        partners_url(client, tenant_id),
        json={"org": "partner-b", "access": "full_admin", "approvedBy": "admin1@acme.example"},
        timeout=10,
    )

    assert_vendor_error(response, 409, "partner-b", "must start with read-only access")
    assert [p.org for p in client.list_partners(tenant_id)] == ["partner-a"]


def test_full_admin_for_a_second_partner_needs_a_customer_admins_approval(
    client: ProvisioningClient, two_subscriptions_and_an_admin: str
) -> None:
    tenant_id = two_subscriptions_and_an_admin
    partner = client.create_partner(tenant_id, PartnerBody(org="partner-b", access="read_only"))
    url = f"{partners_url(client, tenant_id)}/{partner.id}"

    unapproved = requests.put(url, json={"org": "partner-b", "access": "full_admin"}, timeout=10)
    stranger = requests.put(
        url,
        json={"org": "partner-b", "access": "full_admin", "approvedBy": "agent9@acme.example"},
        timeout=10,
    )
    approved = requests.put(
        url,
        json={"org": "partner-b", "access": "full_admin", "approvedBy": "admin1@acme.example"},
        timeout=10,
    )

    assert_vendor_error(unapproved, 409, "none is recorded", "admin1@acme.example")
    assert_vendor_error(stranger, 409, "'agent9@acme.example' is not a customer admin")
    assert approved.status_code == 200
    assert approved.json()["access"] == "full_admin"


def test_a_duplicate_partner_is_refused(
    client: ProvisioningClient, two_subscriptions_and_an_admin: str
) -> None:
    response = requests.post(
        partners_url(client, two_subscriptions_and_an_admin),
        json={"org": "partner-a", "access": "read_only"},
        timeout=10,
    )

    assert_vendor_error(response, 409, "partner-a already has access")

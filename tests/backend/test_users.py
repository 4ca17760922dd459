"""Users, license assignment (the vendor's PATCH with 206 on partial success) and access,
including the domain document's remap-before-expiry example on the simulated clock."""

from datetime import date
from typing import Any

import pytest
import requests

from ccprovider.api_errors import ApiError
from ccprovider.client import ProvisioningClient
from ccprovider.contract import ClockChange, LicenseOperation, Subscription
from ccprovider.scim_contract import CONTACT_CENTER_SCHEMA, USER_SCHEMA
from tests.helpers import (
    assert_vendor_error,
    assign_license,
    change,
    subscription_body,
    user_body,
)


def add(license_id: str) -> LicenseOperation:
    return LicenseOperation(id=license_id, operation="add")


def remove(license_id: str) -> LicenseOperation:
    return LicenseOperation(id=license_id, operation="remove")


@pytest.fixture
def sub1(client: ProvisioningClient, tenant_id: str, clock_today: date) -> Subscription:
    """SUB-1, active on the test clock until 2026-07-01."""
    body = subscription_body("SUB-1", start=date(2023, 7, 1), term_months=36)
    return client.create_subscription(tenant_id, body)


@pytest.fixture
def sub2(client: ProvisioningClient, tenant_id: str, clock_today: date) -> Subscription:
    """SUB-2, added while SUB-1 is about to expire."""
    body = subscription_body("SUB-2", start=date(2026, 3, 1), term_months=24)
    return client.create_subscription(tenant_id, body)


def scim_users(client: ProvisioningClient, tenant_id: str) -> str:
    return f"{client.base_url}/identity/scim/{tenant_id}/v2/Users"


def scim_user(email: str, **role: str) -> dict[str, Any]:
    """A SCIM user to create: `role` is their contact-center role and agent profile."""
    return {"schemas": [USER_SCHEMA], "userName": email, CONTACT_CENTER_SCHEMA: role}


@pytest.mark.both_engines
def test_users_are_unique_by_email_case_insensitively(
    client: ProvisioningClient, tenant_id: str
) -> None:
    client.create_user(tenant_id, user_body("agent1@acme.example"))

    response = requests.post(
        scim_users(client, tenant_id),
        json=scim_user("Agent1@ACME.example", role="agent", agentProfile="premium"),
        timeout=10,
    )

    assert_vendor_error(response, 409, "agent1@acme.example already exists")


def test_a_user_whose_address_reads_as_another_users_is_refused_until_that_user_goes(
    client: ProvisioningClient, tenant_id: str
) -> None:
    first = client.create_user(tenant_id, user_body("agent1@acme.example"))
    url = scim_users(client, tenant_id)
    twin = scim_user("agentl@acme.example", role="agent", agentProfile="premium")

    response = requests.post(url, json=twin, timeout=10)

    assert_vendor_error(
        response,
        409,
        f"User agentl@acme.example reads the same as existing user agent1@acme.example "
        f"(id {first.id}).",
    )
    assert client.find_user(tenant_id, "agentl@acme.example") is None
    client.delete_user(tenant_id, first.id)
    assert requests.post(url, json=twin, timeout=10).status_code == 201


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (scim_user("not-an-email", role="agent", agentProfile="standard"), "userName"),
        (scim_user("a@acme.example", role="agent"), "an agent needs agentProfile"),
        (
            scim_user("a@acme.example", role="admin", agentProfile="premium"),
            "agentProfile applies to agents only",
        ),
        (scim_user("a@acme.example", role="owner"), "role"),
    ],
)
def test_invalid_users_are_refused(
    client: ProvisioningClient, tenant_id: str, body: dict[str, Any], fragment: str
) -> None:
    response = requests.post(scim_users(client, tenant_id), json=body, timeout=10)

    assert_vendor_error(response, 400, fragment)


def test_assigning_a_license_gives_access_through_its_subscription(
    client: ProvisioningClient, tenant_id: str, sub1: Subscription
) -> None:
    client.create_user(tenant_id, user_body("agent1@acme.example"))
    assert client.check_access(tenant_id, "agent1@acme.example").has_access is False

    user, failures = change(
        client, tenant_id, "agent1@acme.example", add(f"{sub1.id}:standard-agent")
    )

    assert failures == []
    assert user.subscription_id == sub1.id
    access = client.check_access(tenant_id, "agent1@acme.example")
    assert (access.has_access, access.external_id) == (True, "SUB-1")


def test_a_user_holds_one_subscription_at_a_time(
    client: ProvisioningClient, tenant_id: str, sub1: Subscription, sub2: Subscription
) -> None:
    client.create_user(tenant_id, user_body("agent1@acme.example"))
    assign_license(client, tenant_id, "agent1@acme.example", f"{sub1.id}:standard-agent")

    user, failures = change(
        client, tenant_id, "agent1@acme.example", add(f"{sub2.id}:standard-agent")
    )

    assert user.licenses == [f"{sub1.id}:standard-agent"]
    [failure] = failures
    assert "one contact-center subscription per user" in failure


def test_switching_subscription_in_one_patch_never_drops_access(
    client: ProvisioningClient, tenant_id: str, sub1: Subscription, sub2: Subscription
) -> None:
    """Domain rule 6 in one call: add the new license and remove the old one, in any order."""
    client.create_user(tenant_id, user_body("agent1@acme.example"))
    assign_license(client, tenant_id, "agent1@acme.example", f"{sub1.id}:standard-agent")

    user, failures = change(
        client,
        tenant_id,
        "agent1@acme.example",
        add(f"{sub2.id}:standard-agent"),
        remove(f"{sub1.id}:standard-agent"),
    )

    assert failures == []
    assert user.licenses == [f"{sub2.id}:standard-agent"]
    assert client.check_access(tenant_id, "agent1@acme.example").external_id == "SUB-2"


def test_a_license_of_an_expired_subscription_cannot_be_assigned(
    client: ProvisioningClient, tenant_id: str, clock_today: date
) -> None:
    old = client.create_subscription(
        tenant_id, subscription_body("OLD", start=date(2020, 1, 1), term_months=12)
    )
    client.create_user(tenant_id, user_body("admin1@acme.example", role="admin"))

    user, failures = change(client, tenant_id, "admin1@acme.example", add(f"{old.id}:admin"))

    assert user.licenses == []
    [failure] = failures
    assert "Subscription OLD cannot give access: it expired on 2021-01-01" in failure


def test_users_lose_access_when_their_only_subscription_expires_unless_remapped(
    client: ProvisioningClient, tenant_id: str, sub1: Subscription, sub2: Subscription
) -> None:
    """Domain rule 5: admin 1 and agent 1 keep access only if remapped to subscription 2."""
    people = {
        "admin1@acme.example": ("admin", "admin"),
        "agent1@acme.example": ("agent", "standard-agent"),
        "stays@acme.example": ("agent", "standard-agent"),
    }
    for email, (role, kind) in people.items():
        client.create_user(tenant_id, user_body(email, role=role))
        change(client, tenant_id, email, add(f"{sub1.id}:{kind}"))
    for email in ("admin1@acme.example", "agent1@acme.example"):
        kind = people[email][1]
        change(client, tenant_id, email, add(f"{sub2.id}:{kind}"), remove(f"{sub1.id}:{kind}"))

    client.change_clock(ClockChange(advance_days=31))  # past SUB-1's end, 2026-07-01

    for email in ("admin1@acme.example", "agent1@acme.example"):
        access = client.check_access(tenant_id, email)
        assert (access.has_access, access.external_id) == (True, "SUB-2")
    stranded = client.check_access(tenant_id, "stays@acme.example")
    assert stranded.has_access is False
    assert stranded.reason == "subscription SUB-1 expired on 2026-07-01"


def test_a_subscription_carrying_users_cannot_be_deleted(
    client: ProvisioningClient, tenant_id: str, sub1: Subscription
) -> None:
    client.create_user(tenant_id, user_body("agent1@acme.example"))
    assign_license(client, tenant_id, "agent1@acme.example", f"{sub1.id}:standard-agent")

    response = requests.delete(
        f"{client.base_url}/v1/simulator/tenants/{tenant_id}/subscriptions/{sub1.id}", timeout=10
    )

    assert_vendor_error(response, 409, "SUB-1 still carries 1 user(s): agent1@acme.example")


def test_changing_a_users_profile_switches_their_license_in_the_same_subscription(
    client: ProvisioningClient, tenant_id: str, sub1: Subscription
) -> None:
    user = client.create_user(tenant_id, user_body("agent1@acme.example"))
    assign_license(client, tenant_id, "agent1@acme.example", f"{sub1.id}:standard-agent")

    changed = client.replace_user(
        tenant_id, user.id, user_body("agent1@acme.example", profile="premium")
    )

    assert changed.licenses == [f"{sub1.id}:premium-agent"]
    assert client.check_access(tenant_id, "agent1@acme.example").has_access is True


def test_a_profile_change_on_an_expired_subscription_is_refused(
    client: ProvisioningClient, tenant_id: str, sub1: Subscription
) -> None:
    user = client.create_user(tenant_id, user_body("agent1@acme.example"))
    assign_license(client, tenant_id, "agent1@acme.example", f"{sub1.id}:standard-agent")
    client.change_clock(ClockChange(advance_days=60))

    with pytest.raises(ApiError, match="expired on 2026-07-01: it cannot switch"):
        client.replace_user(tenant_id, user.id, user_body("agent1@acme.example", role="supervisor"))


def test_access_of_an_unknown_user_is_404(client: ProvisioningClient, tenant_id: str) -> None:
    response = requests.get(
        f"{client.base_url}/v1/simulator/tenants/{tenant_id}/access",
        params={"email": "ghost@acme.example"},
        timeout=10,
    )

    assert_vendor_error(response, 404, "ghost@acme.example")


@pytest.mark.both_engines
def test_users_list_in_pages(client: ProvisioningClient, tenant_id: str) -> None:
    emails = [f"agent{i}@acme.example" for i in range(7)]
    for email in emails:
        client.create_user(tenant_id, user_body(email))

    assert [u.email for u in client.list_users(tenant_id, page_size=3)] == emails
    assert client.find_user(tenant_id, "AGENT3@acme.example") is not None


@pytest.mark.both_engines
def test_a_switch_whose_addition_fails_keeps_the_old_license(
    client: ProvisioningClient, tenant_id: str, sub1: Subscription
) -> None:
    client.create_user(tenant_id, user_body("agent1@acme.example"))
    assign_license(client, tenant_id, "agent1@acme.example", f"{sub1.id}:standard-agent")

    ended = client.create_subscription(
        tenant_id, subscription_body("OLD", start=date(2020, 1, 1), term_months=12)
    )

    user, failures = change(
        client,
        tenant_id,
        "agent1@acme.example",
        remove(f"{sub1.id}:standard-agent"),
        add(f"{ended.id}:standard-agent"),
    )

    assert user.licenses == [f"{sub1.id}:standard-agent"]
    assert "Subscription OLD cannot give access: it expired on 2021-01-01" in "".join(failures)
    assert client.check_access(tenant_id, "agent1@acme.example").has_access is True


def test_a_user_is_found_by_any_form_of_their_address(
    client: ProvisioningClient, tenant_id: str
) -> None:
    created = client.create_user(tenant_id, user_body("\uff41gent1@acme.example"))

    found = client.find_user(tenant_id, "AGENT1@acme.example")

    assert created.email == "agent1@acme.example"
    assert found is not None
    assert found.id == created.id
    assert not client.check_access(tenant_id, "Agent1@ACME.example").has_access


def test_a_create_sent_again_shows_the_licenses_the_user_was_given_since(
    client: ProvisioningClient, tenant_id: str, sub1: Subscription
) -> None:
    """A new user holds no license, so the client reads none; a create sent again (a rerun
    after a kill) answers the user as they are, and the client reads what they hold."""
    body = user_body("agent0@acme.example")
    created = client.create_user(tenant_id, body, salt="run-1")
    assign_license(client, tenant_id, "agent0@acme.example", f"{sub1.id}:standard-agent")

    again = client.create_user(tenant_id, body, salt="run-1")

    assert created.licenses == []
    assert again.id == created.id
    assert again.licenses == [f"{sub1.id}:standard-agent"]

"""Subscriptions in the backend: the vendor's license-model rule, its silence on telephony,
status and primacy on the simulated clock."""

from datetime import date

import requests

from ccprovider.api_errors import ApiError
from ccprovider.client import ProvisioningClient
from ccprovider.contract import ClockChange, Tenant
from ccprovider.domain import SubscriptionStatus
from tests.helpers import assert_vendor_error, assign_license, subscription_body, user_body


def live_tenant(client: ProvisioningClient, tenant_id: str) -> Tenant:
    """The tenant as the backend holds it now."""
    tenant = client.get_tenant(tenant_id)
    assert tenant is not None
    return tenant


def subscriptions_url(client: ProvisioningClient, tenant_id: str) -> str:
    return f"{client.base_url}/v1/simulator/tenants/{tenant_id}/subscriptions"


def test_create_computes_end_status_and_primacy(
    client: ProvisioningClient, tenant_id: str, clock_today: date
) -> None:
    body = subscription_body("SUB-CORE-001").model_dump(mode="json", by_alias=True)

    response = requests.post(subscriptions_url(client, tenant_id), json=body, timeout=10)

    assert response.status_code == 201
    created = response.json()
    assert {k: created[k] for k in body} == body
    assert created["endDate"] == "2028-01-01"
    assert (created["status"], created["isPrimary"], created["cancelled"]) == (
        "active",
        True,
        False,
    )
    assert response.headers["Location"].endswith(f"/subscriptions/{created['id']}")


def test_a_duplicate_external_id_is_refused(client: ProvisioningClient, tenant_id: str) -> None:
    client.create_subscription(tenant_id, subscription_body("SUB-1"))

    response = requests.post(
        subscriptions_url(client, tenant_id),
        json=subscription_body("SUB-1").model_dump(mode="json", by_alias=True),
        timeout=10,
    )

    assert_vendor_error(response, 409, "SUB-1 already exists")


def test_mixing_license_models_is_refused_and_changes_nothing(
    client: ProvisioningClient, tenant_id: str
) -> None:
    client.create_subscription(tenant_id, subscription_body("SUB-1"))
    mixed = subscription_body("SUB-2", license_model="concurrent")

    response = requests.post(
        subscriptions_url(client, tenant_id),
        json=mixed.model_dump(mode="json", by_alias=True),
        timeout=10,
    )

    assert_vendor_error(
        response, 409, "SUB-2 is concurrent", "named (as on SUB-1)", "cannot be mixed"
    )
    assert [s.external_id for s in client.list_subscriptions(tenant_id)] == ["SUB-1"]


def test_changing_the_license_model_of_one_of_several_is_refused(
    client: ProvisioningClient, tenant_id: str
) -> None:
    client.create_subscription(tenant_id, subscription_body("SUB-1"))
    second = client.create_subscription(tenant_id, subscription_body("SUB-2"))

    try:
        client.replace_subscription(
            tenant_id, second.id, subscription_body("SUB-2", license_model="concurrent")
        )
    except ApiError as error:
        assert error.status == 409
    else:
        raise AssertionError("the license model change must be refused")


def test_the_only_subscription_may_change_its_license_model(
    client: ProvisioningClient, tenant_id: str
) -> None:
    only = client.create_subscription(tenant_id, subscription_body("SUB-1"))

    changed = client.replace_subscription(
        tenant_id, only.id, subscription_body("SUB-1", license_model="concurrent")
    )

    assert changed.license_model == "concurrent"


def test_a_telephony_mismatch_is_accepted_silently_as_the_vendor_does(
    client: ProvisioningClient, tenant_id: str
) -> None:
    client.create_subscription(tenant_id, subscription_body("SUB-1", telephony="vpop"))

    second = client.create_subscription(
        tenant_id, subscription_body("SUB-2", telephony="pstn_bundled")
    )

    assert second.telephony == "pstn_bundled"
    assert live_tenant(client, tenant_id).telephony == "vpop"


def test_external_id_cannot_change(client: ProvisioningClient, tenant_id: str) -> None:
    created = client.create_subscription(tenant_id, subscription_body("SUB-1"))

    response = requests.put(
        f"{subscriptions_url(client, tenant_id)}/{created.id}",
        json=subscription_body("SUB-9").model_dump(mode="json", by_alias=True),
        timeout=10,
    )

    assert_vendor_error(response, 400, "externalId cannot change")


def test_status_and_primary_follow_the_simulated_clock(
    client: ProvisioningClient, tenant_id: str, clock_today: date
) -> None:
    """Domain rule 2: the primary moves to subscription 2 when subscription 1 expires."""
    sub1 = client.create_subscription(
        tenant_id, subscription_body("SUB-1", start=date(2023, 7, 1), term_months=36)
    )
    sub2 = client.create_subscription(
        tenant_id, subscription_body("SUB-2", start=date(2026, 3, 1), term_months=24)
    )
    later = client.create_subscription(
        tenant_id, subscription_body("SUB-3", start=date(2026, 9, 1), term_months=12)
    )
    assert (sub1.is_primary, sub2.is_primary) == (True, False)
    assert later.status is SubscriptionStatus.PENDING

    client.change_clock(ClockChange(advance_days=31))  # 2026-07-02: SUB-1 ended 2026-07-01

    expired = client.get_subscription(tenant_id, sub1.id)
    primary = client.get_subscription(tenant_id, sub2.id)
    assert expired is not None
    assert primary is not None
    assert (expired.status, expired.is_primary) == (SubscriptionStatus.EXPIRED, False)
    assert (primary.status, primary.is_primary) == (SubscriptionStatus.ACTIVE, True)
    assert live_tenant(client, tenant_id).primary_subscription == "SUB-2"


def test_cancelling_moves_the_primary(
    client: ProvisioningClient, tenant_id: str, clock_today: date
) -> None:
    sub1 = client.create_subscription(tenant_id, subscription_body("SUB-1"))
    client.create_subscription(tenant_id, subscription_body("SUB-2", start=date(2025, 6, 1)))

    cancelled = client.cancel_subscription(tenant_id, sub1.id)

    assert (cancelled.status, cancelled.is_primary) == (SubscriptionStatus.CANCELLED, False)
    assert live_tenant(client, tenant_id).primary_subscription == "SUB-2"


def test_find_by_external_id(client: ProvisioningClient, tenant_id: str) -> None:
    created = client.create_subscription(tenant_id, subscription_body("SUB-1"))

    assert client.find_subscription(tenant_id, "SUB-1") == created
    assert client.find_subscription(tenant_id, "SUB-404") is None


def test_subscriptions_of_an_unknown_tenant_are_404(client: ProvisioningClient) -> None:
    response = requests.get(subscriptions_url(client, "no-such-tenant"), timeout=10)

    assert_vendor_error(response, 404, "no-such-tenant")


def test_invalid_terms_name_the_field(client: ProvisioningClient, tenant_id: str) -> None:
    body = subscription_body("SUB-1").model_dump(mode="json", by_alias=True)
    cases = [
        ({**body, "licenseModel": "floating"}, "licenseModel"),
        ({**body, "telephony": "carrier-pigeon"}, "telephony"),
        ({**body, "termMonths": 0}, "termMonths"),
        ({**body, "start": "2025-02-30"}, "start"),
        ({**body, "entitlements": {"standardAgents": -1}}, "entitlements.standardAgents"),
        ({**body, "externalId": "has spaces"}, "externalId"),
    ]
    for invalid, field in cases:
        response = requests.post(subscriptions_url(client, tenant_id), json=invalid, timeout=10)
        assert_vendor_error(response, 400, field)
    assert list(client.list_subscriptions(tenant_id)) == []


def test_the_tenant_follows_its_subscriptions_in_force_when_the_first_goes(
    client: ProvisioningClient, tenant_id: str
) -> None:
    first = client.create_subscription(tenant_id, subscription_body("SUB-1", telephony="vpop"))
    client.create_subscription(tenant_id, subscription_body("SUB-2", telephony="pstn_bundled"))

    client.delete_subscription(tenant_id, first.id)

    assert live_tenant(client, tenant_id).telephony == "pstn_bundled"


def test_a_tenant_whose_named_order_was_replaced_takes_concurrent_ones(
    client: ProvisioningClient, tenant_id: str
) -> None:
    named = client.create_subscription(tenant_id, subscription_body("SUB-1"))
    client.delete_subscription(tenant_id, named.id)
    client.create_subscription(tenant_id, subscription_body("SUB-1", license_model="concurrent"))

    second = client.create_subscription(
        tenant_id, subscription_body("SUB-2", license_model="concurrent")
    )

    assert second.license_model == "concurrent"
    assert live_tenant(client, tenant_id).license_model == "concurrent"


def test_the_tenant_follows_a_telephony_changed_by_put(
    client: ProvisioningClient, tenant_id: str
) -> None:
    only = client.create_subscription(tenant_id, subscription_body("SUB-1", telephony="vpop"))

    client.replace_subscription(
        tenant_id, only.id, subscription_body("SUB-1", telephony="webex_calling")
    )

    assert live_tenant(client, tenant_id).telephony == "webex_calling"


def test_an_expired_order_no_longer_decides_the_license_model(
    client: ProvisioningClient, tenant_id: str, clock_today: date
) -> None:
    # SUB-OLD (named, 36 months from 2023-01-01) ended on 2026-01-01, before clock_today.
    client.create_subscription(tenant_id, subscription_body("SUB-OLD", start=date(2023, 1, 1)))

    fresh = client.create_subscription(
        tenant_id, subscription_body("SUB-2", license_model="concurrent", start=clock_today)
    )

    assert fresh.license_model == "concurrent"
    assert live_tenant(client, tenant_id).license_model == "concurrent"


def test_terms_that_would_end_a_subscription_carrying_users_are_refused(
    client: ProvisioningClient, tenant_id: str, clock_today: date
) -> None:
    sub = client.create_subscription(tenant_id, subscription_body("SUB-1"))
    client.create_user(tenant_id, user_body("agent1@acme.example"))
    assign_license(client, tenant_id, "agent1@acme.example", f"{sub.id}:standard-agent")
    ended = subscription_body("SUB-1", start=date(2023, 1, 1))

    response = requests.put(
        f"{subscriptions_url(client, tenant_id)}/{sub.id}",
        json=ended.model_dump(mode="json", by_alias=True),
        timeout=10,
    )

    assert_vendor_error(response, 409, "SUB-1 still carries 1 user(s)", "expired on 2026-01-01")
    live = client.get_subscription(tenant_id, sub.id)
    assert live is not None
    assert (live.start, live.status) == (date(2025, 1, 1), SubscriptionStatus.ACTIVE)


def test_a_first_order_in_force_after_an_expiry_is_chosen_once(
    client: ProvisioningClient, tenant_id: str, clock_today: date
) -> None:
    # SUB-OLD (webex_calling) ended before clock_today: no subscription is in force.
    old = subscription_body("SUB-OLD", start=date(2023, 1, 1))
    client.create_subscription(tenant_id, old)
    _, version = client.get_tenant_version(tenant_id)

    first = client.create_subscription(
        tenant_id, subscription_body("SUB-A", start=clock_today), if_match=version
    )
    second = requests.post(
        subscriptions_url(client, tenant_id),
        json=subscription_body("SUB-B", start=clock_today, telephony="pstn_bundled").model_dump(
            mode="json", by_alias=True
        ),
        headers={"If-Match": f'"{version}"'},
        timeout=10,
    )

    assert first.external_id == "SUB-A"
    assert_vendor_error(second, 412)
    assert live_tenant(client, tenant_id).telephony == "webex_calling"

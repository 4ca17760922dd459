"""Every kind of object through get, ETag, delete and 404, and the API's published surface."""

from collections.abc import Callable
from datetime import date

import pytest
import requests

from ccprovider.client import ProvisioningClient
from ccprovider.contract import ClockChange, PartnerBody, TenantBody
from tests.helpers import assert_vendor_error, subscription_body

Create = Callable[[ProvisioningClient, str], str]

KINDS: dict[str, Create] = {
    "subscriptions": lambda c, t: c.create_subscription(t, subscription_body("SUB-1")).id,
    "partners": lambda c, t: (
        c.create_partner(t, PartnerBody(org="partner-a", access="read_only")).id
    ),
}


@pytest.mark.parametrize("kind", KINDS)
def test_get_carries_an_etag_and_delete_answers_204_then_404(
    client: ProvisioningClient, tenant_id: str, kind: str
) -> None:
    object_id = KINDS[kind](client, tenant_id)
    url = f"{client.base_url}/v1/simulator/tenants/{tenant_id}/{kind}/{object_id}"

    fetched = requests.get(url, timeout=10)
    stale = requests.delete(url, headers={"If-Match": '"7"'}, timeout=10)
    deleted = requests.delete(url, headers={"If-Match": fetched.headers["ETag"]}, timeout=10)

    assert fetched.status_code == 200
    assert fetched.json()["id"] == object_id
    assert fetched.headers["ETag"] == '"1"'
    assert_vendor_error(stale, 412)
    assert deleted.status_code == 204
    assert_vendor_error(requests.get(url, timeout=10), 404, object_id)
    assert_vendor_error(requests.delete(url, timeout=10), 404)


@pytest.mark.parametrize("kind", KINDS)
def test_objects_of_another_tenant_are_not_found(client: ProvisioningClient, kind: str) -> None:
    first = client.create_tenant(TenantBody(name="tenant-a", offer="flex")).id
    other = client.create_tenant(TenantBody(name="tenant-b", offer="flex")).id
    object_id = KINDS[kind](client, first)

    response = requests.get(
        f"{client.base_url}/v1/simulator/tenants/{other}/{kind}/{object_id}", timeout=10
    )

    assert_vendor_error(response, 404)


def test_the_clock_reads_and_moves(client: ProvisioningClient, clock_today: date) -> None:
    assert client.clock().today == clock_today

    moved = client.change_clock(ClockChange(advance_days=10))

    assert moved.today == date(2026, 6, 11)
    assert client.clock().today == date(2026, 6, 11)


def test_every_answer_is_dated_by_the_simulated_clock(
    client: ProvisioningClient, clock_today: date
) -> None:
    refused = requests.get(f"{client.base_url}/v1/simulator/tenants/no-such-tenant", timeout=10)
    assert client.today() == clock_today

    client.change_clock(ClockChange(advance_days=100))

    assert client.today() == date(2026, 9, 9)
    # One `Date` per answer, errors included: the server's own header gives way to it.
    [dated] = refused.raw.headers.getlist("Date")
    assert dated.startswith("Mon, 01 Jun 2026 12:00:")


def test_the_published_api_surface(backend_url: str) -> None:
    schema = requests.get(f"{backend_url}/openapi.json", timeout=10).json()
    surface = {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
    }

    tenant = "/v1/simulator/tenants/{tenant_id}"
    scim = "/identity/scim/{orgId}/v2/Users"
    partner = "/v1/partner/organizations/{orgId}"
    assert surface == {
        ("GET", "/v1/simulator/tenants"),
        ("POST", "/v1/simulator/tenants"),
        ("GET", tenant),
        ("PUT", tenant),
        ("DELETE", tenant),
        ("GET", f"{tenant}/subscriptions"),
        ("POST", f"{tenant}/subscriptions"),
        ("GET", f"{tenant}/subscriptions/{{subscription_id}}"),
        ("PUT", f"{tenant}/subscriptions/{{subscription_id}}"),
        ("DELETE", f"{tenant}/subscriptions/{{subscription_id}}"),
        ("POST", f"{tenant}/subscriptions/{{subscription_id}}/cancel"),
        ("GET", f"{tenant}/access"),
        ("GET", f"{tenant}/partners"),
        ("POST", f"{tenant}/partners"),
        ("GET", f"{tenant}/partners/{{partner_id}}"),
        ("PUT", f"{tenant}/partners/{{partner_id}}"),
        ("DELETE", f"{tenant}/partners/{{partner_id}}"),
        ("POST", f"{tenant}/usage"),
        ("GET", f"{tenant}/usage"),
        ("GET", f"{tenant}/billing"),
        ("GET", "/v1/simulator/admin/clock"),
        ("POST", "/v1/simulator/admin/clock"),
        # The vendor's own API, as it spells it.
        ("GET", "/v1/licenses"),
        ("GET", "/v1/licenses/{licenseId}"),
        ("PATCH", "/v1/licenses/users"),
        ("GET", "/v1/people"),
        ("POST", "/v1/people"),
        ("GET", "/v1/people/{personId}"),
        ("PUT", "/v1/people/{personId}"),
        ("DELETE", "/v1/people/{personId}"),
        ("POST", scim),
        ("GET", scim),
        ("GET", f"{scim}/{{userId}}"),
        ("PUT", f"{scim}/{{userId}}"),
        ("PATCH", f"{scim}/{{userId}}"),
        ("DELETE", f"{scim}/{{userId}}"),
        ("POST", "/identity/scim/{orgId}/v2/Bulk"),
        ("GET", "/v1/organizations"),
        ("GET", "/v1/organizations/{orgId}"),
        ("GET", f"{partner}/partnerAdmins"),
        ("POST", f"{partner}/partnerAdmin/{{personId}}/assign"),
        ("DELETE", f"{partner}/partnerAdmin/{{personId}}/unassign"),
    }
    # Every route is named as the vendor's or as the simulator's, the simulator's under a
    # prefix of their own, and every tag is described.
    tags = {
        (path.startswith("/v1/simulator/"), tag)
        for path, operations in schema["paths"].items()
        for operation in operations.values()
        for tag in operation["tags"]
    }
    assert all(tag.startswith("simulator: " if own else "webex: ") for own, tag in tags)
    assert {tag for _, tag in tags} == {t["name"] for t in schema["tags"]}
    # Two models of one name would rename both components after their modules.
    assert [name for name in schema["components"]["schemas"] if "__" in name] == []

"""The vendor's routes under the backend's tokens and rate limit: a customer admin reaches
every organisation, a partner only those where its organisation holds access (read-only:
reads only), no token is 401, past the rate limit 429 with `Retry-After`; and the
organisations and partner administrators a client sees."""

from collections.abc import Iterator
from datetime import date

import pytest
import requests
from webexpythonsdk import WebexAPI
from webexpythonsdk.exceptions import RateLimitError

from ccprovider.backend import vendor_ids
from ccprovider.backend.http import AccessPolicy, Caller, Role
from ccprovider.backend.server import BackgroundServer
from ccprovider.backend.storage import Database
from ccprovider.client import ProvisioningClient
from ccprovider.contract import PartnerBody, TenantBody
from tests.helpers import assert_vendor_error, subscription_body, user_body

TOKENS = {
    "admin-token": Caller(Role.CUSTOMER_ADMIN),
    "partner-a-token": Caller(Role.PARTNER, "partner-a"),
    "partner-b-token": Caller(Role.PARTNER, "partner-b"),
    "partner-c-token": Caller(Role.PARTNER, "partner-c"),
}


@pytest.fixture
def secured_url(database: Database) -> Iterator[str]:
    server = BackgroundServer(database, policy=AccessPolicy(TOKENS))
    yield server.start()
    server.stop()


@pytest.fixture
def acme(secured_url: str) -> str:
    """acme-dev, with one subscription and one user, where partner-a holds full admin and
    partner-b read-only access (partner-c none); its organisation id. globex-dev beside it
    has no partner."""
    admin = ProvisioningClient(secured_url, token="admin-token")
    tenant = admin.create_tenant(TenantBody(name="acme-dev", offer="flex3"))
    admin.create_tenant(TenantBody(name="globex-dev", offer="flex3"))
    admin.create_subscription(tenant.id, subscription_body("SUB-1", start=date(2025, 1, 1)))
    admin.create_user(tenant.id, user_body("agent1@acme.example"))
    for org, access in (("partner-a", "full_admin"), ("partner-b", "read_only")):
        admin.call(
            "POST", f"/tenants/{tenant.id}/partners", body=PartnerBody(org=org, access=access)
        )
    return vendor_ids.org_id(tenant.id)


def webex(url: str, token: str) -> WebexAPI:
    return WebexAPI(access_token=token, base_url=f"{url}/v1/")


def calls(url: str, org: str, person: str) -> dict[str, tuple[str, str, dict[str, object]]]:
    """One read and one change of each vendor area, on organisation `org`."""
    scim = f"{url}/identity/scim/{org}/v2/Users"
    return {
        "licenses": ("GET", f"{url}/v1/licenses?orgId={org}", {}),
        "people": ("GET", f"{url}/v1/people?orgId={org}", {}),
        "person": ("GET", f"{url}/v1/people/{person}", {}),
        "scim": ("GET", scim, {}),
        "organization": ("GET", f"{url}/v1/organizations/{org}", {}),
        "partner admins": ("GET", f"{url}/v1/partner/organizations/{org}/partnerAdmins", {}),
        "rename": ("PUT", f"{url}/v1/people/{person}", {"displayName": "A"}),
        "license patch": ("PATCH", f"{url}/v1/licenses/users", {"personId": person}),
        "scim create": ("POST", scim, {"schemas": [], "userName": "x@acme.example"}),
    }


def call(method: str, url: str, body: dict[str, object], token: str | None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, url, json=body or None, headers=headers, timeout=10)


def test_a_read_only_partner_reads_the_organization_but_changes_nothing(
    secured_url: str, acme: str
) -> None:
    agent = next(iter(webex(secured_url, "admin-token").people.list(orgId=acme)))

    answers = {
        name: call(method, url, body, "partner-b-token")
        for name, (method, url, body) in calls(secured_url, acme, agent.id).items()
    }

    for name in ("licenses", "people", "person", "scim", "organization", "partner admins"):
        assert answers[name].status_code == 200, (name, answers[name].text)
    for name in ("rename", "license patch", "scim create"):
        assert_vendor_error(answers[name], 403, "Read-only partner access cannot change anything")


def test_a_partner_without_access_is_refused_every_route_of_the_organization(
    secured_url: str, acme: str
) -> None:
    agent = next(iter(webex(secured_url, "admin-token").people.list(orgId=acme)))

    for name, (method, url, body) in calls(secured_url, acme, agent.id).items():
        answer = call(method, url, body, "partner-c-token")
        assert answer.status_code == 403, name
        assert_vendor_error(answer, 403, "Partner partner-c holds no access to tenant")
    assert list(webex(secured_url, "partner-c-token").organizations.list()) == []


def test_without_a_known_token_every_vendor_route_is_401(secured_url: str, acme: str) -> None:
    person = vendor_ids.person_id("anyone")

    for method, url, body in calls(secured_url, acme, person).values():
        for token in (None, "guessed"):
            assert_vendor_error(call(method, url, body, token), 401, "bearer token")


def test_an_organization_lists_only_where_a_partner_holds_access(
    secured_url: str, acme: str
) -> None:
    admin_sees = {o.displayName for o in webex(secured_url, "admin-token").organizations.list()}
    partner_sees = list(webex(secured_url, "partner-a-token").organizations.list())

    assert admin_sees == {"acme-dev", "globex-dev"}
    assert [(o.id, o.displayName) for o in partner_sees] == [(acme, "acme-dev")]
    assert webex(secured_url, "partner-a-token").organizations.get(acme).displayName == "acme-dev"


def test_partner_administrators_are_assigned_by_the_customer_read_only_first(
    secured_url: str, acme: str
) -> None:
    admin = ProvisioningClient(secured_url, token="admin-token")
    tenant_id = vendor_ids.decode(vendor_ids.Kind.ORGANIZATION, acme)
    admin.create_subscription(tenant_id, subscription_body("SUB-2", start=date(2025, 6, 1)))
    partners = f"{secured_url}/v1/partner/organizations/{acme}"
    newcomer = vendor_ids.partner_admin_id("partner-c")

    by_partner = call("POST", f"{partners}/partnerAdmin/{newcomer}/assign", {}, "partner-a-token")
    assigned = call("POST", f"{partners}/partnerAdmin/{newcomer}/assign", {}, "admin-token")
    listed = call("GET", f"{partners}/partnerAdmins", {}, "partner-a-token").json()["items"]

    assert_vendor_error(by_partner, 403, "only a customer admin")
    assert assigned.status_code == 200, assigned.text
    roles = {a["partnerOrg"]: (a["id"], a["roleInCustomerOrg"]) for a in listed}
    assert roles == {
        "partner-a": (vendor_ids.partner_admin_id("partner-a"), "id_full_admin"),
        "partner-b": (vendor_ids.partner_admin_id("partner-b"), "id_readonly_admin"),
        # A third partner of a tenant with two subscriptions starts read-only (rule 7).
        "partner-c": (newcomer, "id_readonly_admin"),
    }
    unassigned = call("DELETE", f"{partners}/partnerAdmin/{newcomer}/unassign", {}, "admin-token")
    assert unassigned.status_code == 200
    again = call("DELETE", f"{partners}/partnerAdmin/{newcomer}/unassign", {}, "admin-token")
    assert_vendor_error(again, 404, "Partner partner-c holds no access")


def test_past_the_rate_limit_the_vendors_client_is_told_when_to_retry(database: Database) -> None:
    server = BackgroundServer(database, rate_limit=1)
    url = server.start()
    try:
        client = WebexAPI(access_token="any", base_url=f"{url}/v1/", wait_on_rate_limit=False)
        with pytest.raises(RateLimitError) as limited:
            for _ in range(5):
                list(client.organizations.list())
        scim = requests.get(f"{url}/identity/scim/{vendor_ids.org_id('x')}/v2/Users", timeout=10)
    finally:
        server.stop()

    assert limited.value.retry_after >= 1
    assert limited.value.message.startswith("Too many requests")
    assert_vendor_error(scim, 429, "Too many requests")
    assert int(scim.headers["Retry-After"]) >= 1

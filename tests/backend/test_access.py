"""Bearer tokens and roles, rate limiting with Retry-After, and ETag / If-Match."""

import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime

import pytest
import requests

from ccprovider.api_errors import ApiError
from ccprovider.backend.http import AccessPolicy, Caller, Role
from ccprovider.backend.server import BackgroundServer
from ccprovider.backend.storage import Database
from ccprovider.backend.subprocess_server import serve_in_subprocess
from ccprovider.client import ProvisioningClient
from ccprovider.contract import ClockChange, TenantBody
from tests.helpers import assert_vendor_error

TOKENS = {
    "admin-token": Caller(Role.CUSTOMER_ADMIN),
    "partner-a-token": Caller(Role.PARTNER, "partner-a"),
    "partner-b-token": Caller(Role.PARTNER, "partner-b"),
}
ACME = {"name": "acme-dev", "offer": "flex3"}


@pytest.fixture
def secured_url(database: Database) -> Iterator[str]:
    server = BackgroundServer(database, policy=AccessPolicy(TOKENS))
    yield server.start()
    server.stop()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def tenants(secured_url: str) -> dict[str, str]:
    """acme-dev, where partner-a holds full admin and partner-b read-only access, and
    globex-dev, where no partner holds access; their URLs."""
    admin = ProvisioningClient(secured_url, token="admin-token")
    acme = admin.create_tenant(TenantBody(name="acme-dev", offer="flex3"))
    globex = admin.create_tenant(TenantBody(name="globex-dev", offer="flex3"))
    for org, access in (("partner-a", "full_admin"), ("partner-b", "read_only")):
        partner = {"org": org, "access": access}
        created = requests.post(
            f"{secured_url}/v1/simulator/tenants/{acme.id}/partners",
            json=partner,
            headers=bearer("admin-token"),
            timeout=10,
        )
        assert created.status_code == 201, created.text
    return {
        "acme": f"{secured_url}/v1/simulator/tenants/{acme.id}",
        "globex": f"{secured_url}/v1/simulator/tenants/{globex.id}",
    }


def test_requests_without_a_known_token_are_401(secured_url: str) -> None:
    for headers in ({}, bearer("guessed"), {"Authorization": "Basic admin-token"}):
        response = requests.get(f"{secured_url}/v1/simulator/tenants", headers=headers, timeout=10)
        assert_vendor_error(response, 401, "bearer token")


def test_a_partner_sees_and_changes_only_the_tenants_where_it_holds_access(
    secured_url: str, tenants: dict[str, str]
) -> None:
    partner = bearer("partner-a-token")
    renamed = {"name": "acme-renamed", "offer": "flex3"}

    listed = requests.get(f"{secured_url}/v1/simulator/tenants", headers=partner, timeout=10).json()
    changed = requests.put(tenants["acme"], json=renamed, headers=partner, timeout=10)
    for response in (
        requests.get(tenants["globex"], headers=partner, timeout=10),
        requests.put(tenants["globex"], json=renamed, headers=partner, timeout=10),
        requests.get(f"{tenants['globex']}/users", headers=partner, timeout=10),
    ):
        assert_vendor_error(response, 403, "Partner partner-a holds no access to tenant")

    assert [t["name"] for t in listed["items"]] == ["acme-dev"]
    assert changed.status_code == 200
    admin = requests.get(tenants["globex"], headers=bearer("admin-token"), timeout=10)
    assert admin.json()["name"] == "globex-dev"


def test_a_read_only_partner_reads_but_every_write_is_403(tenants: dict[str, str]) -> None:
    url, ro = tenants["acme"], bearer("partner-b-token")
    before = requests.get(url, headers=ro, timeout=10)

    for response in (
        requests.put(url, json=ACME, headers=ro, timeout=10),
        requests.delete(url, headers=ro, timeout=10),
        requests.patch(f"{url}/licenses/users", json={}, headers=ro, timeout=10),
    ):
        assert_vendor_error(response, 403, "Read-only partner access")
    assert before.status_code == 200
    assert requests.get(url, headers=ro, timeout=10).json() == before.json()


def test_only_a_customer_admin_grants_or_approves_partner_access(
    secured_url: str, tenants: dict[str, str]
) -> None:
    partner = bearer("partner-a-token")
    approved = {"org": "partner-c", "access": "full_admin", "approvedBy": "admin1@acme.example"}

    for response in (
        requests.post(f"{tenants['acme']}/partners", json=approved, headers=partner, timeout=10),
        requests.post(
            f"{tenants['acme']}/partners",
            json={"org": "partner-c", "access": "read_only"},
            headers=partner,
            timeout=10,
        ),
    ):
        assert_vendor_error(response, 403, "only a customer admin may add, change or approve")
    listed = requests.get(f"{tenants['acme']}/partners", headers=partner, timeout=10).json()
    assert sorted(p["org"] for p in listed["items"]) == ["partner-a", "partner-b"]


def test_a_partner_neither_creates_tenants_nor_drives_the_clock(secured_url: str) -> None:
    partner = bearer("partner-a-token")

    created = requests.post(
        f"{secured_url}/v1/simulator/tenants", json=ACME, headers=partner, timeout=10
    )
    clock = requests.post(
        f"{secured_url}/v1/simulator/admin/clock",
        json={"advanceDays": 1},
        headers=partner,
        timeout=10,
    )

    assert_vendor_error(created, 403, "Only a customer admin may create tenants")
    assert_vendor_error(clock, 403, "customer admin")


def test_the_client_sends_its_token(secured_url: str) -> None:
    client = ProvisioningClient(secured_url, token="admin-token")

    assert client.create_tenant(TenantBody(name="acme-dev", offer="flex3")).name == "acme-dev"


def test_past_the_rate_limit_the_backend_answers_429_with_retry_after(database: Database) -> None:
    server = BackgroundServer(database, rate_limit=2)
    url = server.start()
    try:
        statuses = [requests.get(f"{url}/v1/simulator/tenants", timeout=10) for _ in range(3)]
    finally:
        server.stop()

    assert [r.status_code for r in statuses[:2]] == [200, 200]
    assert_vendor_error(statuses[2], 429, "retry after")
    assert int(statuses[2].headers["Retry-After"]) >= 1


@pytest.mark.parametrize(
    ("headers", "case"),
    [
        (lambda i: {"X-Forwarded-For": f"203.0.113.{i}"}, "a new address named each time"),
        (lambda i: {"Authorization": f"Bearer guess-{i}"}, "a wrong token each time"),
    ],
    ids=["forwarded-for", "wrong tokens"],
)
def test_a_client_past_the_rate_limit_is_refused_whatever_it_sends(
    database: Database, headers: Callable[[int], dict[str, str]], case: str
) -> None:
    """One client, 8 requests at a limit of 2 a second: the forwarded address of a proxy
    that is not trusted does not make it another client, and refused credentials count
    too, so guessing tokens is as slow as using one."""
    policy = AccessPolicy({"admin-token": Caller(Role.CUSTOMER_ADMIN)})
    server = BackgroundServer(database, policy=policy, rate_limit=2)
    url = server.start()
    try:
        statuses = [
            requests.get(f"{url}/v1/simulator/tenants", headers=headers(i), timeout=10).status_code
            for i in range(8)
        ]
    finally:
        server.stop()

    assert statuses.count(429) >= 5, (case, statuses)


def test_behind_a_trusted_proxy_each_forwarded_address_is_a_client_of_its_own(
    database: Database,
) -> None:
    args = ("--no-auth", "--rate-limit", "2", "--forwarded-allow-ips", "127.0.0.1")
    with serve_in_subprocess(database, *args) as url:
        statuses = [
            requests.get(
                f"{url}/v1/simulator/tenants",
                headers={"X-Forwarded-For": f"203.0.113.{i}"},
                timeout=10,
            ).status_code
            for i in range(8)
        ]

    assert statuses == [200] * 8


def test_the_client_waits_out_a_rate_limit_on_reads(database: Database) -> None:
    server = BackgroundServer(database, rate_limit=1)
    client = ProvisioningClient(server.start())
    try:
        started = time.monotonic()
        for _ in range(3):
            assert list(client.list_tenants()) == []
        waited = time.monotonic() - started
    finally:
        server.stop()

    assert waited >= 1.0, "the client must have waited for Retry-After rather than failed"


def test_if_match_guards_against_lost_updates(client: ProvisioningClient) -> None:
    url = f"{client.base_url}/v1/simulator/tenants"
    created = requests.post(url, json=ACME, timeout=10)
    tenant_url = f"{url}/{created.json()['id']}"
    etag = created.headers["ETag"]

    first = requests.put(
        tenant_url, json={**ACME, "hybrid": True}, headers={"If-Match": etag}, timeout=10
    )
    stale = requests.put(tenant_url, json=ACME, headers={"If-Match": etag}, timeout=10)
    garbled = requests.put(tenant_url, json=ACME, headers={"If-Match": "yesterday"}, timeout=10)

    assert first.status_code == 200
    assert first.headers["ETag"] == '"2"'
    assert_vendor_error(stale, 412, 'its ETag is now "2"')
    assert_vendor_error(garbled, 400, "if-match")
    assert requests.get(tenant_url, timeout=10).json()["hybrid"] is True


def test_the_client_surfaces_a_stale_if_match(client: ProvisioningClient) -> None:
    tenant = client.create_tenant(TenantBody(name="acme-dev", offer="flex3"))
    client.replace_tenant(tenant.id, TenantBody(name="acme-dev", offer="flex"), if_match=1)

    with pytest.raises(ApiError) as raised:
        client.replace_tenant(tenant.id, TenantBody(name="acme-dev", offer="flex3"), if_match=1)

    assert raised.value.status == 412


def test_a_tokens_file_names_each_partners_organisation() -> None:
    assert Caller.of("customer_admin") == Caller(Role.CUSTOMER_ADMIN)
    assert Caller.of({"role": "partner", "org": "partner-a"}) == Caller(Role.PARTNER, "partner-a")
    for unscoped in ("partner_full_admin", "partner_read_only", {"role": "partner"}, 3):
        with pytest.raises(ValueError, match="partner tokens name their organisation"):
            Caller.of(unscoped)


def test_the_provisioning_date_is_read_without_a_token_but_a_wrong_token_fails(
    secured_url: str,
) -> None:
    admin = ProvisioningClient(secured_url, token="admin-token")
    admin.change_clock(ClockChange(now=datetime(2031, 3, 4, 12, tzinfo=UTC)))

    assert ProvisioningClient(secured_url).today() == date(2031, 3, 4)
    assert admin.today() == date(2031, 3, 4)
    with pytest.raises(ApiError, match="401"):
        ProvisioningClient(secured_url, token="not-a-token").today()
    with pytest.raises(ApiError):
        ProvisioningClient(secured_url).list_tenants().__next__()  # the data stays guarded

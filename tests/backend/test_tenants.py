"""The backend's tenant API over real HTTP: routes, status codes, error bodies, paging,
persistence and concurrency."""

import threading
from typing import Any

import pytest
import requests

from ccprovider.backend.server import BackgroundServer
from ccprovider.backend.storage import Database
from ccprovider.client import ProvisioningClient
from ccprovider.contract import TenantBody
from tests.helpers import assert_vendor_error, subscription_body

ACME = {"name": "acme-dev", "offer": "flex3", "hybrid": False}


def post_tenant(url: str, body: dict[str, Any]) -> requests.Response:
    return requests.post(f"{url}/v1/simulator/tenants", json=body, timeout=10)


def test_create_answers_201_with_location_and_camel_case_body(backend_url: str) -> None:
    response = post_tenant(backend_url, ACME)

    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in ACME} == ACME
    assert set(body) == {
        "id",
        "name",
        "offer",
        "hybrid",
        "createdAt",
        "updatedAt",
        "telephony",
        "licenseModel",
        "primarySubscription",
        "managedBy",
    }
    assert body["telephony"] is None
    assert body["managedBy"] is None  # no client marked it as its own
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"].endswith(f"/v1/simulator/tenants/{body['id']}")
    fetched = requests.get(response.headers["Location"], timeout=10)
    assert fetched.json() == body


def test_create_defaults_hybrid_to_false(backend_url: str) -> None:
    response = post_tenant(backend_url, {"name": "acme-dev", "offer": "flex"})
    assert response.json()["hybrid"] is False


@pytest.mark.both_engines
def test_create_refuses_a_duplicate_name_with_409(backend_url: str) -> None:
    first = post_tenant(backend_url, ACME).json()

    response = post_tenant(backend_url, {**ACME, "offer": "flex"})

    assert_vendor_error(response, 409, "acme-dev", first["id"], "unique")


def test_invalid_bodies_answer_400_naming_the_field(backend_url: str) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({**ACME, "offer": "flex4"}, "offer"),
        ({**ACME, "name": "Acme Dev!"}, "name"),
        ({**ACME, "name": "ab"}, "name"),
        ({"offer": "flex"}, "name"),
        ({**ACME, "hybrid": "sometimes"}, "hybrid"),
        ({**ACME, "region": "eu"}, "region"),
    ]
    for body, field in cases:
        assert_vendor_error(post_tenant(backend_url, body), 400, field)
    assert requests.get(f"{backend_url}/v1/simulator/tenants", timeout=10).json() == {"items": []}


def test_malformed_json_answers_400(backend_url: str) -> None:
    response = requests.post(
        f"{backend_url}/v1/simulator/tenants",
        data="{not json",
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert_vendor_error(response, 400)


def test_replace_updates_fields_and_keeps_identity(backend_url: str) -> None:
    created = post_tenant(backend_url, ACME).json()

    response = requests.put(
        f"{backend_url}/v1/simulator/tenants/{created['id']}",
        json={**ACME, "hybrid": True},
        timeout=10,
    )

    assert response.status_code == 200
    replaced = response.json()
    assert replaced["hybrid"] is True
    assert replaced["id"] == created["id"]
    assert replaced["createdAt"] == created["createdAt"]
    assert replaced["updatedAt"] > created["updatedAt"]


def test_replace_refuses_another_tenants_name(backend_url: str) -> None:
    post_tenant(backend_url, ACME)
    other = post_tenant(backend_url, {**ACME, "name": "acme-prod"}).json()

    response = requests.put(
        f"{backend_url}/v1/simulator/tenants/{other['id']}", json=ACME, timeout=10
    )

    assert_vendor_error(response, 409, "acme-dev")


def test_unknown_tenant_answers_404_on_every_method(backend_url: str) -> None:
    url = f"{backend_url}/v1/simulator/tenants/no-such-id"
    for response in (
        requests.get(url, timeout=10),
        requests.put(url, json=ACME, timeout=10),
        requests.delete(url, timeout=10),
    ):
        assert_vendor_error(response, 404, "no-such-id")


def test_delete_answers_204_then_404(backend_url: str) -> None:
    created = post_tenant(backend_url, ACME).json()
    url = f"{backend_url}/v1/simulator/tenants/{created['id']}"

    assert requests.delete(url, timeout=10).status_code == 204
    assert_vendor_error(requests.delete(url, timeout=10), 404)
    assert_vendor_error(requests.get(url, timeout=10), 404)


def test_the_first_subscription_decides_telephony_and_license_model(
    client: ProvisioningClient,
) -> None:
    tenant = client.create_tenant(TenantBody(name="acme-dev", offer="flex3"))
    client.create_subscription(tenant.id, subscription_body("SUB-1", telephony="vpop"))

    fetched = client.get_tenant(tenant.id)

    assert fetched is not None
    assert (fetched.telephony, fetched.license_model) == ("vpop", "named")
    assert fetched.primary_subscription == "SUB-1"


def test_a_tenant_with_subscriptions_cannot_be_deleted(client: ProvisioningClient) -> None:
    tenant = client.create_tenant(TenantBody(name="acme-dev", offer="flex3"))
    client.create_subscription(tenant.id, subscription_body("SUB-1"))

    response = requests.delete(f"{client.base_url}/v1/simulator/tenants/{tenant.id}", timeout=10)

    assert_vendor_error(response, 409, "still has 1 subscription(s)", "Delete them first")


@pytest.mark.both_engines
def test_list_pages_with_max_and_link_next(backend_url: str) -> None:
    names = [f"tenant-{i:02d}" for i in range(5)]
    for name in names:
        post_tenant(backend_url, {**ACME, "name": name})

    seen: list[str] = []
    pages = 0
    url: str | None = f"{backend_url}/v1/simulator/tenants?max=2"
    while url:
        response = requests.get(url, timeout=10)
        assert response.status_code == 200
        seen += [t["name"] for t in response.json()["items"]]
        pages += 1
        url = response.links.get("next", {}).get("url")

    assert seen == names
    assert pages == 3


def test_list_filters_by_name(backend_url: str) -> None:
    post_tenant(backend_url, ACME)
    post_tenant(backend_url, {**ACME, "name": "acme-prod"})

    response = requests.get(
        f"{backend_url}/v1/simulator/tenants", params={"name": "acme-prod"}, timeout=10
    )

    assert [t["name"] for t in response.json()["items"]] == ["acme-prod"]
    assert "Link" not in response.headers


def test_list_refuses_out_of_range_max(backend_url: str) -> None:
    for bad in ("0", "1001", "many"):
        response = requests.get(
            f"{backend_url}/v1/simulator/tenants", params={"max": bad}, timeout=10
        )
        assert_vendor_error(response, 400, "max")


def test_unknown_route_and_method_use_the_vendor_error_body(backend_url: str) -> None:
    assert_vendor_error(requests.get(f"{backend_url}/v1/nothing", timeout=10), 404)
    assert_vendor_error(
        requests.patch(f"{backend_url}/v1/simulator/tenants", json={}, timeout=10), 405
    )


@pytest.mark.both_engines
def test_data_survives_a_restart(database: Database) -> None:
    first = BackgroundServer(database)
    created = post_tenant(first.start(), ACME).json()
    first.stop()

    second = BackgroundServer(database)
    url = second.start()
    try:
        fetched = requests.get(f"{url}/v1/simulator/tenants/{created['id']}", timeout=10)
    finally:
        second.stop()
    assert fetched.json() == created


@pytest.mark.both_engines
def test_concurrent_creates_of_one_name_make_exactly_one_tenant(database: Database) -> None:
    """Two servers on one file (as two `pulumi` processes would) racing to create one name."""
    servers = [BackgroundServer(database), BackgroundServer(database)]
    urls = [server.start() for server in servers]
    statuses: list[int] = []
    lock = threading.Lock()

    def create(url: str) -> None:
        status = post_tenant(url, ACME).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=create, args=(urls[i % 2],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    listed = requests.get(f"{urls[0]}/v1/simulator/tenants", timeout=10).json()["items"]
    for server in servers:
        server.stop()

    assert sorted(statuses) == [201] + [409] * 7
    assert [t["name"] for t in listed] == ["acme-dev"]


@pytest.mark.both_engines
def test_a_nul_character_is_a_bad_request_or_finds_nothing_on_either_engine(
    backend_url: str, tenant_id: str
) -> None:
    body = subscription_body("SUB-1").model_dump(mode="json", by_alias=True)
    subscriptions = f"{backend_url}/v1/simulator/tenants/{tenant_id}/subscriptions"

    with_nul = requests.post(
        subscriptions, json={**body, "department": "care\x00center"}, timeout=10
    )
    looked_up = requests.get(f"{subscriptions}/SUB%00-1", timeout=10)

    assert_vendor_error(with_nul, 400, "department: holds the NUL character")
    assert_vendor_error(looked_up, 404)
    assert requests.get(subscriptions, timeout=10).json()["items"] == []

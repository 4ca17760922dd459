"""The API client: typed results, paging, and errors a user can act on."""

import pytest
import requests_mock

from ccprovider.api_errors import ApiError
from ccprovider.client import ProvisioningClient
from ccprovider.contract import TenantBody
from tests.helpers import live_tenant, page, vendor_error, wire

BASE = "http://backend.test"


def test_vendor_error_body_becomes_an_api_error_with_every_detail() -> None:
    client = ProvisioningClient(BASE)
    with requests_mock.Mocker() as mock:
        mock.post(
            f"{BASE}/v1/tenants",
            status_code=409,
            json=wire(
                vendor_error(
                    "A tenant named 'acme-dev' already exists (id t-1).",
                    "Tenant names are unique.",
                    tracking_id="track-42",
                )
            ),
        )
        with pytest.raises(ApiError) as raised:
            client.create_tenant(TenantBody(name="acme-dev", offer="flex3"))

    error = raised.value
    assert (error.method, error.path, error.status) == ("POST", "/v1/tenants", 409)
    assert error.tracking_id == "track-42"
    assert str(error) == (
        "POST /v1/tenants answered 409: A tenant named 'acme-dev' already exists (id t-1). "
        "Tenant names are unique. (trackingId track-42)"
    )


def test_a_non_json_error_keeps_the_status_and_text() -> None:
    client = ProvisioningClient(BASE)
    with requests_mock.Mocker() as mock:
        mock.get(f"{BASE}/v1/tenants/t-1", status_code=502, text="Bad gateway from proxy")
        with pytest.raises(ApiError) as raised:
            client.get_tenant("t-1")

    assert raised.value.status == 502
    assert "Bad gateway from proxy" in str(raised.value)


def test_bearer_token_is_sent_and_never_part_of_an_error() -> None:
    client = ProvisioningClient(BASE, token="s3cr3t-token")
    with requests_mock.Mocker() as mock:
        mock.get(
            f"{BASE}/v1/tenants/t-1",
            status_code=403,
            json=wire(vendor_error("Forbidden.")),
        )
        with pytest.raises(ApiError) as raised:
            client.get_tenant("t-1")

    assert mock.last_request.headers["Authorization"] == "Bearer s3cr3t-token"
    assert "s3cr3t-token" not in str(raised.value)


def test_missing_objects_are_none_or_false_not_errors() -> None:
    client = ProvisioningClient(BASE)
    not_found = wire(vendor_error("not found"))
    with requests_mock.Mocker() as mock:
        mock.get(f"{BASE}/v1/tenants/gone", status_code=404, json=not_found)
        mock.delete(f"{BASE}/v1/tenants/gone", status_code=404, json=not_found)
        mock.get(f"{BASE}/v1/tenants?name=ghost", json=wire(page()))

        assert client.get_tenant("gone") is None
        assert client.delete_tenant("gone") is False
        assert client.find_tenant("ghost") is None


def test_list_follows_link_next_across_pages() -> None:
    client = ProvisioningClient(BASE)
    with requests_mock.Mocker() as mock:
        mock.get(
            f"{BASE}/v1/tenants?max=2",
            complete_qs=True,
            json=wire(page(live_tenant(name="team-a", id="1"), live_tenant(name="team-b", id="2"))),
            headers={"Link": f'<{BASE}/v1/tenants?max=2&start=2>; rel="next"'},
        )
        mock.get(
            f"{BASE}/v1/tenants?max=2&start=2",
            complete_qs=True,
            json=wire(page(live_tenant(name="team-c", id="3"))),
        )

        names = [t.name for t in client.list_tenants(page_size=2)]

    assert names == ["team-a", "team-b", "team-c"]

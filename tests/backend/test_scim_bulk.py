"""The vendor's SCIM bulk route: many users' creates, PATCHes and deletes in one request,
each applied and answered on its own, `version` as its `If-Match`, at most 100."""

import json
from typing import Any

import pytest
import requests

from ccprovider.client import ProvisioningClient
from ccprovider.scim_contract import BULK_REQUEST_SCHEMA
from tests.backend.conftest import Org
from tests.backend.test_scim import patch_op, scim_user, users_url
from tests.helpers import assert_vendor_error


def bulk_url(backend_url: str, org: Org) -> str:
    return f"{backend_url}/identity/scim/{org.id}/v2/Bulk"


def bulk(*operations: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"schemas": [BULK_REQUEST_SCHEMA], "Operations": list(operations), **fields}


def create(email: str) -> dict[str, Any]:
    return {"method": "POST", "path": "/Users", "bulkId": email, "data": scim_user(email)}


def agent1(backend_url: str, org: Org) -> dict[str, Any]:
    """agent1@acme.example as SCIM shows them, with their version."""
    [found] = requests.get(
        users_url(backend_url, org),
        params={"filter": 'userName eq "agent1@acme.example"'},
        timeout=10,
    ).json()["Resources"]
    return dict(found)


@pytest.mark.both_engines
def test_a_bulk_creates_patches_and_deletes_users_answering_each_operation(
    backend_url: str, client: ProvisioningClient, org: Org
) -> None:
    agent = agent1(backend_url, org)
    rename = patch_op({"op": "replace", "path": "displayName", "value": "Agent One"})
    operations = [
        create("ada@acme.example"),
        {"method": "patch", "path": f"/Users/{agent['id']}", "data": rename},
        create("bob@acme.example"),
    ]

    answer = requests.post(bulk_url(backend_url, org), json=bulk(*operations), timeout=10)

    assert answer.status_code == 200, answer.text
    results = answer.json()["Operations"]
    assert [(r["method"], r.get("bulkId"), r["status"]) for r in results] == [
        ("POST", "ada@acme.example", "201"),
        ("PATCH", None, "200"),
        ("POST", "bob@acme.example", "201"),
    ]
    ada = requests.get(results[0]["location"], timeout=10)
    assert ada.json()["userName"] == "ada@acme.example"
    assert ada.headers["ETag"] == results[0]["version"] == results[0]["response"]["meta"]["version"]
    assert agent1(backend_url, org)["displayName"] == "Agent One"
    assert client.find_user(org.tenant_id, "bob@acme.example") is not None

    removed = requests.post(
        bulk_url(backend_url, org),
        json=bulk({"method": "DELETE", "path": f"/Users/{ada.json()['id']}"}),
        timeout=10,
    )

    assert [r["status"] for r in removed.json()["Operations"]] == ["204"]
    assert client.find_user(org.tenant_id, "ada@acme.example") is None


def test_each_operation_fails_on_its_own_with_the_vendors_error_body(
    backend_url: str, client: ProvisioningClient, org: Org
) -> None:
    """A taken address, a stale version and bad data fail their own operations only."""
    agent = agent1(backend_url, org)
    stale = {
        "method": "PATCH",
        "path": f"/Users/{agent['id']}",
        "version": 'W/"999"',
        "data": patch_op({"op": "replace", "path": "displayName", "value": "Stale"}),
    }
    unnamed = {"method": "POST", "path": "/Users", "bulkId": "x", "data": {"schemas": []}}
    operations = [create("agent1@acme.example"), stale, unnamed, create("ada@acme.example")]

    answer = requests.post(bulk_url(backend_url, org), json=bulk(*operations), timeout=10)

    results = answer.json()["Operations"]
    assert [r["status"] for r in results] == ["409", "412", "400", "201"]
    for failed in results[:3]:
        assert set(failed["response"]) == {"message", "errors", "trackingId"}
    assert "already exists" in results[0]["response"]["message"]
    assert "userName" in json.dumps(results[2]["response"])
    assert agent1(backend_url, org)["displayName"] == agent["displayName"]
    assert client.find_user(org.tenant_id, "ada@acme.example") is not None


def test_after_fail_on_errors_failures_the_rest_is_not_applied(
    backend_url: str, client: ProvisioningClient, org: Org
) -> None:
    operations = [create("agent1@acme.example"), create("ada@acme.example")]

    answer = requests.post(
        bulk_url(backend_url, org), json=bulk(*operations, failOnErrors=1), timeout=10
    )

    assert [r["status"] for r in answer.json()["Operations"]] == ["409"]
    assert client.find_user(org.tenant_id, "ada@acme.example") is None


def test_the_vendors_spelling_is_read_data_as_json_text_and_lowercase_operations(
    backend_url: str, client: ProvisioningClient, org: Org
) -> None:
    operation = {**create("ada@acme.example"), "data": json.dumps(scim_user("ada@acme.example"))}
    body = {"schemas": [BULK_REQUEST_SCHEMA], "failOnErrors": 99, "operations": [operation]}

    answer = requests.post(bulk_url(backend_url, org), json=body, timeout=10)

    assert [r["status"] for r in answer.json()["Operations"]] == ["201"]
    assert client.find_user(org.tenant_id, "ada@acme.example") is not None


def test_more_than_100_operations_are_refused_and_none_applied(
    backend_url: str, client: ProvisioningClient, org: Org
) -> None:
    operations = [create(f"agent{n}@big.example") for n in range(101)]

    answer = requests.post(bulk_url(backend_url, org), json=bulk(*operations), timeout=10)

    assert_vendor_error(answer, 413, "101 operations", "at most 100")
    assert client.find_user(org.tenant_id, "agent0@big.example") is None


def test_an_operation_on_another_path_is_refused_naming_it(backend_url: str, org: Org) -> None:
    operations: list[dict[str, Any]] = [
        {"method": "DELETE", "path": "/Groups/g1"},
        {"method": "POST", "path": "/Groups", "bulkId": "g", "data": {}},
    ]

    answer = requests.post(bulk_url(backend_url, org), json=bulk(*operations), timeout=10)

    results = answer.json()["Operations"]
    assert [r["status"] for r in results] == ["400", "400"]
    assert "'/Groups/g1' does not name a user" in results[0]["response"]["message"]
    assert "'/Groups' is not /Users" in results[1]["response"]["message"]

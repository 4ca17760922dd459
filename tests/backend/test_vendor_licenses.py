"""The vendor's licenses, through the vendor's Python client and raw HTTP: each
subscription's entitlements are licenses carrying its id, and remapping a user is one
license PATCH that adds the new subscription's license and removes the old one."""

import base64

import pytest
import requests
from webexpythonsdk import WebexAPI

from ccprovider.client import ProvisioningClient
from tests.backend.conftest import Org, person
from tests.helpers import assert_vendor_error, assign_license, user_body

STANDARD = "Contact Center Standard Agent"


def license_ids(webex: WebexAPI, org: Org) -> dict[tuple[str, str], str]:
    """The organisation's license ids by subscription and name, as a client finds them."""
    return {(lic.subscriptionId, lic.name): lic.id for lic in webex.licenses.list(orgId=org.id)}


def patch(backend_url: str, body: dict[str, object]) -> requests.Response:
    return requests.patch(f"{backend_url}/v1/licenses/users", json=body, timeout=10)


def test_each_subscription_offers_its_licenses_with_its_entitlements(
    webex: WebexAPI, org: Org
) -> None:
    licenses = {(lic.subscriptionId, lic.name): lic for lic in webex.licenses.list(orgId=org.id)}

    standard = licenses["SUB-1", STANDARD]
    assert (standard.totalUnits, standard.consumedUnits) == (10, 1)
    assert licenses["SUB-1", "Contact Center IVR Ports"].totalUnits == 5
    assert ("SUB-2", "Contact Center IVR Ports") not in licenses  # SUB-2 has no IVR ports
    assert licenses["SUB-2", STANDARD].consumedUnits == 0
    assert "totalUnits" not in licenses["SUB-1", "Contact Center Administrator"]._json_data
    # Opaque ids in the vendor's style: URL-safe base64, unpadded, of a ciscospark URI.
    uri = base64.urlsafe_b64decode(standard.id + "=" * (-len(standard.id) % 4)).decode()
    assert uri == f"ciscospark://us/LICENSE/{org.tenant_id}:CJPSTD_SUB-1"
    assert webex.licenses.get(standard.id).consumedUnits == 1


def test_a_license_lists_its_holders_a_page_at_a_time(
    backend_url: str, client: ProvisioningClient, webex: WebexAPI, org: Org
) -> None:
    for email in ("agent2@acme.example", "agent3@acme.example"):
        client.create_user(org.tenant_id, user_body(email))
        assign_license(client, org.tenant_id, email, f"{org.sub1.id}:standard-agent")
    standard = license_ids(webex, org)["SUB-1", STANDARD]
    url = f"{backend_url}/v1/licenses/{standard}"

    query: dict[str, str | int] = {"includeAssignedTo": "user", "limit": 2}
    first = requests.get(url, params=query, timeout=10)
    second = requests.get(first.links["next"]["url"], timeout=10)
    bare = requests.get(url, timeout=10).json()

    holders = [u["email"] for u in first.json()["users"] + second.json()["users"]]
    assert holders == ["agent1@acme.example", "agent2@acme.example", "agent3@acme.example"]
    assert "next" not in second.links
    assert first.json()["users"][0] == {
        "id": person(webex, org, "agent1@acme.example").id,
        "type": "INTERNAL",
        "displayName": "agent1@acme.example",
        "email": "agent1@acme.example",
    }
    assert "users" not in bare and bare["consumedUnits"] == 3


@pytest.mark.both_engines
def test_one_license_patch_remaps_a_user_to_another_subscription(
    backend_url: str, client: ProvisioningClient, webex: WebexAPI, org: Org
) -> None:
    ids = license_ids(webex, org)
    agent = person(webex, org, "agent1@acme.example")

    remapped = patch(
        backend_url,
        {
            "personId": agent.id,
            "licenses": [
                {"id": ids["SUB-2", STANDARD], "operation": "add"},
                {"id": ids["SUB-1", STANDARD], "operation": "remove"},
            ],
        },
    )

    assert remapped.status_code == 200, remapped.text
    assert remapped.json() == {
        "orgId": org.id,
        "personId": agent.id,
        "email": "agent1@acme.example",
        "licenses": [ids["SUB-2", STANDARD]],
        "siteUrls": [],
    }
    assert webex.people.get(agent.id).licenses == [ids["SUB-2", STANDARD]]
    # The simulator's own view of the same user moved with it.
    user = client.find_user(org.tenant_id, "agent1@acme.example")
    assert user is not None and user.subscription_id == org.sub2.id


def test_a_second_subscriptions_license_beside_the_first_is_refused_with_the_vendors_code(
    backend_url: str, webex: WebexAPI, org: Org
) -> None:
    ids = license_ids(webex, org)

    refused = patch(
        backend_url,
        {
            "email": "agent1@acme.example",
            "orgId": org.id,
            "licenses": [{"id": ids["SUB-2", STANDARD]}],
        },
    )

    assert_vendor_error(refused, 400, "one contact-center subscription per user", "SUB-1")
    assert refused.json()["errors"][0]["errorCode"] == 400413
    agent = person(webex, org, "agent1@acme.example")
    assert agent.licenses == [ids["SUB-1", STANDARD]]


def test_a_patch_that_applies_in_part_answers_206_saying_why_the_rest_did_not(
    backend_url: str, webex: WebexAPI, org: Org
) -> None:
    ids = license_ids(webex, org)

    partial = patch(
        backend_url,
        {
            "email": "agent1@acme.example",
            "licenses": [
                {"id": ids["SUB-1", STANDARD], "operation": "remove"},
                {"id": ids["SUB-2", STANDARD]},
                {"id": ids["SUB-1", "Contact Center IVR Ports"]},
            ],
        },
    )

    assert partial.status_code == 206, partial.text
    assert partial.json()["licenses"] == [ids["SUB-2", STANDARD]]
    [why] = partial.json()["errors"]
    assert why["errorCode"] == 400000
    assert "counts an entitlement: no person holds it" in why["description"]


def test_licenses_that_name_nothing_here_are_not_recognized(
    backend_url: str, webex: WebexAPI, org: Org
) -> None:
    unknown = base64.urlsafe_b64encode(b"ciscospark://us/LICENSE/elsewhere:CJPSTD_X").decode()

    refused = patch(
        backend_url,
        {
            "email": "agent1@acme.example",
            "orgId": org.id,
            "licenses": [{"id": "not-a-license"}, {"id": unknown.rstrip("=")}],
        },
    )

    assert_vendor_error(refused, 400, "License assignment failed.", "not-a-license")
    assert [e["errorCode"] for e in refused.json()["errors"]] == [400000, 400000]

"""The vendor's people, driven with the vendor's Python client as a team scripts its org:
create, find by e-mail or id, page through with `Link`, update and delete."""

from pathlib import Path

import pytest
import requests
from webexpythonsdk import WebexAPI
from webexpythonsdk.exceptions import ApiError

from ccprovider.backend import vendor_ids
from ccprovider.bulk_assign import BulkAssignment
from ccprovider.client import ProvisioningClient
from tests.backend.conftest import Org, person
from tests.backend.test_vendor_licenses import STANDARD, license_ids
from tests.e2e.harness import readme_server
from tests.helpers import assert_vendor_error, user_body
from tests.readme import snippet

PREMIUM = "Contact Center Premium Agent"


@pytest.mark.both_engines
def test_the_vendors_client_creates_finds_updates_and_deletes_a_person(
    webex: WebexAPI, org: Org
) -> None:
    premium = license_ids(webex, org)["SUB-2", PREMIUM]

    created = webex.people.create(
        emails=["agent2@acme.example"],
        orgId=org.id,
        displayName="Agent Two",
        licenses=[premium],
    )
    found = person(webex, org, "Agent2@ACME.example")
    renamed = webex.people.update(found.id, displayName="Agent 2", firstName="Agent")

    assert created.id == found.id
    assert created.licenses == [premium] and created.orgId == org.id
    assert created.contactCenter.role == "agent"  # the premium license made a premium agent
    assert created.contactCenter.agentProfile == "premium"
    assert created.created.year == 2026  # the SDK parses the vendor's timestamps
    assert (renamed.displayName, renamed.firstName) == ("Agent 2", "Agent")
    assert renamed.licenses == [premium]  # an update that names no licenses keeps them
    assert webex.people.get(found.id).displayName == "Agent 2"
    webex.people.delete(found.id)
    with pytest.raises(ApiError) as gone:
        webex.people.get(found.id)
    assert gone.value.status_code == 404
    assert gone.value.message == f"Person {found.id} was not found."
    assert gone.value.tracking_id == gone.value.response.headers["TrackingID"]


def test_the_vendors_client_pages_through_people_by_their_link_headers(
    backend_url: str, client: ProvisioningClient, webex: WebexAPI, org: Org
) -> None:
    for n in (2, 3, 4):
        client.create_user(org.tenant_id, user_body(f"agent{n}@acme.example"))

    listed = [p.emails[0] for p in webex.people.list(orgId=org.id, max=3)]
    query: dict[str, str | int] = {"orgId": org.id, "max": 3}
    first = requests.get(f"{backend_url}/v1/people", params=query, timeout=10)

    assert listed == [f"agent{n}@acme.example" for n in (1, 2, 3, 4)]
    assert len(first.json()["items"]) == 3 and "next" in first.links


def test_people_listed_by_id_name_the_ids_that_name_nobody(
    backend_url: str, webex: WebexAPI, org: Org
) -> None:
    agent = person(webex, org, "agent1@acme.example")
    nobody = vendor_ids.person_id("no-such-user")

    listed = requests.get(
        f"{backend_url}/v1/people",
        params={"orgId": org.id, "id": f"{agent.id},{nobody},garbage"},
        timeout=10,
    ).json()

    assert [p["id"] for p in listed["items"]] == [agent.id]
    assert sorted(listed["notFoundIds"]) == sorted([nobody, "garbage"])


def test_an_update_that_names_licenses_gives_exactly_those(webex: WebexAPI, org: Org) -> None:
    ids = license_ids(webex, org)
    agent = person(webex, org, "agent1@acme.example")

    moved = webex.people.update(
        agent.id, displayName="Agent One", licenses=[ids["SUB-2", STANDARD]]
    )

    assert moved.licenses == [ids["SUB-2", STANDARD]]


def test_a_person_is_created_with_all_their_licenses_or_not_at_all(
    backend_url: str, webex: WebexAPI, org: Org
) -> None:
    ids = license_ids(webex, org)
    body = {
        "emails": ["agent2@acme.example"],
        "orgId": org.id,
        "contactCenter": {"role": "agent", "agentProfile": "standard"},
        "licenses": [ids["SUB-1", STANDARD], ids["SUB-2", STANDARD]],
    }

    refused = requests.post(f"{backend_url}/v1/people", json=body, timeout=10)

    assert_vendor_error(refused, 400, "License assignment failed.", "one contact-center")
    assert list(webex.people.list(email="agent2@acme.example", orgId=org.id)) == []


def test_a_person_without_a_contact_center_role_is_refused_saying_how_to_give_one(
    webex: WebexAPI, org: Org
) -> None:
    with pytest.raises(ApiError) as refused:
        webex.people.create(emails=["plain@acme.example"], orgId=org.id)

    assert refused.value.status_code == 400
    assert '"contactCenter": {"role": "agent"' in refused.value.details["errors"][0]["description"]


def test_a_persons_address_cannot_change(backend_url: str, webex: WebexAPI, org: Org) -> None:
    agent = person(webex, org, "agent1@acme.example")

    refused = requests.put(
        f"{backend_url}/v1/people/{agent.id}",
        json={"emails": ["other@acme.example"], "displayName": "Other"},
        timeout=10,
    )

    assert_vendor_error(refused, 400, "cannot change", "Create a person for the new address")


def test_listing_people_without_an_organization_says_how_to_name_one(backend_url: str) -> None:
    refused = requests.get(f"{backend_url}/v1/people", params={"email": "a@b.example"}, timeout=10)

    assert_vendor_error(refused, 400, "orgId is required", "GET /v1/organizations")


def test_a_persons_names_survive_changes_through_the_simulators_own_routes(
    client: ProvisioningClient, webex: WebexAPI, org: Org
) -> None:
    agent = person(webex, org, "agent1@acme.example")
    webex.people.update(agent.id, displayName="Agent One", lastName="One")
    user = client.find_user(org.tenant_id, "agent1@acme.example")
    assert user is not None

    client.replace_user(org.tenant_id, user.id, user_body("agent1@acme.example", "supervisor"))
    after_replace = webex.people.get(agent.id)
    client.bulk_assign(
        org.tenant_id,
        [
            BulkAssignment(
                action="assign",
                email="agent1@acme.example",
                role="supervisor",
                license=f"{org.sub2.id}:supervisor",
            )
        ],
    )
    after_bulk = webex.people.get(agent.id)

    for kept in (after_replace, after_bulk):
        assert (kept.displayName, kept.lastName) == ("Agent One", "One")
        assert kept.contactCenter.role == "supervisor"


def test_the_readme_session_runs_on_the_readme_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's webexpythonsdk session on the README's server (its token file), a fresh
    database: it lists each subscription's licenses, creates an agent on SUB-1, and remaps
    her to SUB-2 with one license PATCH."""
    with readme_server(tmp_path) as (url, _):
        session = snippet("vendor-api-session", {"http://127.0.0.1:8080": url})
        exec(compile(session, "README.md: vendor-api-session", "exec"), {"__name__": "__main__"})

    printed = capsys.readouterr().out.splitlines()
    assert "SUB-1 Contact Center Standard Agent: 0/10" in printed
    assert "SUB-2 Contact Center Standard Agent: 0/10" in printed
    assert printed[-2].startswith("Agent One standard ['")
    assert printed[-1] == "200 True"

"""The vendor's SCIM 2.0 users: create, search by filter a page at a time (1-based
`startIndex`, `count`), read, replace, patch with a `PatchOp` and delete, the same users
the people routes and the simulator's own routes see."""

from typing import Any

import pytest
import requests

from ccprovider.client import ProvisioningClient
from ccprovider.scim_contract import (
    CONTACT_CENTER_SCHEMA,
    ENTERPRISE_SCHEMA,
    PATCH_SCHEMA,
    USER_SCHEMA,
)
from tests.backend.conftest import Org
from tests.helpers import assert_vendor_error, user_body


def users_url(backend_url: str, org: Org) -> str:
    return f"{backend_url}/identity/scim/{org.id}/v2/Users"


def scim_user(email: str, role: str = "agent", profile: str | None = "standard") -> dict[str, Any]:
    role_and_profile = {"role": role, **({"agentProfile": profile} if profile else {})}
    return {
        "schemas": [USER_SCHEMA, CONTACT_CENTER_SCHEMA],
        "userName": email,
        "externalId": f"mark:{email}",
        "name": {"givenName": "Ada", "familyName": "Byron"},
        CONTACT_CENTER_SCHEMA: role_and_profile,
    }


def patch_op(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


@pytest.mark.both_engines
def test_a_scim_user_is_created_found_patched_and_deleted(
    backend_url: str, client: ProvisioningClient, org: Org
) -> None:
    url = users_url(backend_url, org)

    created = requests.post(url, json=scim_user("ada@acme.example"), timeout=10)
    found = requests.get(url, params={"filter": 'userName eq "ADA@acme.example"'}, timeout=10)
    user = created.json()
    patched = requests.patch(
        created.headers["Location"],
        json=patch_op(
            {"op": "Replace", "path": "name.givenName", "value": "Augusta"},
            {"op": "replace", "value": {"displayName": "Augusta Ada"}},
            {"op": "remove", "path": "externalId"},
        ),
        headers={"If-Match": created.headers["ETag"]},
        timeout=10,
    )

    assert created.status_code == 201, created.text
    assert created.headers["Location"] == f"{url}/{user['id']}"
    assert user["userName"] == "ada@acme.example"
    assert user["emails"] == [{"value": "ada@acme.example", "type": "work", "primary": True}]
    assert user[CONTACT_CENTER_SCHEMA] == {"role": "agent", "agentProfile": "standard"}
    assert user["meta"]["version"] == created.headers["ETag"]
    assert found.json()["totalResults"] == 1
    assert found.json()["Resources"][0]["id"] == user["id"]
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == {"givenName": "Augusta", "familyName": "Byron"}
    assert patched.json()["displayName"] == "Augusta Ada"
    assert "externalId" not in patched.json()
    # The simulator's own routes see the same user.
    stored = client.find_user(org.tenant_id, "ada@acme.example")
    assert stored is not None and stored.id == user["id"] and stored.external_id is None
    assert requests.delete(f"{url}/{user['id']}", timeout=10).status_code == 204
    assert_vendor_error(requests.get(f"{url}/{user['id']}", timeout=10), 404, "was not found")


def test_a_search_answers_a_page_from_its_1_based_start_index(
    backend_url: str, client: ProvisioningClient, org: Org
) -> None:
    for n in (2, 3, 4):
        client.create_user(org.tenant_id, user_body(f"agent{n}@acme.example"))
    url = users_url(backend_url, org)

    pages = [
        requests.get(url, params={"startIndex": start, "count": 2}, timeout=10).json()
        for start in (1, 3)
    ]

    assert [p["totalResults"] for p in pages] == [4, 4]
    assert [(p["startIndex"], p["itemsPerPage"]) for p in pages] == [(1, 2), (3, 2)]
    names = [u["userName"] for p in pages for u in p["Resources"]]
    assert names == [f"agent{n}@acme.example" for n in (1, 2, 3, 4)]


def test_users_are_found_by_their_external_id(backend_url: str, org: Org) -> None:
    url = users_url(backend_url, org)
    requests.post(url, json=scim_user("ada@acme.example"), timeout=10)

    found = requests.get(
        url, params={"filter": 'externalId eq "mark:ada@acme.example"'}, timeout=10
    ).json()

    assert [u["userName"] for u in found["Resources"]] == ["ada@acme.example"]


def test_a_replacement_changes_the_role_and_the_license_with_it(
    backend_url: str, client: ProvisioningClient, org: Org
) -> None:
    url = users_url(backend_url, org)
    [agent] = requests.get(
        url, params={"filter": 'userName eq "agent1@acme.example"'}, timeout=10
    ).json()["Resources"]

    replaced = requests.put(
        f"{url}/{agent['id']}",
        json=scim_user("agent1@acme.example", profile="premium"),
        timeout=10,
    )

    assert replaced.status_code == 200, replaced.text
    stored = client.find_user(org.tenant_id, "agent1@acme.example")
    assert stored is not None and stored.licenses == [f"{org.sub1.id}:premium-agent"]


def test_a_change_against_a_stale_version_is_refused(backend_url: str, org: Org) -> None:
    created = requests.post(
        users_url(backend_url, org), json=scim_user("ada@acme.example"), timeout=10
    )
    location, etag = created.headers["Location"], created.headers["ETag"]
    requests.patch(
        location, json=patch_op({"op": "add", "path": "displayName", "value": "A"}), timeout=10
    )

    stale = requests.delete(location, headers={"If-Match": etag}, timeout=10)

    assert_vendor_error(stale, 412, "changed since it was read")


@pytest.mark.parametrize(
    ("body", "fragments"),
    [
        (
            {"schemas": [USER_SCHEMA], "userName": "plain@acme.example"},
            ("contact-center role is not given", CONTACT_CENTER_SCHEMA),
        ),
        ({**scim_user("ada@acme.example"), "schemas": ["urn:other"]}, (USER_SCHEMA,)),
        ({**scim_user("not-an-address")}, ("userName",)),
    ],
)
def test_a_user_the_simulation_cannot_hold_is_refused_saying_why(
    backend_url: str, org: Org, body: dict[str, Any], fragments: tuple[str, ...]
) -> None:
    refused = requests.post(users_url(backend_url, org), json=body, timeout=10)

    assert_vendor_error(refused, 400, *fragments)


@pytest.mark.parametrize(
    ("request_", "fragment"),
    [
        ({"params": {"filter": 'displayName co "x"'}}, 'use userName eq "..."'),
        ({"params": {"startIndex": 0}}, "startIndex"),
    ],
)
def test_searches_the_simulation_does_not_answer_are_refused_naming_what_it_does(
    backend_url: str, org: Org, request_: dict[str, Any], fragment: str
) -> None:
    refused = requests.get(users_url(backend_url, org), timeout=10, **request_)

    assert_vendor_error(refused, 400, fragment)


def test_a_patch_path_that_filters_values_is_refused(backend_url: str, org: Org) -> None:
    created = requests.post(
        users_url(backend_url, org), json=scim_user("ada@acme.example"), timeout=10
    )
    operation = {"op": "replace", "path": 'emails[type eq "work"].value', "value": "x@acme.example"}

    refused = requests.patch(created.headers["Location"], json=patch_op(operation), timeout=10)

    assert_vendor_error(refused, 400, "filters values", "Replace the whole attribute")


def test_a_user_without_names_shows_none(backend_url: str, org: Org) -> None:
    url = users_url(backend_url, org)

    [agent] = requests.get(
        url, params={"filter": 'userName eq "agent1@acme.example"'}, timeout=10
    ).json()["Resources"]

    assert "name" not in agent
    assert agent["displayName"] == "agent1@acme.example"


ENTERPRISE = {
    "department": "Care",
    "costCenter": "CC-100",
    "organization": "Acme",
    "division": "EMEA",
    "manager": {"value": "boss@acme.example"},
}
"""The enterprise extension's attributes of a person of the directory."""


def directory_user(email: str, **attributes: Any) -> dict[str, Any]:
    """A person as an identity provider's sync sends them: names, title, groups, the
    enterprise extension."""
    return {
        **scim_user(email),
        "title": "Agent",
        "groups": [{"value": "g-emea", "display": "Contact Center EMEA"}],
        ENTERPRISE_SCHEMA: ENTERPRISE,
        **attributes,
    }


def test_the_directorys_attributes_are_kept_and_shown_through_changes(
    backend_url: str, webex: Any, org: Org
) -> None:
    """What the directory says of a person stays through a SCIM PATCH that changes
    something else and through the people routes, which know nothing of it."""
    created = requests.post(
        users_url(backend_url, org), json=directory_user("ada@acme.example"), timeout=10
    )
    location = created.headers["Location"]
    requests.patch(
        location,
        json=patch_op({"op": "replace", "path": "title", "value": "Senior agent"}),
        timeout=10,
    ).raise_for_status()
    [person] = webex.people.list(email="ada@acme.example", orgId=org.id)
    webex.people.update(person.id, emails=person.emails, displayName="Ada B.")

    user = requests.get(location, timeout=10).json()

    assert user["title"] == "Senior agent"
    assert user["displayName"] == "Ada B."
    assert user["active"] is True
    assert user["groups"] == [{"value": "Contact Center EMEA", "display": "Contact Center EMEA"}]
    assert user[ENTERPRISE_SCHEMA] == ENTERPRISE


def test_a_deactivated_person_keeps_their_account_and_loses_access(
    backend_url: str, client: ProvisioningClient, org: Org
) -> None:
    [agent] = requests.get(
        users_url(backend_url, org),
        params={"filter": 'userName eq "agent1@acme.example"'},
        timeout=10,
    ).json()["Resources"]

    deactivated = requests.patch(
        f"{users_url(backend_url, org)}/{agent['id']}",
        json=patch_op({"op": "replace", "path": "active", "value": False}),
        timeout=10,
    )

    assert deactivated.status_code == 200, deactivated.text
    assert deactivated.json()["active"] is False
    access = client.check_access(org.tenant_id, "agent1@acme.example")
    assert (access.has_access, access.reason) == (False, "is deactivated in the directory")

"""Helpers shared by the tests: declarations, request bodies, and the backend's answers for
requests-mock built from the contract's models, so that a contract change breaks the mocks
as it breaks the client."""

from datetime import UTC, date, datetime, time
from email.utils import format_datetime
from typing import Any, TypeVar

import requests
import requests_mock
from pulumi.dynamic import Config, ConfigureRequest
from pydantic import BaseModel

from ccprovider import contract
from ccprovider.client import ProvisioningClient
from ccprovider.contract import LicenseOperation, SubscriptionBody, UserBody
from ccprovider.resources.base import ApiProvider
from ccprovider.scim_contract import CONTACT_CENTER_SCHEMA, USER_SCHEMA, ScimList, ScimUser
from ccprovider.vendor_contract import (
    HELD_LICENSES,
    LicensesPatchResult,
    Person,
    PersonCollection,
    VendorLicense,
    vendor_time,
)

ENDPOINT = "http://backend.test"
"""The endpoint the hook tests configure; requests-mock answers for it."""

TENANT_URL = f"{ENDPOINT}/v1/simulator/tenants/t-1"
"""The URL of tenant t-1, the tenant of the mocked answers."""
SCIM_USERS = f"{ENDPOINT}/identity/scim/t-1/v2/Users"
"""The URL of t-1's SCIM users."""
PEOPLE = f"{ENDPOINT}/v1/people"
LICENSES = f"{ENDPOINT}/v1/licenses"
LICENSE_PATCH = f"{ENDPOINT}/v1/licenses/users"
SCIM_VERSION = 'W/"1"'
"""The version (ETag) every mocked SCIM user has."""

STAMP = datetime(2026, 1, 1, 9, tzinfo=UTC)
"""When every mocked object was created and last updated."""

P = TypeVar("P", bound=ApiProvider)
M = TypeVar("M", bound=contract.Stored)


def assert_vendor_error(response: requests.Response, status: int, *fragments: str) -> None:
    """The answer has the vendor's error body, and its text names every fragment."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"message", "errors", "trackingId"}
    assert body["trackingId"] == response.headers["TrackingID"]
    assert body["errors"], "errors must list at least one description"
    text = body["message"] + " " + " ".join(e["description"] for e in body["errors"])
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in {text!r}"


def subscription_fields(external_id: str, **overrides: Any) -> dict[str, Any]:
    """A named, webex_calling, 36-month subscription of 10 agents that started on 2025-01-01."""
    fields: dict[str, Any] = {
        "external_id": external_id,
        "department": "customer-care",
        "license_model": "named",
        "offer": "flex3",
        "telephony": "webex_calling",
        "start": date(2025, 1, 1),
        "term_months": 36,
        "entitlements": {"standard_agents": 10},
    }
    return {**fields, **overrides}


def subscription_body(external_id: str, **overrides: Any) -> SubscriptionBody:
    return SubscriptionBody.model_validate(subscription_fields(external_id, **overrides))


def user_body(email: str, role: str = "agent", profile: str | None = "standard") -> UserBody:
    return UserBody(email=email, role=role, agent_profile=profile if role == "agent" else None)


def change(
    client: ProvisioningClient, tenant_id: str, email: str, *operations: LicenseOperation
) -> tuple[contract.User, list[str]]:
    """Apply license operations (licenses named as the provider names them) to the user
    with this address, as an admin does in Control Hub: the user after them, and why each
    that failed did."""
    user = client.find_user(tenant_id, email)
    assert user is not None, f"{email} exists"
    return client.change_licenses(tenant_id, user, list(operations))


def assign_license(
    client: ProvisioningClient, tenant_id: str, email: str, license_id: str
) -> contract.User:
    """Give the user the license; the user after it."""
    user, failures = change(
        client, tenant_id, email, LicenseOperation(id=license_id, operation="add")
    )
    assert failures == [], failures
    return user


def declaration(**overrides: Any) -> dict[str, Any]:
    """A valid tenant: two named subscriptions, an admin and an agent on each, two partners."""
    tenant: dict[str, Any] = {
        "name": "acme-dev",
        "offer": "flex3",
        "telephony": "webex_calling",
        "subscriptions": [
            {
                "id": "SUB-1",
                "department": "customer-care",
                "licenseModel": "named",
                "start": "2025-01-01",
                "termMonths": 36,
                "entitlements": {"standardAgents": 10},
            },
            {
                "id": "SUB-2",
                "department": "workforce-planning",
                "licenseModel": "named",
                "start": "2025-06-01 00:00:00 +0000 UTC",
                "termMonths": 24,
                "entitlements": {"standardAgents": 15, "wfo": 15},
            },
        ],
        "users": [
            {"email": "admin1@acme.example", "role": "admin", "subscription": "SUB-1"},
            {
                "email": "agent1@acme.example",
                "role": "agent",
                "agentProfile": "standard",
                "subscription": "SUB-2",
            },
        ],
        "partners": [
            {"org": "partner-a", "access": "full_admin"},
            {"org": "partner-b", "access": "read_only"},
        ],
    }
    return {**tenant, **overrides}


def configured(provider: P) -> P:
    """The provider, configured as the engine does for a stack whose endpoint is ENDPOINT."""
    provider.configure(ConfigureRequest(Config({"ccprovider:endpoint": ENDPOINT}, "")))
    return provider


# The backend's answers, for requests-mock: each factory builds the contract's model (fields
# by their Python names; `fields` override the defaults) and `wire` dumps it as sent.


def wire(answer: BaseModel) -> dict[str, Any]:
    """The JSON body the backend sends for `answer`: camelCase, as the contract dumps it."""
    return answer.model_dump(mode="json", by_alias=True)


def provisioning_date(mock: requests_mock.Mocker, today: date) -> None:
    """Answer the read of the provisioning system's date (the `Date` of a light tenant
    list) with `today`."""
    stamp = format_datetime(datetime.combine(today, time(12), UTC), usegmt=True)
    mock.get(f"{ENDPOINT}/v1/simulator/tenants", json=wire(page()), headers={"Date": stamp})


def page(*items: BaseModel) -> contract.Page[Any]:
    """One page of a list holding `items`, without a next page."""
    return contract.Page[Any](items=list(items))


def vendor_error(message: str, *details: str, tracking_id: str = "track-1") -> contract.ErrorBody:
    """The vendor's error body with `message` and one entry per detail."""
    errors = [contract.ErrorDetail(description=detail) for detail in details]
    return contract.ErrorBody(message=message, errors=errors, tracking_id=tracking_id)


def _stored(model: type[M], fields: dict[str, Any]) -> M:
    """`model` stamped with STAMP; every field must be the model's own, since a response
    model would silently drop a field that the contract no longer has."""
    unknown = fields.keys() - model.model_fields.keys()
    assert not unknown, f"{model.__name__} has no field {', '.join(sorted(unknown))}"
    return model.model_validate({"created_at": STAMP, "updated_at": STAMP, **fields})


def live_tenant(**fields: Any) -> contract.Tenant:
    """Tenant t-1, acme-dev on flex3, without subscriptions."""
    return _stored(contract.Tenant, {"id": "t-1", "name": "acme-dev", "offer": "flex3", **fields})


def live_subscription(external_id: str, **fields: Any) -> contract.Subscription:
    """Active primary subscription `external_id` of t-1: named, flex3 on webex_calling, 36
    months from 2025-01-01; its id is `id-<external_id>`."""
    defaults = {
        **subscription_fields(external_id, entitlements={}),
        "id": f"id-{external_id}",
        "tenant_id": "t-1",
        "end_date": date(2028, 1, 1),
        "status": "active",
        "cancelled": False,
        "is_primary": True,
    }
    return _stored(contract.Subscription, {**defaults, **fields})


def live_user(email: str, licenses: list[str], **fields: Any) -> contract.User:
    """User u-1 of t-1, a standard agent holding `licenses` (and so on their subscription)."""
    defaults = {
        "id": "u-1",
        "tenant_id": "t-1",
        "email": email,
        "role": "agent",
        "agent_profile": "standard",
        "licenses": licenses,
        "subscription_id": licenses[0].split(":")[0] if licenses else None,
    }
    return _stored(contract.User, {**defaults, **fields})


def live_partner(partner_id: str, org: str, access: str, **fields: Any) -> contract.Partner:
    """Partner organisation `org` of t-1 with `access`."""
    defaults = {"id": partner_id, "tenant_id": "t-1", "org": org, "access": access}
    return _stored(contract.Partner, {**defaults, **fields})


def alias_bomb(levels: int) -> str:
    """A users file of a few hundred bytes whose one e-mail expands to 10^levels values."""
    lines = ["- x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"  x{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join([*lines, f"  email: *a{levels - 1}", "  role: agent"]) + "\n"


# The vendor's answers about users: SCIM users, people and licenses. A license's vendor id
# is `LIC-` and the provider's id of it, so that a test reads which one a request names.


def vendor_license(license_id: str) -> str:
    """The vendor id the mocked answers give the license the provider calls `license_id`."""
    return f"LIC-{license_id}"


def scim_user(user: contract.User) -> ScimUser:
    return ScimUser.model_validate(
        {
            "schemas": [USER_SCHEMA, CONTACT_CENTER_SCHEMA],
            "id": user.id,
            "userName": user.email,
            "displayName": user.email,
            "emails": [{"value": user.email}],
            "roles": [],
            "externalId": user.external_id,
            CONTACT_CENTER_SCHEMA: {"role": user.role, "agentProfile": user.agent_profile},
            "meta": {
                "location": f"{SCIM_USERS}/{user.id}",
                "version": SCIM_VERSION,
                "created": vendor_time(user.created_at),
                "lastModified": vendor_time(user.updated_at),
            },
        }
    )


def _person(user: contract.User) -> Person:
    return Person.model_validate(
        {
            "id": f"P-{user.id}",
            "emails": [user.email],
            "displayName": user.email,
            "orgId": user.tenant_id,
            "roles": [],
            "licenses": [vendor_license(lic) for lic in user.licenses],
            "created": vendor_time(user.created_at),
            "lastModified": vendor_time(user.updated_at),
            "contactCenter": {"role": user.role, "agentProfile": user.agent_profile},
        }
    )


def answer_users(
    mock: requests_mock.Mocker,
    *users: contract.User,
    subscriptions: tuple[contract.Subscription, ...] = (),
) -> None:
    """Answer the vendor's reads of t-1's users (SCIM, by filter or id, and people, by
    e-mail or all) with `users`, and of its licenses and subscriptions with those of
    `subscriptions` (by default, one of each subscription the users' licenses name); a
    SCIM PATCH of a user with the user as they are, a delete with 204."""
    subscriptions = subscriptions or tuple(
        live_subscription(sub_id.removeprefix("id-"), id=sub_id)
        for sub_id in sorted({u.subscription_id for u in users if u.subscription_id})
    )

    def scim_list(request: Any, _context: Any) -> dict[str, Any]:
        wanted = request.qs.get("filter", [""])[0].lower()
        found = [u for u in users if not wanted or f'"{u.email}"' in wanted]
        listed = ScimList(
            total_results=len(found),
            items_per_page=len(found),
            start_index=1,
            resources=[scim_user(u) for u in found],
        )
        return wire(listed)

    def people(request: Any, _context: Any) -> dict[str, Any]:
        email = request.qs.get("email", [None])[0]
        found = [u for u in users if email in (None, u.email)]
        return wire(PersonCollection(items=[_person(u) for u in found]))

    mock.get(SCIM_USERS, json=scim_list)
    for user in users:
        mock.get(f"{SCIM_USERS}/{user.id}", json=wire(scim_user(user)))
        mock.patch(f"{SCIM_USERS}/{user.id}", json=wire(scim_user(user)))
        mock.delete(f"{SCIM_USERS}/{user.id}", status_code=204)
    mock.get(PEOPLE, json=people)
    licenses = [
        VendorLicense(
            id=vendor_license(contract.license_id(sub.id, kind)),
            name=name,
            consumed_units=0,
            consumed_by_users=0,
            subscription_id=sub.external_id,
        )
        for sub in subscriptions
        for kind, (_code, name) in HELD_LICENSES.items()
    ]
    mock.get(LICENSES, json=wire(page(*licenses)))
    mock.get(f"{TENANT_URL}/subscriptions", json=wire(page(*subscriptions)))


def license_patch_answer(
    user: contract.User, *errors: str, status_code: int | None = None
) -> dict[str, Any]:
    """The answer to a license PATCH that left `user` as given: 206 with `errors`."""
    result = LicensesPatchResult(
        org_id=user.tenant_id,
        person_id=f"P-{user.id}",
        email=user.email,
        licenses=[vendor_license(lic) for lic in user.licenses],
        errors=[contract.ErrorDetail(description=e) for e in errors] or None,
    )
    return {"json": wire(result), "status_code": status_code or (206 if errors else 200)}


def changes(mock: requests_mock.Mocker) -> list[tuple[str, str, Any]]:
    """The changes sent: method, path (requests-mock lower-cases it) and body, in order."""
    return [
        (r.method, r.path, r.json() if r.body else None)
        for r in mock.request_history
        if r.method != "GET"
    ]

"""Bad declarations and bad API payloads: each gives one clear error naming the field, and
nothing changes in the backend."""

import copy
import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import requests

from ccprovider.scim_contract import CONTACT_CENTER_SCHEMA, USER_SCHEMA
from ccprovider.spec import SpecError, parse_tenant_spec
from tests.e2e.declarations import tenant as e2e_tenant
from tests.helpers import declaration

TODAY = date(2026, 6, 1)
Edit = Callable[[dict[str, Any]], None]


def set_path(path: str, value: Any) -> Edit:
    """An edit that sets `a.b[0].c` style `path` of the declaration to `value`."""

    def edit(tenant: dict[str, Any]) -> None:
        target: Any = tenant
        parts = path.replace("[", ".").replace("]", "").split(".")
        for part in parts[:-1]:
            target = target[int(part)] if part.isdigit() else target[part]
        last = parts[-1]
        if last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value

    return edit


def append_user(user: dict[str, Any]) -> Edit:
    return lambda tenant: tenant["users"].append(user)


def drop(path: str, key: str) -> Edit:
    def edit(tenant: dict[str, Any]) -> None:
        target: Any = tenant
        for part in path.replace("[", ".").replace("]", "").split("."):
            target = target[int(part)] if part.isdigit() else target[part]
        del target[key]

    return edit


DECLARATIONS: list[tuple[str, Edit, str]] = [
    ("bad email", set_path("users[0].email", "admin1@"), "users[0].email"),
    ("email without domain", set_path("users[0].email", "admin1"), "users[0].email"),
    ("unknown offer", set_path("offer", "flex4"), "offer"),
    ("unknown telephony", set_path("telephony", "isdn"), "telephony"),
    (
        "unknown license model",
        set_path("subscriptions[0].licenseModel", "floating"),
        "subscriptions[0].licenseModel",
    ),
    (
        "negative count",
        set_path("subscriptions[0].entitlements.standardAgents", -1),
        "subscriptions[0].entitlements.standardAgents",
    ),
    (
        "huge count",
        set_path("subscriptions[0].entitlements.ivrPorts", 10**9),
        "subscriptions[0].entitlements.ivrPorts",
    ),
    ("no term", set_path("subscriptions[0].termMonths", 0), "subscriptions[0].termMonths"),
    (
        "end before start",
        set_path("subscriptions[0].termMonths", -12),
        "subscriptions[0].termMonths",
    ),
    ("absurd term", set_path("subscriptions[0].termMonths", 1200), "subscriptions[0].termMonths"),
    ("start not a date", set_path("subscriptions[0].start", "someday"), "subscriptions[0].start"),
    (
        "start before 2000",
        set_path("subscriptions[0].start", "1999-12-31"),
        "subscriptions[0].start",
    ),
    (
        "duplicate user",
        append_user({"email": "ADMIN1@acme.example", "role": "admin", "subscription": "SUB-1"}),
        "users[0].email",
    ),
    (
        "duplicate subscription",
        lambda t: t["subscriptions"].append(t["subscriptions"][0]),
        "subscriptions[0].id",
    ),
    (
        "user on unknown subscription",
        set_path("users[0].subscription", "SUB-404"),
        "users[0].subscription",
    ),
    ("unicode tenant name", set_path("name", "acmé-dev"), "name"),
    ("very long tenant name", set_path("name", "a" * 200), "name"),
    (
        "very long department",
        set_path("subscriptions[0].department", "x" * 500),
        "subscriptions[0].department",
    ),
    (
        "empty department",
        set_path("subscriptions[0].department", "  "),
        "subscriptions[0].department",
    ),
    ("wrong type for hybrid", set_path("hybrid", "sometimes"), "hybrid"),
    ("subscriptions not a list", set_path("subscriptions", {"id": "SUB-1"}), "subscriptions"),
    ("unknown key", set_path("telephone", "vpop"), "telephone"),
    ("missing name", lambda tenant: tenant.pop("name"), "name"),
    ("agent without profile", drop("users[1]", "agentProfile"), "users[1]"),
    ("admin with a profile", set_path("users[0].agentProfile", "premium"), "users[0]"),
    ("unknown role", set_path("users[0].role", "owner"), "users[0].role"),
    ("unknown partner access", set_path("partners[0].access", "owner"), "partners[0].access"),
    ("partner org with spaces", set_path("partners[0].org", "partner a"), "partners[0].org"),
    ("negative warning window", set_path("remapWarningDays", -5), "remapWarningDays"),
    (
        "long purchase order",
        set_path("subscriptions[0].billing", {"purchaseOrder": "P" * 100}),
        "subscriptions[0].billing.purchaseOrder",
    ),
    (
        "unknown billing cycle",
        set_path("subscriptions[0].billing", {"cycle": "weekly"}),
        "subscriptions[0].billing.cycle",
    ),
    (
        "true as a count",
        set_path("subscriptions[0].entitlements.standardAgents", True),
        "subscriptions[0].entitlements.standardAgents",
    ),
    (
        "false as a term",
        set_path("subscriptions[0].termMonths", False),
        "subscriptions[0].termMonths",
    ),
    ("true as a warning window", set_path("remapWarningDays", True), "remapWarningDays"),
    ("a number for adopt", set_path("adopt", 1), "adopt"),
    ("a number for deleteUsers", set_path("deleteUsers", 0), "deleteUsers"),
    ("a number for hybrid", set_path("hybrid", 1), "hybrid"),
    (
        "zero-width space in an email",
        set_path("users[0].email", "admin\u200b1@acme.example"),
        "users[0].email",
    ),
    (
        "right-to-left override in an email",
        set_path("users[0].email", "ad\u202emin1@acme.example"),
        "users[0].email",
    ),
    ("bell in an email", set_path("users[0].email", "admin1\x07@acme.example"), "users[0].email"),
    (
        "cyrillic letter in an email",
        set_path("users[1].email", "\u0430gent1@acme.example"),
        "users[1].email",
    ),
    (
        "markup as an email",
        set_path("users[0].email", "<b>admin</b>@acme.example"),
        "users[0].email",
    ),
    (
        "full-width twin of a user",
        append_user(
            {"email": "\uff41dmin1@acme.example", "role": "admin", "subscription": "SUB-1"}
        ),
        "users[0].email",
    ),
    (
        "digit-one twin of a user",
        append_user({"email": "adminl@acme.example", "role": "admin", "subscription": "SUB-1"}),
        "users[2].email",
    ),
]


@pytest.mark.parametrize(("case", "edit", "path"), DECLARATIONS, ids=[c[0] for c in DECLARATIONS])
def test_a_bad_declaration_gives_one_error_naming_the_field(
    case: str, edit: Edit, path: str
) -> None:
    tenant = copy.deepcopy(declaration())
    edit(tenant)

    with pytest.raises(SpecError) as raised:
        parse_tenant_spec(tenant, TODAY)

    [problem] = raised.value.problems
    assert problem.startswith(f"ccprovider:tenant.{path}"), problem


def rename(path: str, key: str, new: str) -> Edit:
    """An edit that renames `key` of the mapping at `path`, as a typo in a key does."""

    def edit(tenant: dict[str, Any]) -> None:
        target: Any = tenant
        for part in path.replace("[", ".").replace("]", "").split("."):
            target = target[int(part)] if part.isdigit() else target[part]
        target[new] = target.pop(key)

    return edit


ROUGH_DECLARATIONS: list[tuple[str, Edit, str]] = [
    (
        "a typo in a user's subscription",
        set_path("users[1].subscription", "SUB-11"),
        "ccprovider:tenant.users[1].subscription (agent1@acme.example): 'SUB-11' is not a "
        "subscription this tenant declares. Did you mean SUB-1? Fix: map the user to one of "
        "its active subscriptions (SUB-1).",
    ),
    (
        "NUL in a department",
        set_path("subscriptions[0].department", "care\x00x"),
        "ccprovider:tenant.subscriptions[0].department: holds the NUL character (\\u0000), "
        "which cannot be stored: remove it",
    ),
    (
        "lone surrogate in a purchase order",
        set_path("subscriptions[0].billing", {"purchaseOrder": "PO-\ud800"}),
        "ccprovider:tenant.subscriptions[0].billing.purchaseOrder: holds a lone surrogate "
        "(\\ud800), which is no character and cannot be stored: remove it",
    ),
    (
        "date",
        set_path("subscriptions[0].start", "01/02/2025"),
        "ccprovider:tenant.subscriptions[0].start: '01/02/2025' is not a date: use YYYY-MM-DD",
    ),
    (
        "email",
        set_path("users[1].email", "agent1 at acme"),
        "ccprovider:tenant.users[1].email: 'agent1 at acme' is not an e-mail address",
    ),
    (
        "unknown key",
        rename("subscriptions[0]", "termMonths", "termMonth"),
        "unknown key 'termMonth'. Did you mean termMonths?",
    ),
    (
        "duplicate email",
        set_path("users[1].email", "admin1@acme.example"),
        "ccprovider:tenant.users[0].email: 'admin1@acme.example' is declared twice, again "
        "at ccprovider:tenant.users[1].email",
    ),
    (
        "true as a count",
        set_path("subscriptions[0].entitlements.standardAgents", True),
        "ccprovider:tenant.subscriptions[0].entitlements.standardAgents: expected a whole "
        "number, not true or false",
    ),
    (
        "1 as a flag",
        set_path("adopt", 1),
        "ccprovider:tenant.adopt: 1 is not a yes-or-no value: use true or false.",
    ),
    (
        "look-alike email",
        set_path("users[1].email", "\u0430gent1@acme.example"),
        "ccprovider:tenant.users[1].email: '\u0430gent1@acme.example' mixes look-alike "
        "letters of several scripts",
    ),
    (
        "email reading as another user's",
        set_path("users[1].email", "adminl@acme.example"),
        "ccprovider:tenant.users[1].email: 'adminl@acme.example' reads the same as "
        "'admin1@acme.example' at ccprovider:tenant.users[0].email",
    ),
]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [case[1:] for case in ROUGH_DECLARATIONS],
    ids=[case[0] for case in ROUGH_DECLARATIONS],
)
def test_a_rough_declaration_alone_names_the_value_what_is_wrong_and_the_fix(
    edit: Edit, expected: str
) -> None:
    """The program's words for each rough input, alone in a declaration; the real CLI shows
    them in tests/e2e/test_rough_inputs.py."""
    tenant = e2e_tenant()
    edit(tenant)

    with pytest.raises(SpecError) as raised:
        parse_tenant_spec(tenant, TODAY)

    assert [p for p in raised.value.problems if expected in p], raised.value.problems


SUB = {
    "externalId": "SUB-1",
    "department": "care",
    "licenseModel": "named",
    "offer": "flex3",
    "telephony": "vpop",
    "start": "2025-01-01",
    "termMonths": 12,
}
TENANTS = "/v1/simulator/tenants"
OF_TENANT = "/v1/simulator/tenants/{tenant}"
CLOCK = "/v1/simulator/admin/clock"
SCIM_USERS = "/identity/scim/{tenant}/v2/Users"
LICENSE_PATCH = "/v1/licenses/users"


def scim_user(user_name: Any, **contact_center: Any) -> dict[str, Any]:
    """A SCIM user to create, with a contact-center role."""
    return {
        "schemas": [USER_SCHEMA, CONTACT_CENTER_SCHEMA],
        "userName": user_name,
        CONTACT_CENTER_SCHEMA: {"role": "admin", **contact_center},
    }


def license_patch(*licenses: Any) -> dict[str, Any]:
    return {"email": "a@acme.example", "orgId": "{tenant}", "licenses": list(licenses)}


PAYLOADS: list[tuple[str, str, str, Any, str]] = [
    ("unicode tenant name", "POST", TENANTS, {"name": "acmé", "offer": "flex"}, "name"),
    ("offer as a number", "POST", TENANTS, {"name": "acme-x", "offer": 3}, "offer"),
    ("tenant without offer", "POST", TENANTS, {"name": "acme-x"}, "offer"),
    (
        "negative entitlement",
        "POST",
        f"{OF_TENANT}/subscriptions",
        {**SUB, "entitlements": {"wfo": -1}},
        "entitlements.wfo",
    ),
    (
        "invalid start",
        "POST",
        f"{OF_TENANT}/subscriptions",
        {**SUB, "start": "2025-02-30"},
        "start",
    ),
    ("bad email", "POST", SCIM_USERS, scim_user("nobody"), "userName"),
    ("look-alike email", "POST", SCIM_USERS, scim_user("\u0430dmin@acme.example"), "userName"),
    (
        "invisible character in an email",
        "POST",
        SCIM_USERS,
        scim_user("ad\u200bmin@acme.example"),
        "userName",
    ),
    ("unknown role", "POST", SCIM_USERS, scim_user("a@acme.example", role="owner"), "role"),
    (
        "negative usage",
        "POST",
        f"{OF_TENANT}/usage",
        {"records": [{"day": "2026-05-01", "usageType": "wfo", "quantity": -1}]},
        "records.0.quantity",
    ),
    (
        "unknown usage type",
        "POST",
        f"{OF_TENANT}/usage",
        {"records": [{"day": "2026-05-01", "usageType": "fax", "quantity": 1}]},
        "records.0.usageType",
    ),
    ("empty usage batch", "POST", f"{OF_TENANT}/usage", {"records": []}, "records"),
    (
        "false as a usage quantity",
        "POST",
        f"{OF_TENANT}/usage",
        {"records": [{"day": "2026-05-01", "usageType": "wfo", "quantity": False}]},
        "records.0.quantity",
    ),
    (
        "true as an entitlement",
        "POST",
        f"{OF_TENANT}/subscriptions",
        {**SUB, "entitlements": {"standardAgents": True}},
        "entitlements.standardAgents",
    ),
    (
        "a number for hybrid",
        "POST",
        TENANTS,
        {"name": "acme-x", "offer": "flex", "hybrid": 1},
        "hybrid",
    ),
    (
        "true as clock days",
        "POST",
        CLOCK,
        {"advanceDays": True},
        "advanceDays",
    ),
    (
        "a time before the clock's range",
        "POST",
        CLOCK,
        {"now": "0001-01-01T00:00:00+23:59"},
        "now",
    ),
    (
        "unknown partner access",
        "POST",
        f"{OF_TENANT}/partners",
        {"org": "p-a", "access": "owner"},
        "access",
    ),
    (
        "unknown license operation",
        "PATCH",
        LICENSE_PATCH,
        license_patch({"id": "x", "operation": "toggle"}),
        "licenses.0.operation",
    ),
    ("body not an object", "POST", SCIM_USERS, ["a@acme.example"], "Input should be a valid"),
    *(
        (
            f"lone surrogate in a license to {operation}",
            "PATCH",
            LICENSE_PATCH,
            license_patch({"id": "\ud800:admin", "operation": operation}),
            "licenses.0.id",
        )
        for operation in ("add", "remove")
    ),
    (
        "NUL in a mark",
        "POST",
        SCIM_USERS,
        {**scim_user("a@acme.example"), "externalId": "p/s#\x00"},
        "externalId",
    ),
]


def _snapshot(url: str, tenant_id: str) -> str:
    parts = [
        requests.get(f"{url}{TENANTS}", timeout=10).json(),
        requests.get(f"{url}{CLOCK}", timeout=10).json()["today"],
        requests.get(f"{url}/identity/scim/{tenant_id}/v2/Users", timeout=10).json(),
    ]
    for kind in ("subscriptions", "partners"):
        parts.append(requests.get(f"{url}{TENANTS}/{tenant_id}/{kind}", timeout=10).json())
    return json.dumps(parts, sort_keys=True)


@pytest.mark.parametrize(
    ("case", "method", "path", "body", "field"), PAYLOADS, ids=[p[0] for p in PAYLOADS]
)
def test_a_bad_payload_gives_one_error_naming_the_field_and_changes_nothing(
    backend_url: str, tenant_id: str, case: str, method: str, path: str, body: Any, field: str
) -> None:
    before = _snapshot(backend_url, tenant_id)
    if isinstance(body, dict) and body.get("orgId") == "{tenant}":
        body = {**body, "orgId": tenant_id}

    response = requests.request(
        method, backend_url + path.format(tenant=tenant_id), json=body, timeout=10
    )

    assert response.status_code == 400, response.text
    [error] = response.json()["errors"]
    assert field in error["description"], error
    assert _snapshot(backend_url, tenant_id) == before

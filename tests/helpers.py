"""Helpers shared by the backend and provider tests."""

from datetime import date
from typing import Any

import requests

from ccprovider.client import ProvisioningClient
from ccprovider.contract import LicenseOperation, LicensePatch, SubscriptionBody, UserBody


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


def assign_license(client: ProvisioningClient, tenant_id: str, email: str, license_id: str) -> None:
    """Give the user the license, as an admin does in Control Hub."""
    operation = LicenseOperation(id=license_id, operation="add")
    client.patch_licenses(tenant_id, LicensePatch(email=email, licenses=[operation]))

"""Tenant declarations for the end-to-end tests, with dates relative to today so that the
program (which judges expiry by today's date) and the backend agree."""

import copy
from datetime import date, timedelta
from typing import Any

from ccprovider.domain import add_months

TODAY = date.today()


def subscription(sub_id: str, start: date, term_months: int, **overrides: Any) -> dict[str, Any]:
    return {
        "id": sub_id,
        "department": "customer-care",
        "licenseModel": "named",
        "start": start.isoformat(),
        "termMonths": term_months,
        "entitlements": {"standardAgents": 10, "supervisors": 1},
        **overrides,
    }


def ending_in(days: int, sub_id: str, term_months: int = 36) -> dict[str, Any]:
    """A subscription that ends `days` from today."""
    start = add_months(TODAY + timedelta(days=days), -term_months)
    return subscription(sub_id, start, term_months)


def user(email: str, sub_id: str, role: str = "agent") -> dict[str, Any]:
    declared = {"email": email, "role": role, "subscription": sub_id}
    return declared | ({"agentProfile": "standard"} if role == "agent" else {})


def tenant(**overrides: Any) -> dict[str, Any]:
    """acme-e2e with SUB-1 (active for years), admin1 and agent1 on it."""
    declared = {
        "name": "acme-e2e",
        "offer": "flex3",
        "telephony": "webex_calling",
        "subscriptions": [subscription("SUB-1", date(2025, 1, 1), 60)],
        "users": [
            user("admin1@acme.example", "SUB-1", "admin"),
            user("agent1@acme.example", "SUB-1"),
        ],
    }
    return copy.deepcopy({**declared, **overrides})

"""A program of two tenants, blue and green, declared side by side with `ContactCenter`:
the same subscription ids and users in each, told apart by their component's name."""

from datetime import date
from typing import Any

import pulumi

from ccprovider.contact_center import ContactCenter
from ccprovider.spec import parse_tenant_spec


def declaration(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "offer": "flex3",
        "telephony": "webex_calling",
        "subscriptions": [
            {
                "id": "SUB-1",
                "department": "customer-care",
                "licenseModel": "named",
                "start": "2025-01-01",
                "termMonths": 60,
                "entitlements": {"standardAgents": 10},
            }
        ],
        "users": [
            {"email": "admin1@acme.example", "role": "admin", "subscription": "SUB-1"},
            {
                "email": "agent1@acme.example",
                "role": "agent",
                "agentProfile": "standard",
                "subscription": "SUB-1",
            },
        ],
    }


today = date.today()  # the embedded backend's clock is this machine's
for color in ("blue", "green"):
    center = ContactCenter(color, parse_tenant_spec(declaration(f"acme-{color}"), today), today)
    pulumi.export(f"{color}Primary", center.primary_subscription)

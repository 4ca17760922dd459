"""A program of two tenants, blue and green, declared side by side with `ContactCenter`:
the same subscription ids and users in each, told apart by their component's name.

Stack config `two:<color>Endpoint` and the secret `two:<color>Token` give a tenant a
backend of its own; without them both use the stack's `ccprovider:*` settings. With
`two:break: telephony`, blue's subscription asks for green's telephony option."""

from datetime import date
from typing import Any

import pulumi

from ccprovider.args import Connection, ContactCenterArgs
from ccprovider.contact_center import ContactCenter

OPTIONS = {"blue": ("webex_calling", "named"), "green": ("vpop", "concurrent")}
"""Each tenant's telephony option and license model: sound alone, mixed if taken as one."""


def declaration(color: str) -> dict[str, Any]:
    telephony, license_model = OPTIONS[color]
    broken = color == "blue" and pulumi.Config("two").get("break") == "telephony"
    ordered = OPTIONS["green"][0] if broken else telephony
    return {
        "name": f"acme-{color}",
        "offer": "flex3",
        "telephony": telephony,
        "subscriptions": [
            {
                "id": "SUB-1",
                "department": "customer-care",
                "licenseModel": license_model,
                "telephony": ordered,
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


config = pulumi.Config("two")
today = date.today()  # the backends' clocks are this machine's
for color in ("blue", "green"):
    endpoint = config.get(f"{color}Endpoint")
    own = Connection(endpoint, config.require_secret(f"{color}Token")) if endpoint else None
    args = ContactCenterArgs.from_declaration(declaration(color), connection=own)
    center = ContactCenter(color, args, today=today)
    pulumi.export(f"{color}Primary", center.primary_subscription)

"""Two contact-center tenants from one Pulumi program, as a platform team composes them
with the rest of its infrastructure. README.md ("Use ccprovider from your own program")
shows the program below this docstring as it is, and a test holds the two the same:

- `acme-support` and `acme-sales`, each a `ContactCenter`, with the same subscription id
  in each (children are named after their component);
- the support team's new lead gets a mailbox from another resource, and the tenant takes
  her e-mail address from that resource's output;
- with `centers:supportEndpoint` / `centers:salesEndpoint` and their secret tokens
  (`centers:supportToken`, `centers:salesToken`) each tenant lives on a backend of its own;
  without them both use the stack's `ccprovider:*` settings (by default the embedded
  backend).
"""

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, Resource, ResourceProvider

from ccprovider import Connection, ContactCenter, ContactCenterArgs


class MailboxProvider(ResourceProvider):
    """A stand-in for a mail system: a mailbox's address is made from a person's name."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        address = f"{props['person'].lower().replace(' ', '.')}@{props['domain']}"
        return CreateResult(address, {**props, "address": address})


class Mailbox(Resource):
    """A person's mailbox; `address` is known once the mail system made it."""

    address: pulumi.Output[str]

    def __init__(self, name: str, person: str, domain: str) -> None:
        props = {"person": person, "domain": domain, "address": None}
        super().__init__(MailboxProvider(), name, props)


config = pulumi.Config("centers")


def connection(tenant: str) -> Connection | None:
    """The tenant's own backend when the stack names one: `centers:<tenant>Endpoint` and
    the secret `centers:<tenant>Token` (`pulumi config set --secret`). None: the tenant
    uses the stack's `ccprovider:*` settings."""
    endpoint = config.get(f"{tenant}Endpoint")
    return Connection(endpoint, config.require_secret(f"{tenant}Token")) if endpoint else None


def subscription(external_id: str, department: str, agents: int) -> dict[str, Any]:
    return {
        "id": external_id,
        "department": department,
        "license_model": "named",
        "start": "2025-01-01",
        "term_months": 36,
        "entitlements": {"standard_agents": agents},
    }


lead = Mailbox("dana-reyes-mailbox", "Dana Reyes", "acme.example")

support = ContactCenter(
    "support",
    ContactCenterArgs(
        name="acme-support",
        offer="flex3",
        telephony="webex_calling",
        subscriptions=[subscription("SUB-1", "customer-care", 20)],
        users=[
            {"email": "admin@acme.example", "role": "admin", "subscription": "SUB-1"},
            # Wired from the mailbox: `key` names the resource, the address comes later.
            {"email": lead.address, "key": "lead", "role": "supervisor", "subscription": "SUB-1"},
        ],
        connection=connection("support"),
    ),
)

sales = ContactCenter(
    "sales",
    ContactCenterArgs(
        name="acme-sales",
        offer="flex3",
        telephony="vpop",
        subscriptions=[subscription("SUB-1", "inside-sales", 10)],
        users=[{"email": "admin@acme.example", "role": "admin", "subscription": "SUB-1"}],
        connection=connection("sales"),
    ),
)

pulumi.export("supportLead", lead.address)
pulumi.export("supportUsers", support.users_per_subscription)
pulumi.export("salesUsers", sales.users_per_subscription)

"""Export: the stack declaration of a tenant that already exists in the backend.

The declaration has `adopt: true`, so the first `pulumi up` of the stack adopts the
tenant's objects by their natural keys instead of duplicating them, and it is written the
way the program normalizes it, so the preview after that first up shows no changes.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ccprovider import contract
from ccprovider.client import ProvisioningClient


class ExportError(Exception):
    """The tenant cannot be exported."""


@dataclass
class Export:
    """A tenant's declaration and notes on what it could not declare."""

    declaration: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def _subscription(sub: contract.Subscription, tenant: contract.Tenant) -> dict[str, Any]:
    declared: dict[str, Any] = {
        "id": sub.external_id,
        "department": sub.department,
        "licenseModel": sub.license_model.value,
        "start": sub.start,
        "termMonths": sub.term_months,
    }
    if sub.offer is not tenant.offer:
        declared["offer"] = sub.offer.value
    entitlements = sub.entitlements.model_dump(by_alias=True, exclude_defaults=True)
    if entitlements:
        declared["entitlements"] = entitlements
    declared["billing"] = sub.billing.model_dump(mode="json", by_alias=True, exclude_none=True)
    return declared


TEAM_MARK = "#team:"
"""What a user's `externalId` contains when a team of some ccprovider stack manages them."""


def _user(user: contract.User, external_id: str) -> dict[str, Any]:
    declared: dict[str, Any] = {"email": user.email, "role": user.role.value}
    if user.agent_profile is not None:
        declared["agentProfile"] = user.agent_profile.value
    declared["subscription"] = external_id
    if user.external_id and TEAM_MARK in user.external_id:
        declared["team"] = user.external_id.rpartition(TEAM_MARK)[2]
    return declared


PROGRESS_EVERY = 1000
"""How many users `export_tenant` reads between two reports of its progress."""


def export_tenant(
    client: ProvisioningClient, name: str, progress: Callable[[int], None] | None = None
) -> Export:
    """The declaration of tenant `name` as the backend holds it now; users of teams keep
    their team. `progress` hears how many users have been read, every `PROGRESS_EVERY`."""
    tenant = client.find_tenant(name)
    if tenant is None:
        raise ExportError(f"no tenant named '{name}' in the backend")
    subscriptions = list(client.list_subscriptions(tenant.id))
    external_ids = {s.id: s.external_id for s in subscriptions}
    export = Export({})
    if tenant.telephony is None:
        export.notes.append("the tenant has no subscription yet: telephony set to webex_calling")
    users = []
    for count, user in enumerate(client.list_users(tenant.id, page_size=PROGRESS_EVERY), 1):
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
        if user.subscription_id in external_ids:
            users.append(_user(user, external_ids[user.subscription_id]))
        else:
            export.notes.append(f"{user.email} holds no contact-center license: not declared")
    export.declaration = {
        "name": tenant.name,
        "offer": tenant.offer.value,
        "hybrid": tenant.hybrid,
        "telephony": (tenant.telephony.value if tenant.telephony else "webex_calling"),
        "adopt": True,
        "subscriptions": [_subscription(s, tenant) for s in subscriptions],
        "users": users,
        "partners": [
            p.model_dump(
                mode="json",
                by_alias=True,
                include={"org", "access", "approved_by"},
                exclude_none=True,
            )
            for p in client.list_partners(tenant.id)
        ],
    }
    return export

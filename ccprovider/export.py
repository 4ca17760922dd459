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
from ccprovider.directory import DIRECTORY_MARK
from ccprovider.rule_inference import Held, Inferred, infer_rules
from ccprovider.vendor_users import Listed


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


def _rules(listed: list[Listed], external_ids: dict[str, str]) -> Inferred:
    """License rules for the licensed people the directory brought."""
    holding = {
        found.user.email: Held(
            external_ids[found.user.subscription_id],
            found.user.role.value,
            found.user.agent_profile.value if found.user.agent_profile else None,
        )
        for found in listed
        if (found.user.external_id or "").startswith(DIRECTORY_MARK)
        and found.user.subscription_id in external_ids
    }
    return infer_rules([found.person for found in listed], holding)


PROGRESS_EVERY = 1000
"""How many users `export_tenant` reads between two reports of its progress."""


def export_tenant(
    client: ProvisioningClient,
    name: str,
    progress: Callable[[int], None] | None = None,
    *,
    rules: bool = False,
) -> Export:
    """The declaration of tenant `name` as the backend holds it now; users of teams keep
    their team. With `rules`, the licensed people the directory brought become license
    rules where their attributes tell them apart (`rule_inference`). `progress` hears how
    many users have been read, every `PROGRESS_EVERY`."""
    tenant = client.find_tenant(name)
    if tenant is None:
        raise ExportError(f"no tenant named '{name}' in the backend")
    subscriptions = list(client.list_subscriptions(tenant.id))
    external_ids = {s.id: s.external_id for s in subscriptions}
    export = Export({})
    if tenant.telephony is None:
        export.notes.append("the tenant has no subscription yet: telephony set to webex_calling")
    listed = []
    for count, found in enumerate(client.listed_users(tenant.id, PROGRESS_EVERY), 1):
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
        listed.append(found)
    by_rule = _rules(listed, external_ids) if rules else Inferred()
    export.notes += by_rule.notes
    users = []
    for found in listed:
        user = found.user
        if user.subscription_id not in external_ids:
            export.notes.append(f"{user.email} holds no contact-center license: not declared")
        elif not by_rule.covers(user.email):
            users.append(_user(user, external_ids[user.subscription_id]))
    export.declaration = {
        "name": tenant.name,
        "offer": tenant.offer.value,
        "hybrid": tenant.hybrid,
        "telephony": (tenant.telephony.value if tenant.telephony else "webex_calling"),
        "adopt": True,
        "subscriptions": [_subscription(s, tenant) for s in subscriptions],
        "users": users,
        **({"licenseRules": by_rule.rules} if by_rule.rules else {}),
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

"""What the program reads before it declares anything: the provisioning clock, which every
date rule of the preview follows; with `adopt: true` the declared objects that already
exist there, which the update will take over; and what the stack's last update managed."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

import pulumi

from ccprovider.client import ProvisioningClient
from ccprovider.connection import ConnectionSettings, provisioning_date
from ccprovider.directory import DirectoryPerson
from ccprovider.domain import LicenseKind
from ccprovider.resources.failures import explained
from ccprovider.spec import TenantSpec

T = TypeVar("T")

KINDS = ("tenant", "subscription", "user", "partner")
"""The kinds of object a stack declares, in the order notices name them."""


class LiveReadError(Exception):
    """Reading the provisioning system failed in a way the user can act on; the message is
    the one line to show."""


def tenant_label(raw: Any) -> str:
    """The declared tenant in messages, read before the declaration is validated."""
    name = raw.get("name") if isinstance(raw, Mapping) else None
    return f"Tenant '{name}'" if isinstance(name, str) else "Tenant"


def read(label: str, settings: ConnectionSettings, call: Callable[[], T]) -> T:
    """`call`'s result; a failure a user can act on becomes a `LiveReadError` naming
    `label`, the cause and the fix, as a failing resource would."""
    try:
        return call()
    except Exception as failure:
        error = explained(failure, label, settings.describe())
        if error is None:
            raise
        raise LiveReadError(str(error)) from None


class ProvisioningClock:
    """The provisioning system's date, read from the backend on first use and then kept, so
    that one run judges every rule on one day."""

    def __init__(self, label: str, settings: ConnectionSettings) -> None:
        self._label = label
        self._settings = settings
        self._today: date | None = None

    def today(self) -> date:
        if self._today is None:
            settings = self._settings
            self._today = read(self._label, settings, lambda: provisioning_date(settings))
        return self._today


def existing_objects(client: ProvisioningClient, spec: TenantSpec) -> dict[str, list[str]]:
    """The declared objects that already exist in the backend, by kind, by name."""
    tenant = client.find_tenant(spec.name)
    if tenant is None:
        return {}
    subs = {s.external_id for s in client.list_subscriptions(tenant.id)}
    users = {u.email for u in client.list_users(tenant.id)}
    partners = {p.org for p in client.list_partners(tenant.id)}
    found = {
        "tenant": [spec.name],
        "subscription": [s.external_id for s in spec.subscriptions if s.external_id in subs],
        "user": [u.email for u in spec.users if u.email in users],
        "partner": [p.org for p in spec.partners if p.org in partners],
    }
    return {kind: names for kind, names in found.items() if names}


@dataclass(frozen=True)
class Directory:
    """The tenant's people as the directory describes them, and the license each holds now
    (its subscription's external id and its kind), by e-mail."""

    people: list[DirectoryPerson]
    holding: dict[str, tuple[str, LicenseKind]]

    def subscriptions_held(self) -> dict[str, str]:
        """Each licensed person's subscription, by e-mail."""
        return {email: held[0] for email, held in self.holding.items()}


def read_directory(client: ProvisioningClient, tenant_name: str) -> Directory:
    """The directory of the tenant named `tenant_name`: empty while it does not exist."""
    tenant = client.find_tenant(tenant_name)
    if tenant is None:
        return Directory([], {})
    external = {s.id: s.external_id for s in client.list_subscriptions(tenant.id)}
    people, holding = [], {}
    for found in client.listed_users(tenant.id):
        people.append(found.person)
        for held in found.user.licenses[:1]:
            sub_id, _, kind = held.partition(":")
            if sub_id in external:
                holding[found.user.email] = (external[sub_id], LicenseKind(kind))
    return Directory(people, holding)


READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs"
"""The engine's own function that a `StackReference` reads a stack's outputs with."""


def last_update_outputs() -> dict[str, Any]:
    """The outputs this stack's last update wrote, read from its state by the engine's own
    function rather than by a `StackReference`: a reference is a resource of the stack, which
    every refresh reads again and finds changed by the update since, so that
    `refresh --expect-no-changes` would never pass right after an update."""
    name = f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"
    found = pulumi.runtime.invoke(READ_STACK_OUTPUTS, {"name": name}).value or {}
    return dict(found.get("outputs") or {})


def managed_objects(last_outputs: Mapping[str, Any]) -> dict[str, set[str]]:
    """The objects the stack's last update managed, by kind, from its outputs."""
    per_subscription: Mapping[str, list[str]] = last_outputs.get("usersPerSubscription") or {}
    return {
        "tenant": {last_outputs["tenantName"]} if last_outputs.get("tenantName") else set(),
        "subscription": set(per_subscription),
        "user": {e for emails in per_subscription.values() for e in emails},
        "partner": set(last_outputs.get("partnerAccess") or {}),
    }


def adoption_notices(
    existing: Mapping[str, list[str]], last_outputs: Mapping[str, Any]
) -> list[str]:
    """One line per kind naming the existing objects this update takes over rather than
    creates: those the backend holds and the stack's last update did not manage."""
    managed = managed_objects(last_outputs)
    notices = []
    for kind in KINDS:
        taken = [name for name in existing.get(kind, []) if name not in managed[kind]]
        if taken:
            notices.append(
                f"adopt: takes over {len(taken)} existing {kind}(s) rather than creating "
                f"them: {', '.join(taken)}"
            )
    return notices

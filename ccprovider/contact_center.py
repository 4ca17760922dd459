"""`ContactCenter`: a whole tenant as one component, declared from a validated `TenantSpec`.

It declares the tenant, its subscriptions, one license assignment per user (or one bulk
resource per team, for users declared with a `team`) and the partners, with the
dependencies the engine needs to order changes safely: subscriptions
after the tenant, assignments after their subscription (so a remap lands before the old
subscription is deleted, which the engine does last), partners after the customer admins
who approve them. Its own outputs apply `ccprovider.rules` to the resources' live outputs
on the provisioning clock: they describe the tenant as the backend holds it.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

import pulumi

from ccprovider import domain, rules
from ccprovider.domain import SubscriptionStatus, SubscriptionTerms
from ccprovider.resources import (
    LicenseAssignment,
    PartnerAccess,
    Subscription,
    TeamAssignments,
    TeamMember,
    Tenant,
)
from ccprovider.resources.base import ApiResource
from ccprovider.resources.inputs import CONNECTION
from ccprovider.spec import TenantSpec, UserSpec, expiring_users

COMPONENT_TYPE = "ccprovider:index:ContactCenter"
R = TypeVar("R", bound=ApiResource)
_LIVE_TERMS = (*SubscriptionTerms.model_fields, "status")
"""What the stack outputs need of each subscription: its terms and its live status."""
_LIVE_MAPPING = ("email", "subscription")
"""What they need of each user."""


@dataclass(frozen=True)
class Connection:
    """A tenant's own backend, for a program that manages tenants on several: its endpoint
    (empty: an embedded backend on `backend_file`) and its token, which stays a secret in
    the state. Without one, a tenant uses the stack config's `ccprovider:*` settings."""

    endpoint: str = ""
    token: pulumi.Input[str] | None = None
    backend_file: str | None = None

    def inputs(self) -> dict[str, Any]:
        """The connection as every resource of the tenant takes it."""
        token = pulumi.Output.secret(self.token) if self.token is not None else None
        return {"endpoint": self.endpoint, "token": token, "backend_file": self.backend_file}


class ContactCenter(pulumi.ComponentResource):
    """A tenant with its subscriptions, license assignments and partner access."""

    tenant: Tenant
    subscriptions: dict[str, Subscription]
    assignments: dict[str, LicenseAssignment]
    teams: dict[str, TeamAssignments]
    partners: dict[str, PartnerAccess]

    def __init__(
        self,
        name: str,
        spec: TenantSpec,
        today: date,
        opts: pulumi.ResourceOptions | None = None,
        connection: Connection | None = None,
    ) -> None:
        super().__init__(COMPONENT_TYPE, name, None, opts)
        self._name = name
        self._connection = connection.inputs() if connection else None
        # `protect` guards what cannot come back: the tenant and its subscriptions (orders).
        # Users and partners stay a normal change, so removing an agent in prod is an `up`.
        self._protect = bool(opts and opts.protect)
        # A fixed resource name: renaming the tenant is an update of this one resource.
        settings = spec.model_dump(
            include={"name", "offer", "hybrid", "telephony", "adopt", "take_over"}
        )
        self.tenant = self._declare(Tenant, "tenant", settings, guarded=True)
        tenant_id = self.tenant.id
        owned = {"tenant_id": tenant_id, "adopt": spec.adopt, "take_over": spec.take_over}
        held = {**owned, "delete_users": spec.delete_users}
        self.subscriptions = {
            s.external_id: self._declare(
                Subscription,
                s.external_id,
                {**spec.terms(s).model_dump(mode="json", exclude_none=True), **owned},
                guarded=True,
            )
            for s in spec.subscriptions
        }
        self.assignments = {
            u.email: self._declare(
                LicenseAssignment,
                u.email,
                {
                    **u.model_dump(include={"email", "role", "agent_profile", "subscription"}),
                    "subscription_id": self.subscriptions[u.subscription].id,
                    **held,
                },
            )
            for u in spec.users
            if u.team is None
        }
        self.teams = {
            team: self._declare(TeamAssignments, team, self._team_inputs(team, members, held))
            for team, members in spec.teams().items()
        }
        holder: dict[str, pulumi.Resource] = {**self.assignments}
        holder.update({u.email: self.teams[u.team] for u in spec.users if u.team is not None})
        # Partners join in the declared order (the first partner is the one rule 7 leaves
        # unrestricted), after the customer admins who approve them.
        previous: list[pulumi.Resource] = list(
            {id(r): r for r in (holder[e] for e in spec.customer_admins())}.values()
        )
        self.partners = {}
        for p in spec.partners:
            self.partners[p.org] = self._declare(
                PartnerAccess, p.org, {**p.model_dump(), **owned}, depends_on=previous
            )
            previous = [self.partners[p.org]]

        self.expiring = expiring_users(spec, today)
        live = pulumi.Output.all(
            subscriptions=[s.live(*_LIVE_TERMS) for s in self.subscriptions.values()],
            mappings=[a.live(*_LIVE_MAPPING) for a in self.assignments.values()],
            teams=[team.live("members") for team in self.teams.values()],
            partners=[p.live("org", "access") for p in self.partners.values()],
        ).apply(lambda found: TenantView.of(found, today, spec.remap_warning_days))
        self.primary_subscription = live.apply(lambda view: view.primary)
        self.pooled_entitlements = live.apply(lambda view: view.pooled)
        self.users_per_subscription = live.apply(lambda view: view.users_per_subscription)
        self.expiring_users = live.apply(lambda view: view.expiring_users)
        self.partner_access = live.apply(lambda view: view.partner_access)
        self.register_outputs(
            {
                "tenantId": tenant_id,
                "primarySubscription": self.primary_subscription,
                "pooledEntitlements": self.pooled_entitlements,
                "usersPerSubscription": self.users_per_subscription,
                "expiringUsers": self.expiring_users,
                "partnerAccess": self.partner_access,
            }
        )

    def _declare(
        self,
        kind: type[R],
        key: str,
        inputs: Mapping[str, Any],
        *,
        guarded: bool = False,
        depends_on: list[pulumi.Resource] | None = None,
    ) -> R:
        """The child for `key` (an external id, an e-mail, a team, a partner org, "tenant"),
        named after this component so that one program can hold several tenants, and known
        by its bare key too, the name it had before, so that a stack deployed then keeps
        its resources rather than replacing them."""
        options = pulumi.ResourceOptions(
            parent=self,
            protect=guarded and self._protect,
            depends_on=depends_on,
            aliases=[pulumi.Alias(name=key)],
        )
        if self._connection is not None:  # its token stays a secret in the outputs too
            inputs = {**inputs, CONNECTION: self._connection}
            options.additional_secret_outputs = [CONNECTION]
        child: R = kind(f"{self._name}-{key}", inputs, options)
        return child

    def _team_inputs(
        self, team: str, members: list[UserSpec], held: dict[str, Any]
    ) -> dict[str, Any]:
        """A team's members and the ids of the subscriptions they use."""
        return {
            "team": team,
            "members": {
                u.email: TeamMember(
                    role=u.role, agent_profile=u.agent_profile, subscription=u.subscription
                )
                for u in members
            },
            "subscription_ids": {
                s: self.subscriptions[s].id for s in {u.subscription for u in members}
            },
            **held,
        }


@dataclass(frozen=True)
class TenantView:
    """The tenant as the backend holds it (the resources' live outputs), judged on the
    provisioning clock: what the stack outputs report."""

    primary: str | None
    pooled: dict[str, int]
    users_per_subscription: dict[str, list[str]]
    expiring_users: list[dict[str, Any]]
    partner_access: dict[str, str]

    @classmethod
    def of(cls, found: dict[str, Any], today: date, warning_days: int) -> "TenantView":
        """The view of live subscriptions (terms and status), single assignments (e-mail,
        subscription), team members (e-mail to member) and partners on `today`."""
        subscriptions = [
            domain.Subscription(
                **{f: v for f, v in terms.items() if f != "status"},
                cancelled=terms["status"] == SubscriptionStatus.CANCELLED,
            )
            for terms in found["subscriptions"]
        ]
        # Facts the backend reported, not declarations: taken as they are, unvalidated.
        users = [domain.LicenseAssignment.model_construct(**m) for m in found["mappings"]]
        users += [
            domain.LicenseAssignment.model_construct(**member, email=email)
            for team in found["teams"]
            for email, member in team["members"].items()
        ]
        primary = rules.primary_subscription(subscriptions, today)
        report = rules.remap_report(subscriptions, users, today, warning_days)
        return cls(
            primary=primary.external_id if primary else None,
            pooled={
                t.value: units
                for t, units in rules.pooled_entitlements(subscriptions, today).items()
                if units
            },
            users_per_subscription={
                s.external_id: sorted(u.email for u in users if u.subscription == s.external_id)
                for s in subscriptions
            },
            expiring_users=[
                {
                    "email": need.email,
                    "subscription": need.subscription,
                    "reason": need.reason,
                    "canMoveTo": list(need.candidates),
                }
                for need in [*report.stranded, *report.expiring]
            ],
            partner_access={p["org"]: p["access"] for p in found["partners"]},
        )


def leaving_users(previous: Mapping[str, list[str]] | None, spec: TenantSpec) -> list[str]:
    """The users the last update managed (its `usersPerSubscription` output) that the
    declaration no longer holds, sorted."""
    before = {email for emails in (previous or {}).values() for email in emails}
    return sorted(before - {u.email for u in spec.users})


def leaving_notice(email: str, delete_users: bool) -> str:
    """What removing `email` from the declaration does, as the preview and the update say.
    `delete_users` is the setting of the last update: the steps that let users go run with
    the state it wrote."""
    if delete_users:
        return (
            f"{email} leaves the declaration: its license is released and, as deleteUsers is "
            "true, its account is deleted if this stack created it (a member leaving a team "
            "that stays is released now, and its account goes with the stack's tenant)."
        )
    return (
        f"{email} leaves the declaration: its license is released and its account kept "
        "(with deleteUsers: true, the accounts this stack created are deleted when they "
        "leave in a later update)."
    )

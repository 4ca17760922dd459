"""`ContactCenter`: a whole tenant as one component, declared from a validated `TenantSpec`.

It declares the tenant, its subscriptions, one license assignment per user (or one bulk
resource per team, for users declared with a `team`) and the partners, with the
dependencies the engine needs to order changes safely: subscriptions
after the tenant, assignments after their subscription (so a remap lands before the old
subscription is deleted, which the engine does last), partners after the customer admins
who approve them. Its own outputs apply `ccprovider.rules` to the declaration.
"""

from collections.abc import Mapping
from datetime import date
from typing import Any

import pulumi

from ccprovider import rules
from ccprovider.resources import (
    LicenseAssignment,
    PartnerAccess,
    Subscription,
    TeamAssignments,
    TeamMember,
    Tenant,
)
from ccprovider.spec import TenantSpec, UserSpec, expiring_users

COMPONENT_TYPE = "ccprovider:index:ContactCenter"


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
    ) -> None:
        super().__init__(COMPONENT_TYPE, name, None, opts)
        # `protect` guards what cannot come back: the tenant and its subscriptions (orders).
        # Users and partners stay a normal change, so removing an agent in prod is an `up`.
        protect = bool(opts and opts.protect)
        guarded = pulumi.ResourceOptions(parent=self, protect=protect)
        child = pulumi.ResourceOptions(parent=self, protect=False)
        # A fixed resource name: renaming the tenant is an update of this one resource.
        settings = spec.model_dump(include={"name", "offer", "hybrid", "telephony", "adopt"})
        self.tenant = Tenant("tenant", settings, guarded)
        tenant_id = self.tenant.id
        owned = {"tenant_id": tenant_id, "adopt": spec.adopt}
        held = {**owned, "delete_users": spec.delete_users}
        self.subscriptions = {
            s.external_id: Subscription(
                s.external_id,
                {**spec.terms(s).model_dump(mode="json", exclude_none=True), **owned},
                guarded,
            )
            for s in spec.subscriptions
        }
        self.assignments = {
            u.email: LicenseAssignment(
                u.email,
                {
                    **u.model_dump(include={"email", "role", "agent_profile", "subscription"}),
                    "subscription_id": self.subscriptions[u.subscription].id,
                    **held,
                },
                child,
            )
            for u in spec.users
            if u.team is None
        }
        self.teams = {
            team: TeamAssignments(team, self._team_inputs(team, members, held), child)
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
            self.partners[p.org] = PartnerAccess(
                p.org,
                {**p.model_dump(), **owned},
                pulumi.ResourceOptions(parent=self, protect=False, depends_on=previous),
            )
            previous = [self.partners[p.org]]

        declared = spec.declared_subscriptions()
        primary = rules.primary_subscription(declared, today)
        self.primary_subscription = primary.external_id if primary else None
        self.pooled_entitlements = {
            usage_type.value: units
            for usage_type, units in rules.pooled_entitlements(declared, today).items()
            if units
        }
        self.users_per_subscription = {
            s.external_id: [u.email for u in spec.users if u.subscription == s.external_id]
            for s in spec.subscriptions
        }
        self.expiring = expiring_users(spec, today)
        self.expiring_users = [
            {
                "email": need.email,
                "subscription": need.subscription,
                "reason": need.reason,
                "canMoveTo": list(need.candidates),
            }
            for need in self.expiring
        ]
        self.register_outputs(
            {
                "tenantId": tenant_id,
                "primarySubscription": self.primary_subscription,
                "pooledEntitlements": self.pooled_entitlements,
                "usersPerSubscription": self.users_per_subscription,
                "expiringUsers": self.expiring_users,
            }
        )

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


def leaving_users(previous: Mapping[str, list[str]] | None, spec: TenantSpec) -> list[str]:
    """The users the last update declared (its `usersPerSubscription` output) that the
    declaration no longer holds, sorted."""
    before = {email for emails in (previous or {}).values() for email in emails}
    return sorted(before - {u.email for u in spec.users})


def leaving_notice(email: str, delete_users: bool) -> str:
    """What removing `email` from the declaration does, as the preview and the update say."""
    if delete_users:
        return (
            f"{email} leaves the declaration: its license is released and, as deleteUsers is "
            "true, its account is deleted if this stack created it (a member leaving a team "
            "that stays is released now, and its account goes with the stack's tenant)."
        )
    return (
        f"{email} leaves the declaration: its license is released and its account kept "
        "(set deleteUsers: true to delete the accounts this stack created)."
    )

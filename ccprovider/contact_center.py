"""`ContactCenter`: a whole tenant as one component, declared from a validated `TenantSpec`.

It declares the tenant, its subscriptions, one license assignment per user (or one bulk
resource per team, for users declared with a `team`) and the partners, with the
dependencies the engine needs to order changes safely: subscriptions
after the tenant, assignments after their subscription (so a remap lands before the old
subscription is deleted, which the engine does last), partners after the customer admins
who approve them. Its own outputs apply `ccprovider.rules` to the resources' live outputs
on the provisioning clock: they describe the tenant as the backend holds it.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import pulumi
from pulumi.runtime.config import get_config

from ccprovider import domain, rules
from ccprovider.args import ContactCenterArgs, Shape
from ccprovider.connection import KNOWN_KEYS, ConnectionSettings, connect
from ccprovider.domain import SubscriptionStatus, SubscriptionTerms
from ccprovider.engine_stop import end_quietly_when_stopped, stop
from ccprovider.license_rules import LISTED_PEOPLE, FailOn, RuleOutcome, resolve
from ccprovider.live import (
    Directory,
    LiveReadError,
    ProvisioningClock,
    read,
    read_directory,
    tenant_label,
)
from ccprovider.resources import (
    LicenseAssignment,
    LicenseRuleAssignments,
    PartnerAccess,
    StateIdentity,
    Subscription,
    TeamAssignments,
    TeamMember,
    Tenant,
)
from ccprovider.resources.base import ApiResource
from ccprovider.resources.inputs import CONNECTION, STATE
from ccprovider.spec import (
    CONFIG_KEY,
    SpecError,
    TenantSpec,
    UserSpec,
    expiring_users,
    parse_tenant_spec,
)

COMPONENT_TYPE = "ccprovider:index:ContactCenter"
R = TypeVar("R", bound=ApiResource)
_LIVE_TERMS = (*SubscriptionTerms.model_fields, "status")
"""What the stack outputs need of each subscription: its terms and its live status."""
_LIVE_MAPPING = ("email", "subscription")
"""What they need of each user."""


class ContactCenter(pulumi.ComponentResource):
    """A tenant with its subscriptions, license assignments and partner access."""

    tenant: Tenant
    subscriptions: dict[str, Subscription]
    assignments: dict[str, LicenseAssignment]
    teams: dict[str, TeamAssignments]
    license_rules: dict[str, LicenseRuleAssignments]
    rule_outcomes: list[RuleOutcome]
    directory: Directory
    partners: dict[str, PartnerAccess]

    def __init__(
        self,
        name: str,
        args: ContactCenterArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        today: date | None = None,
        root: Path = Path(),
    ) -> None:
        """Declare the tenant `args` describes. The declaration is judged on `today`, by
        default the provisioning system's date (read from the tenant's backend); a
        `usersFile` is read relative to `root`. A declaration that breaks a rule stops the
        program with the problem at its config path, before anything is declared."""
        end_quietly_when_stopped()  # a resource's failure ends the program in one line
        super().__init__(COMPONENT_TYPE, name, None, opts)
        self._name = name
        # `protect` guards what cannot come back: the tenant and its subscriptions (orders).
        # Users and partners stay a normal change, so removing an agent in prod is an `up`.
        self._protect = bool(opts and opts.protect)
        self._connection = args.connection.inputs() if args.connection else None
        shape = self._shape = Shape(args.declaration)
        # The clock is read only once the declaration's schema holds: a malformed
        # declaration reaches no backend.
        judged_on: date | Callable[[], date] = today or _clock(args).today
        try:
            spec = parse_tenant_spec(shape.declaration, judged_on, root)
            today = judged_on if isinstance(judged_on, date) else judged_on()
        except (SpecError, LiveReadError) as error:
            stop(str(error))
        self.spec = spec
        self.today = today
        self._keys = self._resource_keys(args, spec)
        # Values wired from other resources are judged with the rest once they are known,
        # and reach their resources only then: a value that breaks a rule is never applied.
        self.declaration_checked: pulumi.Output[str] = (
            shape.known(args.declaration).apply(lambda known: _judged(known, today, root))
            if shape.pending
            else pulumi.Output.from_input(spec.name)
        )
        shape.gate(self.declaration_checked)
        # The manager every object of the tenant is marked with: this state.
        self.state = StateIdentity(
            f"{name}-state", pulumi.ResourceOptions(parent=self, protect=self._protect)
        )
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
                self._keys.get(u.email, u.email),
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
        self.rule_outcomes, self.license_rules = self._declare_rules(args, spec, held)
        holder: dict[str, pulumi.Resource] = {**self.assignments}
        holder.update({u.email: self.teams[u.team] for u in spec.users if u.team is not None})
        # Partners join after the customer admins who approve them, and the first partner
        # (the one rule 7 leaves unrestricted) before every other; the others are judged
        # alike, so they join side by side, not one after another.
        previous: list[pulumi.Resource] = list(
            {id(r): r for r in (holder[e] for e in spec.customer_admins())}.values()
        )
        self.partners = {}
        for p in spec.partners:
            self.partners[p.org] = self._declare(
                PartnerAccess,
                self._keys.get(p.org, p.org),
                {**p.model_dump(), **owned},
                depends_on=previous,
            )
            if len(self.partners) == 1:
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
                "declaration": self.declaration_checked,
                "tenantId": tenant_id,
                "primarySubscription": self.primary_subscription,
                "pooledEntitlements": self.pooled_entitlements,
                "usersPerSubscription": self.users_per_subscription,
                "expiringUsers": self.expiring_users,
                "partnerAccess": self.partner_access,
            }
        )

    def _declare_rules(
        self, args: ContactCenterArgs, spec: TenantSpec, held: dict[str, Any]
    ) -> tuple[list[RuleOutcome], dict[str, LicenseRuleAssignments]]:
        """Resolve the license rules against the tenant's directory (read once) and declare
        one resource per rule; a rule with `failOn: any` that cannot license someone stops
        the program, naming them."""
        self.directory = Directory([], {})
        if not spec.license_rules:
            return [], {}
        try:
            self.directory = _directory(args, spec.name)
        except LiveReadError as error:
            stop(str(error))
        subscriptions = {s.external_id: s for s in spec.declared_subscriptions()}
        declared = [u.email for u in spec.users]
        outcomes = resolve(spec.license_rules, self.directory.people, declared, subscriptions)
        refused = [
            _refusal(index, outcome)
            for index, outcome in enumerate(outcomes)
            if outcome.rule.fail_on is FailOn.ANY and outcome.failures
        ]
        if refused:
            stop("\n".join(refused))
        taken = {email for o in outcomes for email in o.members} | set(declared)
        declared_rules = {}
        for outcome in outcomes:
            rule = outcome.rule
            license_held = (rule.subscription, rule.kind())
            handed_over = [
                email
                for email in sorted(taken - set(outcome.members))
                if self.directory.holding.get(email) == license_held
            ]
            inputs = {
                **rule.model_dump(
                    mode="json",
                    include={"role", "agent_profile", "subscription"},
                    exclude_none=True,
                ),
                "rule": rule.name,
                "subscription_id": self.subscriptions[rule.subscription].id,
                "members": sorted(outcome.members),
                "handed_over": handed_over,
                "tenant_id": held["tenant_id"],
            }
            declared_rules[rule.name] = self._declare(
                LicenseRuleAssignments, f"rule-{rule.name}", inputs
            )
        return outcomes, declared_rules

    def _resource_keys(self, args: ContactCenterArgs, spec: TenantSpec) -> dict[str, str]:
        """The resource key of each user and partner whose e-mail or org is not known yet
        (their `key`), by placeholder; refused where there is none, or for a team member
        (the team's resource lists its members by e-mail)."""
        keys: dict[str, str] = {}
        for listed, names in (
            ("users", [u.email for u in spec.users]),
            ("partners", [p.org for p in spec.partners]),
        ):
            for index, value in enumerate(names):
                if not self._shape.is_placeholder(value):
                    continue
                key = args.keys.get((listed, index))
                field = "email" if listed == "users" else "org"
                if key is None or (listed == "users" and spec.users[index].team is not None):
                    stop(
                        f"{CONFIG_KEY}.{listed}[{index}].{field} is wired from another "
                        f"resource, so its resource needs a name known now: give the entry a "
                        f"`key` (and keep it out of a team)."
                    )
                keys[value] = key
        return keys

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
        inputs = {**self._shape.restore(inputs), STATE: self.state.id}
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


def _settings(args: ContactCenterArgs) -> ConnectionSettings:
    """How the program reaches the tenant's backend: its own connection, else the stack
    config's. A secret token that is not known yet is left out: the date needs none, and
    the directory is read from the embedded backend or an open one."""
    own = args.connection
    if own is None:
        return ConnectionSettings.from_config({k: get_config(k) for k in KNOWN_KEYS})
    return ConnectionSettings(
        endpoint=own.endpoint,
        token=own.token if isinstance(own.token, str) else None,
        backend_file=Path(own.backend_file or ConnectionSettings().backend_file),
    )


def _clock(args: ContactCenterArgs) -> ProvisioningClock:
    """The provisioning clock of the tenant's backend."""
    return ProvisioningClock(tenant_label(args.declaration), _settings(args))


def _directory(args: ContactCenterArgs, name: str) -> Directory:
    """The tenant's directory, read once for the license rules."""
    settings = _settings(args)
    return read(
        tenant_label(args.declaration), settings, lambda: read_directory(connect(settings), name)
    )


def _refusal(index: int, outcome: RuleOutcome) -> str:
    """Why a rule with `failOn: any` stops the preview: the people it cannot license."""
    failures = outcome.failures
    shown = ", ".join(f"{f.email} ({f.reason.value}: {f.detail})" for f in failures[:LISTED_PEOPLE])
    more = f", and {len(failures) - LISTED_PEOPLE:,} more" if len(failures) > LISTED_PEOPLE else ""
    return (
        f"{CONFIG_KEY}.licenseRules[{index}] (rule {outcome.rule.name}, failOn: any) cannot "
        f"license {len(failures):,} people: {shown}{more}. Fix: correct them in the "
        "directory or narrow the rule's match; `failOn: none` licenses the others and lists "
        "these in the stack output licenseRuleFailures."
    )


def _judged(declaration: Mapping[str, Any], today: date, root: Path) -> str:
    """The tenant's name, once the whole declaration, with the values wired from other
    resources, holds; else the update stops with the problems at their config paths."""
    try:
        return parse_tenant_spec(declaration, today, root).name
    except SpecError as error:
        raise pulumi.RunError(str(error)) from None  # in an apply: the SDK fails the update


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

"""License rules: who of the org's directory gets which subscription's license, by rule.

`licenseRules:` is an ordered list. Each rule matches people by their directory
attributes and gives those it matches a role, an agent profile and its subscription's
license. A person is licensed by the first rule that matches them, and a person declared
under `users:` by that entry instead (Entra's "direct" beside "inherited"). A person a
rule matches but cannot license (deactivated, a look-alike of another, a kind of license
the subscription does not include) is a failure with a reason code; the others go on.

The functions here are pure: the program resolves the rules against one listing of the
tenant's people, and one resource per rule applies the result.
"""

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cached_property
from typing import Annotated

from pydantic import Field, StrictBool

from ccprovider import rules
from ccprovider.directory import MATCHED_ATTRIBUTES, DirectoryPerson
from ccprovider.domain import (
    CamelModel,
    LicenseAssignment,
    LicenseKind,
    RoleAndProfile,
    Subscription,
    SubscriptionId,
    TeamName,
    UsageType,
    email_skeleton,
)
from ccprovider.vendor_contract import Name

Values = Name | Annotated[list[Name], Field(min_length=1, max_length=100)]
"""One value, or a list of values any of which matches."""
LISTED_PEOPLE = 20
"""How many people a preview names per rule and change; the rest are counted."""

_KIND_UNITS = {
    LicenseKind.STANDARD_AGENT: UsageType.STANDARD_AGENT,
    LicenseKind.PREMIUM_AGENT: UsageType.PREMIUM_AGENT,
    LicenseKind.SUPERVISOR: UsageType.SUPERVISOR,
}
"""The entitlement that includes each kind of license (an admin's is always included)."""


class RuleMatch(CamelModel):
    """Which people a rule matches: every condition given must hold (none: everyone).
    `email` is a glob (`*@emea.acme.example`), `group` a group the person belongs to,
    `active` whether the directory has them active; the other attributes equal a value or
    one of a list of values (compared without regard to case)."""

    email: Name | None = None
    group: Values | None = None
    active: StrictBool | None = None
    title: Values | None = None
    department: Values | None = None
    cost_center: Values | None = None
    organization: Values | None = None
    division: Values | None = None
    manager: Values | None = None

    @cached_property
    def conditions(self) -> dict[str, frozenset[str]]:
        """Each value condition (the attributes and `group`), as the set of values that
        satisfy it, lower-cased: worked out once, as a rule is matched against every
        person of the directory."""
        found: dict[str, frozenset[str]] = {}
        for name in (*MATCHED_ATTRIBUTES, "group"):
            value = getattr(self, name)
            if value is not None:
                values = [value] if isinstance(value, str) else value
                found[name] = frozenset(v.lower() for v in values)
        return found

    def matches(self, person: DirectoryPerson) -> bool:
        if self.active is not None and person.active is not self.active:
            return False
        if self.email is not None and not fnmatch.fnmatchcase(
            person.email.lower(), self.email.lower()
        ):
            return False
        for name, values in self.conditions.items():
            if name == "group":
                if not values & {g.lower() for g in person.groups}:
                    return False
            elif (person.attribute(name) or "").lower() not in values:
                return False
        return True

    def covers(self, other: "RuleMatch") -> bool:
        """Whether everyone `other` matches, this matches too (so a rule after this one
        with `other` can never match anyone). Decided on what the conditions say, not on
        the directory: a condition this has must be one `other` has with fewer values, or
        the same glob, or the same `active`."""
        if self.active is not None and self.active is not other.active:
            return False
        if self.email is not None and (other.email or "").lower() != self.email.lower():
            return False
        mine, theirs = self.conditions, other.conditions
        return all(name in theirs and theirs[name] <= values for name, values in mine.items())


class FailOn(StrEnum):
    """What a person the rule cannot license does to the preview."""

    NONE = "none"
    """They are listed in the stack's `licenseRuleFailures`; the others go on."""
    ANY = "any"
    """The preview fails, naming them."""


class LicenseRule(RoleAndProfile):
    """One rule: its name, whom it matches, the role and profile it gives, and the
    subscription whose license it assigns."""

    name: TeamName
    match: RuleMatch = Field(default_factory=RuleMatch)
    subscription: SubscriptionId
    fail_on: FailOn = FailOn.NONE

    def kind(self) -> LicenseKind:
        return rules.license_kind(self.role, self.agent_profile)


class Reason(StrEnum):
    """Why a rule could not license a person, in the style of Entra's license errors."""

    INACTIVE = "Inactive"
    """The directory has the person deactivated."""
    LOOK_ALIKE = "LookAlike"
    """The person's address reads as another person's."""
    LICENSE_KIND_MISSING = "LicenseKindMissing"
    """The subscription includes no license of the kind the rule gives."""


@dataclass(frozen=True)
class Failure:
    """A person a rule matched and could not license, and why."""

    email: str
    rule: str
    reason: Reason
    detail: str

    def as_output(self) -> dict[str, str]:
        return {
            "email": self.email,
            "rule": self.rule,
            "reason": self.reason.value,
            "detail": self.detail,
        }


@dataclass
class RuleOutcome:
    """What one rule selects: the people it licenses (e-mail to their subscription's
    external id) and those it cannot."""

    rule: LicenseRule
    members: dict[str, str] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)


def static_problems(
    license_rules: Sequence[LicenseRule], subscriptions: Iterable[str], path: str
) -> list[str]:
    """What is wrong with the rules whatever the directory holds, each at its config path
    (`path` is the list's): a name used twice, an unknown subscription, a rule an earlier
    one leaves nobody to match."""
    declared = sorted(subscriptions)
    problems: list[str] = []
    first_named: dict[str, int] = {}
    for index, rule in enumerate(license_rules):
        here = f"{path}[{index}]"
        if rule.name in first_named:
            problems.append(
                f"{here}.name: rule '{rule.name}' is declared twice, first at "
                f"{path}[{first_named[rule.name]}]. Fix: give each rule its own name."
            )
        first_named.setdefault(rule.name, index)
        if rule.subscription not in declared:
            problems.append(
                f"{here}.subscription: '{rule.subscription}' is not a subscription this "
                f"tenant declares. Fix: name one of {', '.join(declared) or 'none declared'}."
            )
        for earlier_index, earlier in enumerate(license_rules[:index]):
            if earlier.match.covers(rule.match):
                problems.append(
                    f"{here}.match: rule '{rule.name}' can never match anyone: rule "
                    f"'{earlier.name}' ({path}[{earlier_index}]) comes first and matches "
                    "everyone it would. Fix: narrow the earlier rule's match, or move this "
                    "rule before it."
                )
                break
    return problems


def resolve(
    license_rules: Sequence[LicenseRule],
    people: Iterable[DirectoryPerson],
    declared_users: Iterable[str],
    subscriptions: Mapping[str, Subscription],
) -> list[RuleOutcome]:
    """Each rule's people: the first rule matching a person takes them, unless they are
    declared under `users:`. A person it cannot license is a failure of that rule."""
    outcomes = [RuleOutcome(rule) for rule in license_rules]
    direct = {email.lower() for email in declared_users}
    seen: dict[str, str] = {}
    for person in sorted(people, key=lambda p: p.email.lower()):
        skeleton = email_skeleton(person.email)
        twin = seen.setdefault(skeleton, person.email)
        if person.email.lower() in direct:
            continue
        outcome = next((o for o in outcomes if o.rule.match.matches(person)), None)
        if outcome is None:
            continue
        failure = _failure(outcome.rule, person, twin, subscriptions)
        if failure is None:
            outcome.members[person.email] = outcome.rule.subscription
        else:
            outcome.failures.append(failure)
    return outcomes


def _failure(
    rule: LicenseRule,
    person: DirectoryPerson,
    twin: str,
    subscriptions: Mapping[str, Subscription],
) -> Failure | None:
    """Why `rule` cannot license `person` (whose address reads as `twin`'s), or None."""
    if not person.active:
        return Failure(person.email, rule.name, Reason.INACTIVE, "deactivated in the directory")
    if twin != person.email:
        return Failure(person.email, rule.name, Reason.LOOK_ALIKE, f"reads the same as {twin}")
    units = _KIND_UNITS.get(rule.kind())
    subscription = subscriptions.get(rule.subscription)
    if (
        units is not None
        and subscription is not None
        and not subscription.entitlements.units(units)
    ):
        return Failure(
            person.email,
            rule.name,
            Reason.LICENSE_KIND_MISSING,
            f"subscription {rule.subscription} includes no {rule.kind().value} licenses",
        )
    return None


@dataclass(frozen=True)
class RuleChanges:
    """What an update does to one rule's people: whom it adds, moves (from which
    subscription) and removes."""

    rule: str
    added: list[str]
    moved: dict[str, str]
    """E-mail to the subscription they are on now."""
    removed: list[str]

    @classmethod
    def of(
        cls, outcome: RuleOutcome, current: Mapping[str, str | None], before: Iterable[str]
    ) -> "RuleChanges":
        """The changes from `before` (the rule's people after the last update) and
        `current` (each person's subscription now, by e-mail) to `outcome`."""
        wanted = outcome.members
        added = sorted(e for e in wanted if not current.get(e))
        moved = {
            e: str(current[e]) for e in sorted(wanted) if current.get(e) and current[e] != wanted[e]
        }
        removed = sorted(set(before) - set(wanted))
        return cls(outcome.rule.name, added, moved, removed)

    def __bool__(self) -> bool:
        return bool(self.added or self.moved or self.removed)

    def describe(self, to: str) -> str:
        """One line: counts, and the first people of each change."""
        parts = []
        if self.added:
            parts.append(f"adds {len(self.added):,} ({_first(self.added)})")
        if self.moved:
            moves = [f"{e} from {s}" for e, s in self.moved.items()]
            parts.append(f"moves {len(moves):,} to {to} ({_first(moves)})")
        if self.removed:
            parts.append(f"removes {len(self.removed):,} ({_first(self.removed)})")
        return f"license rule {self.rule}: " + "; ".join(parts)

    def as_output(self) -> dict[str, object]:
        return {"added": self.added, "moved": self.moved, "removed": self.removed}


def _first(people: Sequence[str]) -> str:
    shown = ", ".join(people[:LISTED_PEOPLE])
    more = len(people) - LISTED_PEOPLE
    return shown + (f", and {more:,} more" if more > 0 else "")


def remap_warnings(
    outcomes: Sequence[RuleOutcome],
    subscriptions: Sequence[Subscription],
    today: date,
    warning_days: int,
) -> list[str]:
    """One warning per rule whose subscription ends within `warning_days`: how many people
    it licenses there, and the subscription that could take them all in one update."""
    rule_users = [
        LicenseAssignment.model_construct(
            email=o.rule.name, role=o.rule.role, subscription=o.rule.subscription
        )
        for o in outcomes
    ]
    report = rules.remap_report(subscriptions, rule_users, today, warning_days)
    people = {o.rule.name: len(o.members) for o in outcomes}
    warnings = []
    for need in report.expiring:
        target = need.candidates[0] if need.candidates else None
        fix = (
            f"point the rule at {target} to move them all in one update"
            if target
            else "add a subscription that runs longer, then point the rule at it"
        )
        warnings.append(
            f"remap before expiry: license rule {need.email} licenses {people[need.email]:,} "
            f"people on {need.subscription}, which {need.reason}; {fix}"
        )
    return warnings


def matching_nobody(outcomes: Sequence[RuleOutcome], path: str) -> list[str]:
    """One warning per rule that matches nobody in the directory, at its config path."""
    return [
        f"{path}[{index}]: license rule {o.rule.name} matches nobody in the tenant's directory"
        for index, o in enumerate(outcomes)
        if not o.members and not o.failures
    ]

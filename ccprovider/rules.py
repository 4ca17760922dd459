"""The vendor's multi-subscription rules, as pure functions over `ccprovider.domain` models.

No HTTP, no Pulumi: the backend, the providers, the program and the policy pack all call
these, so every rule lives in exactly one place. A broken rule is a `Violation` value
that names the objects involved and the fix.
"""

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple, Protocol, TypeVar

from ccprovider.domain import (
    AgentProfile,
    LicenseAssignment,
    LicenseKind,
    LicenseModel,
    PartnerAccessLevel,
    Subscription,
    SubscriptionStatus,
    SubscriptionTerms,
    Telephony,
    UsageRecord,
    UsageType,
    UserIdentity,
    UserRole,
)

K = TypeVar("K")
M = TypeVar("M", bound="Measured")


@dataclass(frozen=True)
class Violation:
    """A broken rule: what is wrong (naming the objects) and how to fix it."""

    rule: str
    message: str
    fix: str
    objects: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.message} Fix: {self.fix}"


# Subscription life and the primary subscription (domain rule 2)


def subscription_status(subscription: Subscription, today: date) -> SubscriptionStatus:
    """Cancelled wins; otherwise pending before the start, active until the end, then expired."""
    if subscription.cancelled:
        return SubscriptionStatus.CANCELLED
    if today < subscription.start:
        return SubscriptionStatus.PENDING
    if today < subscription.end:
        return SubscriptionStatus.ACTIVE
    return SubscriptionStatus.EXPIRED


def _seniority(subscription: SubscriptionTerms) -> tuple[date, str]:
    """Oldest first; equal starts are ordered by external id, so ties break the same way always."""
    return subscription.start, subscription.external_id


def active_subscriptions(subscriptions: Iterable[Subscription], today: date) -> list[Subscription]:
    """The subscriptions active on `today`, oldest first."""
    active = SubscriptionStatus.ACTIVE
    return sorted(
        (s for s in subscriptions if subscription_status(s, today) is active), key=_seniority
    )


def subscriptions_in_force(
    subscriptions: Iterable[Subscription], today: date
) -> list[Subscription]:
    """The subscriptions active or yet to start on `today`, oldest first: the orders that
    decide the tenant's telephony option and license model (expired and cancelled ones no
    longer do, so a tenant whose orders all ended may choose anew)."""
    in_force = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PENDING)
    return sorted(
        (s for s in subscriptions if subscription_status(s, today) in in_force), key=_seniority
    )


def primary_subscription(subscriptions: Iterable[Subscription], today: date) -> Subscription | None:
    """The oldest active subscription (earliest start, then lowest external id), if any."""
    active = active_subscriptions(subscriptions, today)
    return active[0] if active else None


# Pooled entitlements, overage and usage allocation (domain rules 1 and 3)


def pooled_entitlements(subscriptions: Iterable[Subscription], today: date) -> dict[UsageType, int]:
    """Units of every usage type, summed over the active subscriptions."""
    active = active_subscriptions(subscriptions, today)
    return {t: sum(s.entitlements.units(t) for s in active) for t in UsageType}


AddOnSince = Mapping[tuple[str, UsageType], date]
"""Since when each subscription (by external id) has included each add-on without a break;
a subscription missing here has included it since its start."""


def charged_subscription(
    subscriptions: Iterable[Subscription],
    usage_type: UsageType,
    today: date,
    add_on_since: AddOnSince | None = None,
) -> Subscription | None:
    """Who pays `usage_type`'s overage: the primary, except for add-ons, which go to the
    active subscription that has had the add-on the longest and has it still (falling back
    to the primary when no active subscription includes it)."""
    active = active_subscriptions(subscriptions, today)
    if usage_type.is_add_on:
        since = add_on_since or {}
        including = [s for s in active if s.entitlements.units(usage_type) > 0]
        if including:
            return min(
                including,
                key=lambda s: (since.get((s.external_id, usage_type), s.start), *_seniority(s)),
            )
    return active[0] if active else None


@dataclass(frozen=True)
class OverageCharge:
    """One usage type's tenant-wide usage against its pooled entitlement."""

    usage_type: UsageType
    used: int
    pooled: int
    charged_to: str | None

    @property
    def overage(self) -> int:
        """Units used beyond the pool; never negative."""
        return max(0, self.used - self.pooled)


def overage(
    subscriptions: Sequence[Subscription],
    usage: Mapping[UsageType, int],
    today: date,
    add_on_since: AddOnSince | None = None,
) -> list[OverageCharge]:
    """Tenant-wide overage per usage type, in `UsageType` order, for every used or pooled type."""
    pooled = pooled_entitlements(subscriptions, today)
    charges = []
    for usage_type in UsageType:
        used = usage.get(usage_type, 0)
        if used == 0 and pooled[usage_type] == 0:
            continue
        payer = charged_subscription(subscriptions, usage_type, today, add_on_since)
        charges.append(
            OverageCharge(
                usage_type=usage_type,
                used=used,
                pooled=pooled[usage_type],
                charged_to=payer.external_id if payer else None,
            )
        )
    return charges


class Measured(Protocol):
    """Usage of one type on one day: a `UsageRecord`, or `MappedUsage`."""

    @property
    def day(self) -> date: ...

    @property
    def usage_type(self) -> UsageType: ...

    @property
    def quantity(self) -> int: ...


class MappedUsage(NamedTuple):
    """Usage of one type on one day by the users mapped to one subscription that day (its
    external id; None: tenant-level usage, or users mapped to none), summed."""

    day: date
    usage_type: UsageType
    subscription: str | None
    quantity: int


def mapped_usage(records: Iterable[UsageRecord], mapping: Mapping[str, str]) -> list[MappedUsage]:
    """Each record as usage of the subscription `mapping` maps its user's e-mail to."""
    return [
        MappedUsage(r.day, r.usage_type, mapping.get(r.email) if r.email else None, r.quantity)
        for r in records
    ]


def _peak_daily(records: Iterable[M], owner_of: Callable[[M], K]) -> dict[K, Counter[UsageType]]:
    """Per owner and usage type, the highest daily total: entitlements are capacities."""
    daily: Counter[tuple[K, date, UsageType]] = Counter()
    for record in records:
        daily[owner_of(record), record.day, record.usage_type] += record.quantity
    peaks: dict[K, Counter[UsageType]] = {}
    for (owner, _, usage_type), total in daily.items():
        owner_peaks = peaks.setdefault(owner, Counter())
        owner_peaks[usage_type] = max(owner_peaks[usage_type], total)
    return peaks


def tenant_usage(records: Iterable[Measured]) -> Counter[UsageType]:
    """The tenant's usage per type over a period: the peak of its daily totals."""
    return _peak_daily(records, lambda _: None).get(None, Counter())


def allocate_usage(
    subscriptions: Sequence[Subscription], usage: Iterable[MappedUsage], today: date
) -> dict[str | None, Counter[UsageType]]:
    """Usage per subscription external id (peak daily totals): each user's usage goes to the
    subscription they were mapped to; Webex Connect, tenant-level usage and that of users
    mapped to no subscription in `subscriptions` go to the primary. Usage that no
    subscription can carry (there is no primary) is under None."""
    known = {s.external_id for s in subscriptions}
    primary = primary_subscription(subscriptions, today)
    primary_id = primary.external_id if primary else None

    def owner_of(mapped: MappedUsage) -> str | None:
        if mapped.usage_type is UsageType.WEBEX_CONNECT or mapped.subscription not in known:
            return primary_id
        return mapped.subscription

    return _peak_daily(usage, owner_of)


@dataclass(frozen=True)
class BillingDay:
    """What was true on one day: the subscriptions provisioned then (with that day's terms),
    the subscription (external id) each user was mapped to, and since when each
    subscription had its add-ons."""

    day: date
    subscriptions: Sequence[Subscription]
    mapping: Mapping[str, str]
    add_on_since: AddOnSince = field(default_factory=dict)
    judged_on: date | None = None
    """The day the subscriptions' status is judged on, if not `day`: a forecast charges a
    past day's usage to the subscriptions as they will be."""


@dataclass(frozen=True)
class MonthBilling:
    """A month charged day by day: per subscription its peak daily usage, and per usage
    type the charge of the day with the highest overage (the peak-usage day if none)."""

    usage: dict[str | None, Counter[UsageType]]
    charges: list[OverageCharge]


def month_billing(days: Iterable[BillingDay], records: Iterable[UsageRecord]) -> MonthBilling:
    """Each day's usage records charged to what was true that day (see `daily_billing`)."""
    by_day: dict[date, list[UsageRecord]] = {}
    for record in records:
        by_day.setdefault(record.day, []).append(record)
    return daily_billing((day, mapped_usage(by_day.get(day.day, []), day.mapping)) for day in days)


def daily_billing(days: Iterable[tuple[BillingDay, Sequence[MappedUsage]]]) -> MonthBilling:
    """Each day of a month, in order, with its usage by the subscription the users were
    mapped to that day, charged to what was true that day: to that subscription, against
    the entitlements pooled that day, overage to that day's payer. The vendor counts peak
    daily usage, so a month takes each figure's highest day; a subscription provisioned for
    part of the month counts on its days only."""
    usage: dict[str | None, Counter[UsageType]] = {}
    deciding: dict[UsageType, OverageCharge] = {}
    for day, todays in days:
        on = day.judged_on or day.day
        for owner, peaks in allocate_usage(day.subscriptions, todays, on).items():
            usage[owner] = usage.get(owner, Counter()) | peaks
        charges = overage(day.subscriptions, tenant_usage(todays), on, day.add_on_since)
        for charge in charges:
            best = deciding.get(charge.usage_type)
            if best is None or (charge.overage, charge.used) >= (best.overage, best.used):
                deciding[charge.usage_type] = charge
    return MonthBilling(usage, [deciding[t] for t in UsageType if t in deciding])


# The calendar ahead


@dataclass(frozen=True)
class Event:
    """Something the calendar brings on `day`: a subscription starting or ending (and the
    users who lose access then unless remapped), or another primary."""

    day: date
    what: str
    users: tuple[str, ...] = ()


def upcoming_events(
    subscriptions: Sequence[Subscription], mapping: Mapping[str, str], today: date, days: int
) -> list[Event]:
    """What happens after `today` and within `days`, by day: starts, ends (naming the users
    `mapping` puts on the ending subscription) and changes of the primary."""
    horizon = today + timedelta(days=days)
    dated = [s for s in subscriptions if not s.cancelled]
    events = []
    for subscription in dated:
        if today < subscription.start <= horizon:
            events.append(Event(subscription.start, f"{subscription.external_id} starts"))
        if today < subscription.end <= horizon:
            losing = tuple(sorted(e for e, s in mapping.items() if s == subscription.external_id))
            lost = f"; {len(losing)} user(s) lose access unless remapped" if losing else ""
            events.append(Event(subscription.end, f"{subscription.external_id} ends{lost}", losing))
    primary = primary_subscription(dated, today)
    changes = sorted({d for s in dated for d in (s.start, s.end) if today < d <= horizon})
    for day in changes:
        next_primary = primary_subscription(dated, day)
        if _external_id(next_primary) != _external_id(primary):
            events.append(
                Event(day, f"primary becomes {next_primary.external_id}")
                if next_primary
                else Event(day, "no primary: no subscription is active")
            )
        primary = next_primary
    return sorted(events, key=lambda e: e.day)


def _external_id(subscription: Subscription | None) -> str | None:
    return subscription.external_id if subscription else None


# One telephony option and one license model per tenant (domain rules 9 and 4)


def _holder(
    subscriptions: Sequence[SubscriptionTerms], matches: Callable[[SubscriptionTerms], bool]
) -> str:
    """' (as on SUB-1)' naming the first subscription that matches, or nothing."""
    holder = next((s for s in subscriptions if matches(s)), None)
    return f" (as on {holder.external_id})" if holder else ""


Option = TypeVar("Option", Telephony, LicenseModel)
_VENDOR_SUPPORT = "goes through vendor support, not a normal update"
"""How a tenant changes its telephony option (domain rule 9)."""


def _odd_ones(
    subscriptions: Sequence[SubscriptionTerms],
    value_of: Callable[[SubscriptionTerms], Option],
    option: Option | None,
) -> tuple[Option, str, list[SubscriptionTerms]]:
    """The tenant's one option (the given one, or else the first subscription's, with
    `subscriptions` in provisioning order), where it is held, and who differs from it."""
    chosen = option or value_of(subscriptions[0])
    held = _holder(subscriptions, lambda s: value_of(s) is chosen)
    return chosen, held, [s for s in subscriptions if value_of(s) is not chosen]


def telephony_violations(
    subscriptions: Sequence[SubscriptionTerms], tenant_telephony: Telephony | None = None
) -> list[Violation]:
    """Every subscription whose telephony differs from the tenant's option."""
    if not subscriptions:
        return []
    option, held, odd = _odd_ones(subscriptions, lambda s: s.telephony, tenant_telephony)
    return [
        Violation(
            rule="single-telephony",
            message=(
                f"Subscription {s.external_id} uses telephony {s.telephony.value}, but the "
                f"tenant's option is {option.value}{held}: a tenant has one telephony option."
            ),
            fix=(
                f"set telephony to {option.value} on {s.external_id}. Changing the option "
                f"for the whole tenant {_VENDOR_SUPPORT}."
            ),
            objects=(s.external_id,),
        )
        for s in odd
    ]


def telephony_change_violation(
    subject: str, current: Telephony, declared: Telephony
) -> Violation | None:
    """Whether `subject` (a tenant or subscription, for example "Tenant acme-dev") may go
    from telephony `current` to `declared`: the option is chosen once, by the tenant's first
    subscription, and changing it is a tenant-wide change for vendor support."""
    if current is declared:
        return None
    return Violation(
        rule="single-telephony",
        message=(
            f"{subject} uses telephony {current.value}, the tenant's option, chosen by its "
            f"first subscription; changing it to {declared.value} is a tenant-wide change "
            f"that {_VENDOR_SUPPORT}."
        ),
        fix=f"declare telephony: {current.value}.",
        objects=(subject,),
    )


def license_model_violations(
    subscriptions: Sequence[SubscriptionTerms], tenant_model: LicenseModel | None = None
) -> list[Violation]:
    """Every subscription whose license model differs from the tenant's."""
    if not subscriptions:
        return []
    model, held, odd = _odd_ones(subscriptions, lambda s: s.license_model, tenant_model)
    return [
        Violation(
            rule="single-license-model",
            message=(
                f"Subscription {s.external_id} is {s.license_model.value}, but the tenant's "
                f"subscriptions are {model.value}{held}: concurrent and named subscriptions "
                "cannot be mixed."
            ),
            fix=f"make {s.external_id} a {model.value} subscription.",
            objects=(s.external_id,),
        )
        for s in odd
    ]


# Licenses (domain rule 5: a user has access through the one subscription they are mapped to)


def license_kind(role: UserRole, profile: AgentProfile | None) -> LicenseKind:
    """The contact-center license a user of this role and profile needs."""
    if role is UserRole.ADMIN:
        return LicenseKind.ADMIN
    if role is UserRole.SUPERVISOR:
        return LicenseKind.SUPERVISOR
    if profile is AgentProfile.PREMIUM:
        return LicenseKind.PREMIUM_AGENT
    return LicenseKind.STANDARD_AGENT


def license_fit_problem(user: UserIdentity, license_id: str, kind: LicenseKind) -> str | None:
    """Why `license_id`, a `kind` license, does not fit `user`'s role and profile, or None.
    Checked whenever a user's role or license is set, also when the license stays."""
    needed = license_kind(user.role, user.agent_profile)
    if kind is needed:
        return None
    article = "an" if needed.value[0] in "aeiou" else "a"
    return (
        f"License {license_id} is a {kind.value} license; {user.email} needs {article} "
        f"{needed.value} one."
    )


def license_addition_problem(
    user: UserIdentity,
    license_id: str,
    kind: LicenseKind,
    subscription: Subscription,
    today: date,
    *,
    held: Sequence[str] = (),
) -> str | None:
    """Why `user`, holding the licenses `held`, cannot take `license_id`, a `kind` license of
    `subscription`, or None: the license must fit the user's role, its subscription must
    give access today, and a user holds the license of one subscription at most."""
    misfit = license_fit_problem(user, license_id, kind)
    if misfit is not None:
        return misfit
    problem = access_problem(subscription, today)
    if problem is not None:
        return f"Subscription {subscription.external_id} cannot give access: it {problem}."
    if held:
        return (
            f"{user.email} already holds {held[0]}: one contact-center subscription per user. "
            "Remove it in the same request to switch."
        )
    return None


def license_switch_problem(
    user: UserIdentity, held: str, subscription: Subscription | None, today: date
) -> str | None:
    """Why license `held` cannot become the kind `user` needs after a change of role or
    profile, or None. The switch keeps the user on the same subscription in the same step,
    as when an admin changes an agent's profile, so that subscription must give access."""
    problem = access_problem(subscription, today)
    if problem is None:
        return None
    needed = license_kind(user.role, user.agent_profile)
    return (
        f"{user.email} holds {held}, whose subscription {problem}: it cannot switch to a "
        f"{needed.value} license."
    )


# Remap before expiry (domain rule 5)


@dataclass(frozen=True)
class RemapNeed:
    """A user whose subscription no longer (or soon no longer) gives access."""

    email: str
    subscription: str
    reason: str
    candidates: tuple[str, ...]

    def describe(self) -> str:
        moves = ", ".join(self.candidates) or "none: add an active subscription first"
        return f"{self.email} on {self.subscription} ({self.reason}); can move to: {moves}"


@dataclass(frozen=True)
class RemapReport:
    """Users who must be remapped now (`stranded`) and users to remap soon (`expiring`)."""

    stranded: list[RemapNeed] = field(default_factory=list)
    expiring: list[RemapNeed] = field(default_factory=list)

    def violations(self) -> list[Violation]:
        """One violation listing every stranded user and where each can move."""
        if not self.stranded:
            return []
        return [
            Violation(
                rule="remap-before-expiry",
                message=(
                    f"{len(self.stranded)} user(s) would be mapped to a subscription that "
                    "gives no access: " + "; ".join(n.describe() for n in self.stranded) + "."
                ),
                fix="map each user to an active subscription before the old one goes.",
                objects=tuple(n.email for n in self.stranded),
            )
        ]


def access_problem(subscription: Subscription | None, today: date) -> str | None:
    """Why a user mapped to `subscription` has no access today, or None when they have; the
    reason reads after the subscription's name ("... was cancelled")."""
    if subscription is None:
        return "is not a subscription of the tenant"
    return status_problem(subscription, subscription_status(subscription, today))


def status_problem(subscription: SubscriptionTerms, status: SubscriptionStatus) -> str | None:
    """Why a subscription in `status` gives its users no access, or None when it does: only
    an active subscription gives access."""
    if status is SubscriptionStatus.ACTIVE:
        return None
    if status is SubscriptionStatus.PENDING:
        return f"starts on {subscription.start.isoformat()}"
    if status is SubscriptionStatus.EXPIRED:
        return f"expired on {subscription.end.isoformat()}"
    return "was cancelled"


def remap_report(
    subscriptions: Sequence[Subscription],
    assignments: Iterable[LicenseAssignment],
    today: date,
    warning_days: int,
) -> RemapReport:
    """Which users sit on subscriptions that give no access today, or that end within
    `warning_days`, and which active subscriptions each can move to (latest end first)."""
    by_id = {s.external_id: s for s in subscriptions}
    active = sorted(
        active_subscriptions(subscriptions, today),
        key=lambda s: (-s.end.toordinal(), s.external_id),
    )
    report = RemapReport()
    for assignment in assignments:
        current = by_id.get(assignment.subscription)
        candidates = tuple(s.external_id for s in active if s is not current)
        reason = access_problem(current, today)
        if reason is not None:
            report.stranded.append(
                RemapNeed(assignment.email, assignment.subscription, reason, candidates)
            )
        elif current is not None and (current.end - today).days <= warning_days:
            days = (current.end - today).days
            report.expiring.append(
                RemapNeed(
                    assignment.email,
                    assignment.subscription,
                    f"ends on {current.end.isoformat()}, in {days} day(s)",
                    tuple(c for c in candidates if (by_id[c].end - today).days > warning_days),
                )
            )
    return report


# Partner access (domain rule 7)


def partner_access_violation(
    org: str,
    current: PartnerAccessLevel | None,
    requested: PartnerAccessLevel,
    *,
    partners_before: int,
    subscription_count: int,
    approved_by: str | None,
    customer_admins: Iterable[str],
) -> Violation | None:
    """Whether partner `org`, which joined after `partners_before` others, may go from
    `current` (None: joining) to `requested` access.

    In a tenant with several subscriptions, an additional partner (one that joined while
    another partner was present) starts read-only; full admin then needs the approval of
    one of the tenant's customer admins. Downgrades are always allowed.
    """
    restricted = subscription_count > 1 and partners_before > 0
    if not restricted or requested is PartnerAccessLevel.READ_ONLY:
        return None
    if current is PartnerAccessLevel.FULL_ADMIN:
        return None
    if current is None:
        return Violation(
            rule="partner-read-only-first",
            message=(
                f"Partner {org} joins a tenant that has {subscription_count} subscriptions and "
                f"another partner: it must start with read-only access, not full admin."
            ),
            fix=f"create {org} with read_only access, then grant full_admin with approval.",
            objects=(org,),
        )
    admins = set(customer_admins)
    if approved_by is None or approved_by not in admins:
        who = f"'{approved_by}' is not a customer admin" if approved_by else "none is recorded"
        known = f" ({', '.join(sorted(admins))})" if admins else ""
        return Violation(
            rule="partner-full-admin-approval",
            message=(
                f"Full admin access for additional partner {org} needs a customer admin's "
                f"approval, but {who}."
            ),
            fix=f"record approvedBy with the e-mail of one of the tenant's customer admins{known}.",
            objects=(org,),
        )
    return None

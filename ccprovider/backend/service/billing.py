"""Usage records and the monthly billing summary: usage per subscription, pooled
entitlements and overage."""

from calendar import monthrange
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from ccprovider import contract, rules
from ccprovider.backend.errors import BadRequestError
from ccprovider.backend.service.common import (
    SUBSCRIPTION,
    USAGE,
    USER,
    Area,
    PageOf,
    now,
    page_of,
    subscription_from,
    tenant_record,
)
from ccprovider.backend.service.timeline import History, histories, version_on, versions_until
from ccprovider.backend.storage import Ownership, Record, UsageTotal, Version
from ccprovider.domain import Subscription, UsageRecord, UsageType


def _period_bounds(period: str) -> tuple[date, date]:
    """The first and last day of a month written like 2026-05; anything else is a 400."""
    try:
        first = datetime.strptime(period, "%Y-%m").date()
    except ValueError:
        raise BadRequestError(f"period '{period}' is not a month like 2026-05.") from None
    return first, first.replace(day=monthrange(first.year, first.month)[1])


def _period(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _usage_record(record: Record) -> UsageRecord:
    return UsageRecord.model_validate(record.body)


def _external_id(version: Version) -> str:
    return str(version.body["external_id"])


class BillingService(Area):
    """Load and list usage, and summarize a month's billing."""

    def add_usage(self, tenant_id: str, batch: contract.UsageBatch) -> contract.UsageAccepted:
        """Store each record under its day, usage type and user: a record loaded again, or
        corrected, replaces the one stored, so a load repeated never counts twice."""
        keys = [r.key for r in batch.records]
        repeated = sorted(k for k, n in Counter(keys).items() if n > 1)
        if repeated:
            raise BadRequestError(
                f"the batch holds {len(repeated)} key(s) more than once, first {repeated[0]}: "
                "send one record per day, usage type and user."
            )
        items = [
            (key, _period(record.day), record.model_dump(mode="json"))
            for record, key in zip(batch.records, keys, strict=True)
        ]
        with self.store.write() as tx:
            tenant_record(tx, tenant_id)
            _refuse_uncovered(
                batch.records, histories(tx.versions(SUBSCRIPTION, tenant_id), _external_id)
            )
            replaced = tx.put_many(USAGE, tenant_id, items, now(tx))
            return contract.UsageAccepted(accepted=len(keys), replaced=replaced)

    def list_usage(
        self, tenant_id: str, period: str, after: int, limit: int
    ) -> PageOf[UsageRecord]:
        _period_bounds(period)
        with self.store.read() as tx:
            tenant_record(tx, tenant_id)
            return page_of(
                tx, USAGE, tenant_id, after=after, limit=limit, view=_usage_record, ref=period
            )

    def billing_summary(self, tenant_id: str, period: str) -> contract.BillingSummary:
        """Usage per subscription, pooled entitlements and overage for one month, each day
        charged by what was true that day (see `rules.daily_billing`); statuses, the
        primary and the pool as of the period's last day, or today if that is earlier."""
        first, last = _period_bounds(period)
        with self.store.read() as tx:
            tenant_record(tx, tenant_id)
            today = now(tx).date()
            subscriptions = histories(tx.versions(SUBSCRIPTION, tenant_id), _external_id)
            users = histories(tx.versions(USER, tenant_id), lambda v: str(v.body["email"]))
            external_ids = {
                h[0].id: external_id
                for external_id, objects in subscriptions.items()
                for h in objects
            }
            days = [
                _billing_day(first + timedelta(days=n), subscriptions, users, external_ids)
                for n in range((last - first).days + 1)
            ]
            totals = tx.usage_totals(USAGE, tenant_id, period, _ownership(days))
        usage = _usage_by_day(totals)
        billed = rules.daily_billing((day, usage.get(day.day, [])) for day in days)
        as_of = days[(max(first, min(last, today)) - first).days]
        primary = rules.primary_subscription(as_of.subscriptions, as_of.day)
        seen = _last_seen(days)
        return contract.BillingSummary(
            period=period,
            primary_subscription=primary.external_id if primary else None,
            pooled_entitlements=rules.pooled_entitlements(as_of.subscriptions, as_of.day),
            subscriptions=[
                contract.SubscriptionBilling(
                    external_id=external_id,
                    start=subscription.start,
                    end_date=subscription.end,
                    status=rules.subscription_status(subscription, min(day, as_of.day)),
                    is_primary=primary is not None and primary.external_id == external_id,
                    usage=dict(billed.usage.get(external_id, {})),
                )
                for external_id, (subscription, day) in seen.items()
            ],
            unallocated=dict(billed.usage.get(None, {})),
            overage=[
                contract.OverageLine(
                    usage_type=c.usage_type,
                    used=c.used,
                    pooled=c.pooled,
                    overage=c.overage,
                    charged_to=c.charged_to,
                )
                for c in billed.charges
            ],
        )


def _billing_day(
    day: date,
    subscriptions: dict[str, list[History]],
    users: dict[str, list[History]],
    external_ids: dict[str, str],
) -> rules.BillingDay:
    """The subscriptions, user mappings and add-on starts in effect on `day`."""
    provisioned = _provisioned_on(subscriptions, day)
    since = {
        (terms.external_id, usage_type): started
        for history, version, terms in provisioned
        for usage_type, started in _add_on_starts(versions_until(history, version), terms).items()
    }
    mapping = {}
    for email, objects in users.items():
        found = version_on(objects, day)
        if found is not None and found[1].ref in external_ids:
            mapping[email] = external_ids[str(found[1].ref)]
    return rules.BillingDay(day, [terms for _, _, terms in provisioned], mapping, since)


def _provisioned_on(
    subscriptions: dict[str, list[History]], day: date
) -> list[tuple[History, Version, Subscription]]:
    """The subscriptions in effect on `day`: each one's history, its version at the end of
    that day and its terms then."""
    found = (version_on(objects, day) for objects in subscriptions.values())
    return [
        (history, version, subscription_from(version.body))
        for history, version in filter(None, found)
    ]


def _ownership(days: Sequence[rules.BillingDay]) -> list[Ownership]:
    """Each user's mappings over the days, as runs of days on one subscription: the store
    sums usage per day and subscription by them."""
    runs: dict[str, list[Ownership]] = {}
    for billing_day in days:
        day, before = billing_day.day.isoformat(), (billing_day.day - timedelta(1)).isoformat()
        for email, subscription in billing_day.mapping.items():
            mine = runs.setdefault(email, [])
            if mine and mine[-1].owner == subscription and mine[-1].until == before:
                mine[-1] = mine[-1]._replace(until=day)
            else:
                mine.append(Ownership(email, day, day, subscription))
    return [run for mine in runs.values() for run in mine]


def _usage_by_day(totals: list[UsageTotal]) -> dict[date, list[rules.MappedUsage]]:
    """The store's totals, by day."""
    by_day: dict[date, list[rules.MappedUsage]] = {}
    for day, usage_type, subscription, quantity in totals:
        usage = rules.MappedUsage(
            date.fromisoformat(day), UsageType(usage_type), subscription, quantity
        )
        by_day.setdefault(usage.day, []).append(usage)
    return by_day


def _refuse_uncovered(records: list[UsageRecord], subscriptions: dict[str, list[History]]) -> None:
    """Refuse a batch holding usage of a day on which no subscription of the tenant was
    active: nothing could be charged for it. Names the first such record."""
    active = {
        day: rules.active_subscriptions(
            [terms for _, _, terms in _provisioned_on(subscriptions, day)], day
        )
        for day in {record.day for record in records}
    }
    outside = [index for index, record in enumerate(records) if not active[record.day]]
    if not outside:
        return
    first = records[outside[0]]
    more = f" (so are {len(outside) - 1:,} more record(s) of the batch)" if outside[1:] else ""
    raise BadRequestError(
        f"records.{outside[0]} ({first.day}, {first.usage_type.value}, "
        f"{first.email or 'tenant-level'}) is dated outside every subscription's term: no "
        f"subscription of the tenant was active on {first.day}{more}.",
        f"Fix: correct its day, or load it into the tenant whose subscription covered that "
        f"day ({_terms(subscriptions)}); nothing of the batch was stored.",
    )


def _terms(subscriptions: dict[str, list[History]]) -> str:
    """The terms of the tenant's subscriptions, as they stand, for a message."""
    latest = sorted(
        (subscription_from(objects[-1][-1].body) for objects in subscriptions.values()),
        key=lambda s: (s.start, s.external_id),
    )
    if not latest:
        return "the tenant has no subscription"
    return "the tenant's terms: " + ", ".join(
        f"{s.external_id} {s.start} until {s.end}{' (cancelled)' if s.cancelled else ''}"
        for s in latest
    )


def _add_on_starts(history: History, terms: Subscription) -> dict[UsageType, date]:
    """Since when the subscription has included each add-on it includes at the end of
    `history`: its start, if every version included it, else the day of the version that
    added it back last."""
    starts: dict[UsageType, date] = {}
    for usage_type in (t for t in UsageType if t.is_add_on):
        for index, version in enumerate(history):
            units = subscription_from(version.body).entitlements.units(usage_type)
            if units == 0:
                starts.pop(usage_type, None)
            elif usage_type not in starts:
                starts[usage_type] = terms.start if index == 0 else version.valid_from.date()
    return starts


def _last_seen(days: list[rules.BillingDay]) -> dict[str, tuple[Subscription, date]]:
    """Every subscription provisioned on some day of the month, in provisioning order, with
    its terms and the last such day."""
    seen: dict[str, tuple[Subscription, date]] = {}
    for day in days:
        for subscription in day.subscriptions:
            seen[subscription.external_id] = (subscription, day.day)
    return seen

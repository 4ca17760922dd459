"""What a declared change will cost before it is made: per usage type the pooled
entitlement, the overage that a loaded month's usage would produce and the subscription
charged, for the live tenant now and for the declaration after; the primary now and
after; and the events of the year ahead on the provisioning clock."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from ccprovider import rules
from ccprovider.domain import Subscription, UsageRecord, UsageType
from ccprovider.report import table

EVENT_DAYS = 365
"""How far ahead the forecast lists events."""


@dataclass(frozen=True)
class Tenancy:
    """A tenant's subscriptions and the subscription (external id) each user is mapped to."""

    subscriptions: Sequence[Subscription]
    mapping: Mapping[str, str]


@dataclass(frozen=True)
class UsageTypeForecast:
    """One usage type now and after: pool, overage and who pays it."""

    usage_type: UsageType
    pooled_now: int
    pooled_after: int
    overage_now: int
    overage_after: int
    charged_now: str | None
    charged_after: str | None


@dataclass(frozen=True)
class Forecast:
    """The whole forecast of one stack's declaration against its live tenant."""

    tenant: str
    today: date
    usage_period: str | None
    primary_now: str | None
    primary_after: str | None
    usage_types: list[UsageTypeForecast]
    events: list[rules.Event]

    @property
    def overage_increases(self) -> bool:
        """Whether the change makes the loaded month's usage cost more overage."""
        return any(u.overage_after > u.overage_now for u in self.usage_types)


def forecast(
    tenant: str,
    now: Tenancy,
    after: Tenancy,
    records: Sequence[UsageRecord],
    *,
    usage_period: str | None,
    today: date,
) -> Forecast:
    """Charge `records` (one month's usage) day by day to the tenant as it is (`now`) and as
    declared (`after`), both judged on `today`, and list the year's events after it."""
    charged_now = _charges(now, records, today)
    charged_after = _charges(after, records, today)
    pooled_now = rules.pooled_entitlements(now.subscriptions, today)
    pooled_after = rules.pooled_entitlements(after.subscriptions, today)
    usage_types = [
        UsageTypeForecast(
            usage_type=t,
            pooled_now=pooled_now[t],
            pooled_after=pooled_after[t],
            overage_now=charged_now[t].overage if t in charged_now else 0,
            overage_after=charged_after[t].overage if t in charged_after else 0,
            charged_now=_payer(now, t, today),
            charged_after=_payer(after, t, today),
        )
        for t in UsageType
        if pooled_now[t] or pooled_after[t] or t in charged_now or t in charged_after
    ]
    return Forecast(
        tenant=tenant,
        today=today,
        usage_period=usage_period,
        primary_now=_primary(now, today),
        primary_after=_primary(after, today),
        usage_types=usage_types,
        events=rules.upcoming_events(after.subscriptions, after.mapping, today, EVENT_DAYS),
    )


def _charges(
    tenancy: Tenancy, records: Sequence[UsageRecord], today: date
) -> dict[UsageType, rules.OverageCharge]:
    days = [
        rules.BillingDay(day, tenancy.subscriptions, tenancy.mapping, judged_on=today)
        for day in sorted({r.day for r in records})
    ]
    billed = rules.month_billing(days, records)
    return {c.usage_type: c for c in billed.charges}


def _payer(tenancy: Tenancy, usage_type: UsageType, today: date) -> str | None:
    payer = rules.charged_subscription(tenancy.subscriptions, usage_type, today)
    return payer.external_id if payer else None


def _primary(tenancy: Tenancy, today: date) -> str | None:
    primary = rules.primary_subscription(tenancy.subscriptions, today)
    return primary.external_id if primary else None


def forecast_table(result: Forecast, stack: str) -> str:
    """The forecast for a terminal."""
    usage = f"the usage of {result.usage_period}" if result.usage_period else "no loaded usage"
    rows = [
        [
            u.usage_type.value,
            u.pooled_now,
            u.pooled_after,
            u.overage_now,
            u.overage_after,
            u.charged_now or "-",
            u.charged_after or "-",
        ]
        for u in result.usage_types
    ]
    headers = [
        "usage type",
        "pooled now",
        "pooled after",
        "overage now",
        "overage after",
        "charged now",
        "charged after",
    ]
    events = [
        f"{e.day.isoformat()}  {e.what}" + (f": {_names(e.users)}" if e.users else "")
        for e in result.events
    ]
    verdict = (
        "The change increases the projected overage."
        if result.overage_increases
        else "The change does not increase the projected overage."
    )
    return "\n\n".join(
        [
            f"Forecast for tenant {result.tenant} (stack {stack}) on "
            f"{result.today.isoformat()}, against {usage}\n"
            f"primary subscription: {result.primary_now or 'none'} now, "
            f"{result.primary_after or 'none'} after",
            table(headers, rows),
            f"Next {EVENT_DAYS} days\n" + ("\n".join(events) if events else "nothing happens"),
            verdict,
        ]
    )


def _names(emails: Sequence[str], shown: int = 5) -> str:
    more = f" and {len(emails) - shown} more" if len(emails) > shown else ""
    return ", ".join(emails[:shown]) + more


def forecast_json(result: Forecast) -> dict[str, Any]:
    """The forecast for pipelines."""
    return {
        "tenant": result.tenant,
        "today": result.today.isoformat(),
        "usagePeriod": result.usage_period,
        "primary": {"now": result.primary_now, "after": result.primary_after},
        "usageTypes": [
            {
                "usageType": u.usage_type.value,
                "pooled": {"now": u.pooled_now, "after": u.pooled_after},
                "overage": {"now": u.overage_now, "after": u.overage_after},
                "chargedTo": {"now": u.charged_now, "after": u.charged_after},
            }
            for u in result.usage_types
        ],
        "events": [
            {"day": e.day.isoformat(), "event": e.what, "users": list(e.users)}
            for e in result.events
        ],
        "overageIncreases": result.overage_increases,
    }

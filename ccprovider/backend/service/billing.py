"""Usage records and the monthly billing summary: usage per subscription, pooled
entitlements and overage."""

from calendar import monthrange
from datetime import date, datetime

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
    subscription_of,
    tenant_record,
)
from ccprovider.backend.storage import Record
from ccprovider.domain import LicenseAssignment, UsageRecord


def _period_bounds(period: str) -> tuple[date, date]:
    """The first and last day of a month written like 2026-05; anything else is a 400."""
    try:
        first = datetime.strptime(period, "%Y-%m").date()
    except ValueError:
        raise BadRequestError(f"period '{period}' is not a month like 2026-05.") from None
    return first, first.replace(day=monthrange(first.year, first.month)[1])


def _usage_record(record: Record) -> UsageRecord:
    return UsageRecord.model_validate(record.body)


class BillingService(Area):
    """Load and list usage, and summarize a month's billing."""

    def add_usage(self, tenant_id: str, batch: contract.UsageBatch) -> contract.UsageAccepted:
        with self.store.write() as tx:
            tenant_record(tx, tenant_id)
            current = now(tx)
            for record in batch.records:
                period = f"{record.day.year:04d}-{record.day.month:02d}"
                tx.insert(USAGE, tenant_id, record.model_dump(mode="json"), current, ref=period)
            return contract.UsageAccepted(accepted=len(batch.records))

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
        """Usage per subscription, pooled entitlements and overage for one month, with
        statuses and the primary as of the period's last day (or today, if earlier)."""
        _, last_day = _period_bounds(period)
        with self.store.read() as tx:
            tenant_record(tx, tenant_id)
            on = min(last_day, now(tx).date())
            by_id = {r.id: subscription_of(r) for r in tx.page(SUBSCRIPTION, tenant_id)}
            subscriptions = list(by_id.values())
            assignments = [
                LicenseAssignment(
                    email=r.body["email"],
                    role=r.body["role"],
                    agent_profile=r.body["agent_profile"],
                    subscription=by_id[r.ref].external_id,
                )
                for r in tx.page(USER, tenant_id)
                if r.ref in by_id
            ]
            records = [_usage_record(r) for r in tx.page(USAGE, tenant_id, ref=period)]
        primary = rules.primary_subscription(subscriptions, on)
        allocation = rules.allocate_usage(subscriptions, assignments, records, on)
        charges = rules.overage(subscriptions, rules.tenant_usage(records), on)
        return contract.BillingSummary(
            period=period,
            primary_subscription=primary.external_id if primary else None,
            pooled_entitlements=rules.pooled_entitlements(subscriptions, on),
            subscriptions=[
                contract.SubscriptionBilling(
                    external_id=s.external_id,
                    status=rules.subscription_status(s, on),
                    is_primary=s is primary,
                    usage=dict(allocation.get(s.external_id, {})),
                )
                for s in subscriptions
            ],
            unallocated=dict(allocation.get(None, {})),
            overage=[
                contract.OverageLine(
                    usage_type=c.usage_type,
                    used=c.used,
                    pooled=c.pooled,
                    overage=c.overage,
                    charged_to=c.charged_to,
                )
                for c in charges
            ],
        )

"""The figures behind the billing pictures and page: the months shown, whether usage was
loaded for each, and, under a price list, what each month's overage costs per charged
subscription. Units are only ever added up within one usage type; amounts (one currency)
add up across usage types."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from ccprovider.contract import BillingSummary, OverageLine
from ccprovider.domain import UsageType
from ccprovider.prices import PriceList

NO_SUBSCRIPTION = "no subscription"
"""Who overage is charged to when no subscription is active to pay it."""
NO_USAGE = "no usage loaded"


@dataclass(frozen=True)
class BillMonth:
    """One month: its billing summary, and whether any usage was loaded for it (without,
    its zeros say nothing was measured, not that nothing was used)."""

    summary: BillingSummary
    usage_loaded: bool

    @property
    def period(self) -> str:
        return self.summary.period

    @property
    def label(self) -> str:
        """The month as a chart's axis names it: `2026-06 (no usage loaded)` without usage."""
        return self.period if self.usage_loaded else f"{self.period} ({NO_USAGE})"


def payer(line: OverageLine) -> str:
    """The subscription a line's overage is charged to, as the report names it."""
    return line.charged_to or NO_SUBSCRIPTION


@dataclass(frozen=True)
class Bill:
    """Consecutive months, oldest first, priced by `prices` if there is a price list."""

    months: list[BillMonth]
    prices: PriceList | None
    amounts: dict[tuple[str, UsageType], Decimal]
    """Per month and usage type, the overage's amount; empty without a price list."""

    @property
    def span(self) -> str:
        return f"{self.months[0].period} to {self.months[-1].period}"

    def amount(self, month: BillMonth, line: OverageLine) -> Decimal | None:
        """What a line's overage costs; None without a price list."""
        return self.amounts.get((month.period, line.usage_type))

    def charges(self, month: BillMonth) -> dict[str, Decimal]:
        """Per subscription charged overage in `month`, the sum of its amounts."""
        charged: dict[str, Decimal] = {}
        for line in month.summary.overage:
            amount = self.amount(month, line)
            if line.overage and amount is not None:
                charged[payer(line)] = charged.get(payer(line), Decimal(0)) + amount
        return charged

    def totals(self) -> dict[str, Decimal]:
        """Per subscription charged overage in any month, the sum over the months."""
        total: dict[str, Decimal] = {}
        for month in self.months:
            for subscription, amount in self.charges(month).items():
                total[subscription] = total.get(subscription, Decimal(0)) + amount
        return total


def make_bill(months: Sequence[BillMonth], prices: PriceList | None) -> Bill:
    """The bill of `months`, every overage line priced up front, so that a usage type the
    price list leaves out is refused (`PriceListError`) before anything is drawn."""
    amounts = {
        (month.period, line.usage_type): prices.amount(line.usage_type, line.overage, month.period)
        for month in months
        for line in month.summary.overage
        if prices is not None
    }
    return Bill(list(months), prices, amounts)

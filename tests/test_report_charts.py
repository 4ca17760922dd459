"""The report's charts as drawn: readable labels, whole-number counts, one usage type per
overage panel (units of different types are never stacked)."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from matplotlib.legend import Legend
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from ccprovider.bill import BillMonth, make_bill
from ccprovider.charts import Chart, billing_charts
from ccprovider.contract import BillingSummary, OverageLine, SubscriptionBilling
from ccprovider.domain import SubscriptionStatus, UsageType
from ccprovider.prices import PriceList

TODAY = date(2026, 6, 10)


def month(period: str, *overage: tuple[UsageType, int, int, str]) -> BillingSummary:
    """A month of two subscriptions, SUB-A the primary, with these (type, used, pooled,
    charged to) lines."""
    return BillingSummary(
        period=period,
        primary_subscription="SUB-A",
        pooled_entitlements={t: pooled for t, _, pooled, _ in overage},
        subscriptions=[
            SubscriptionBilling(
                external_id=external_id,
                start=date(2025, 1, 1),
                end_date=date(2028, 1, 1),
                status=SubscriptionStatus.ACTIVE,
                is_primary=external_id == "SUB-A",
                usage={},
            )
            for external_id in ("SUB-A", "SUB-B")
        ],
        unallocated={},
        overage=[
            OverageLine(
                usage_type=t, used=used, pooled=pooled, overage=max(0, used - pooled), charged_to=to
            )
            for t, used, pooled, to in overage
        ],
    )


MONTHS = [
    month(
        "2026-04",
        (UsageType.STANDARD_AGENT, 3, 2, "SUB-A"),
        (UsageType.IVR_PORT, 2, 0, "SUB-A"),
        (UsageType.WFO, 1, 0, "SUB-B"),
    ),
    month("2026-05", (UsageType.STANDARD_AGENT, 1, 2, "SUB-A"), (UsageType.WFO, 3, 0, "SUB-B")),
]
NOT_LOADED = month("2026-06", (UsageType.STANDARD_AGENT, 0, 2, "SUB-A"))
PRICES = PriceList(
    Path("prices.csv"),
    "EUR",
    {
        UsageType.STANDARD_AGENT: Decimal(95),
        UsageType.IVR_PORT: Decimal(12),
        UsageType.WFO: Decimal(40),
    },
)


@pytest.fixture(scope="module")
def drawn() -> dict[str, Chart]:
    """The charts of April and May (usage loaded) and June (none), priced."""
    months = [*(BillMonth(m, usage_loaded=True) for m in MONTHS), BillMonth(NOT_LOADED, False)]
    charts = {c.name: c for c in billing_charts(make_bill(months, PRICES), TODAY)}
    for chart in charts.values():
        chart.figure.draw_without_rendering()
    return charts


def test_no_label_or_legend_is_drawn_over_a_bar(drawn: dict[str, Chart]) -> None:
    assert sorted(drawn) == ["charges", "entitlement", "overage", "timeline"]
    for chart in drawn.values():
        for axes in chart.figure.axes:
            bars = [
                p.get_window_extent()
                for p in axes.patches
                if isinstance(p, Rectangle) and p.get_width() and p.get_height()
            ]
            assert bars, chart.name
            legend = axes.get_legend()
            labels: list[Text | Legend] = [*axes.texts, *([legend] if legend else [])]
            for label in labels:
                box = label.get_window_extent()
                assert not any(box.overlaps(bar) for bar in bars), (chart.name, label)


def test_counts_have_whole_number_ticks(drawn: dict[str, Chart]) -> None:
    for name in ("entitlement", "overage"):
        for axes in drawn[name].figure.axes:
            ticks = [t for t in axes.get_yticks() if axes.get_ylim()[0] <= t <= axes.get_ylim()[1]]
            assert ticks and all(float(t).is_integer() for t in ticks), (name, ticks)


def test_a_month_without_usage_is_labelled_so_on_every_axis_of_months(
    drawn: dict[str, Chart],
) -> None:
    for name in ("entitlement", "overage", "charges"):
        for axes in drawn[name].figure.axes:
            labels = [t.get_text() for t in axes.get_xticklabels()]
            assert labels == ["2026-04", "2026-05", "2026-06 (no usage loaded)"], name


def test_each_overage_panel_shows_one_usage_type(drawn: dict[str, Chart]) -> None:
    overage = drawn["overage"].figure

    assert [a.get_title() for a in overage.axes] == ["standard_agent", "ivr_port", "wfo"]
    for axes in overage.axes:
        legend = axes.get_legend()
        assert legend is not None
        assert {t.get_text() for t in legend.get_texts()} <= {"SUB-A", "SUB-B"}

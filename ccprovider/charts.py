"""The billing report as pictures: a timeline of the subscriptions, pooled entitlement
against peak usage per month, overage per month per usage type and charged subscription,
and with a price list what it costs; for the HTML page (`ccprovider.billing_page`) or as
PNG files.

matplotlib is imported when a picture is drawn, never by the provider or the program.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from ccprovider.bill import Bill, BillMonth, payer
from ccprovider.domain import UsageType

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_WIDTH_INCHES = 11.0


@dataclass(frozen=True)
class Chart:
    """One picture: a file name stem, a title, and the figure."""

    name: str
    title: str
    figure: "Figure"


def billing_charts(bill: Bill, today: date) -> list[Chart]:
    """The report's pictures of the bill's months up to `today`'s; with a price list, also
    what the overage costs."""
    import matplotlib  # noqa: PLC0415 - heavy, and only the report draws

    matplotlib.use("Agg")  # no display: files only
    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: searchable, no paths
    charts = [
        Chart("timeline", "Subscriptions over time", _timeline(bill.months, today)),
        Chart(
            "entitlement",
            "Pooled entitlement against peak daily usage",
            _entitlement(bill.months),
        ),
        Chart("overage", "Overage per month, by charged subscription", _overage(bill.months)),
    ]
    if bill.prices is not None:
        title = f"Overage charges per month, by charged subscription ({bill.prices.currency})"
        charts.append(Chart("charges", title, _charges(bill, bill.prices.currency)))
    return charts


def _timeline(months: Sequence[BillMonth], today: date) -> "Figure":
    """A bar per subscription over its term, darker in the months it was the primary; each
    named with its term beside the axis, never over a bar."""
    from matplotlib.dates import date2num  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415

    def day(value: date) -> float:
        return float(date2num(value))

    terms: dict[str, tuple[date, date]] = {}
    for month in months:
        for sub in month.summary.subscriptions:
            terms[sub.external_id] = (sub.start, sub.end_date)
    rows = sorted(terms.items(), reverse=True)
    figure = Figure(figsize=(_WIDTH_INCHES, 1.2 + 0.5 * max(len(terms), 1)), layout="constrained")
    axes = figure.subplots()
    for row, (external_id, (start, end)) in enumerate(rows):
        axes.barh(row, day(end) - day(start), left=day(start), height=0.5, color="#9ecae1")
        for first, last in _primary_spans(months, external_id):
            axes.barh(row, day(last) - day(first), left=day(first), height=0.5, color="#08519c")
    axes.axvline(day(today), color="#d62728", linestyle="--", label=f"today ({today})")
    axes.xaxis_date()
    axes.set_yticks(
        range(len(rows)), [f"{external_id}: {start} to {end}" for external_id, (start, end) in rows]
    )
    axes.set_title("Subscription terms; dark: the primary that month")
    _legend_beside(axes)
    return figure


def _entitlement(months: Sequence[BillMonth]) -> "Figure":
    """Per usage type in use or pooled: the month's pooled entitlement and peak usage (no
    bar for a month without usage loaded: its axis label says so)."""
    from matplotlib.figure import Figure  # noqa: PLC0415

    shown = [
        t
        for t in UsageType
        if any(m.summary.pooled_entitlements.get(t) for m in months)
        or any(o.usage_type is t and o.used for m in months for o in m.summary.overage)
    ]
    figure = Figure(figsize=(_WIDTH_INCHES, 2.4 * max(len(shown), 1)), layout="constrained")
    for index, usage_type in enumerate(shown, start=1):
        axes = figure.add_subplot(len(shown), 1, index)
        pooled = [m.summary.pooled_entitlements.get(usage_type, 0) for m in months]
        loaded = [i for i, m in enumerate(months) if m.usage_loaded]
        used = [
            next((o.used for o in months[i].summary.overage if o.usage_type is usage_type), 0)
            for i in loaded
        ]
        axes.step(
            range(len(months)),
            pooled,
            where="mid",
            label="pooled entitlement",
            color="#08519c",
            zorder=3,  # over the bars, which would hide it
        )
        axes.bar(loaded, used, label="peak daily usage", color="#fdae6b")
        axes.set_title(usage_type.value, fontsize=9)
        _counts(axes, months)
    return figure


def _overage(months: Sequence[BillMonth]) -> "Figure":
    """Overage units per month, a panel per usage type (units of different types are never
    added up), stacked by the subscription charged."""
    from matplotlib.figure import Figure  # noqa: PLC0415

    panels: dict[UsageType, dict[str, list[float]]] = {}
    for position, month in enumerate(months):
        for line in month.summary.overage:
            if line.overage:
                series = panels.setdefault(line.usage_type, {})
                series.setdefault(payer(line), [0] * len(months))[position] += line.overage
    shown = [t for t in UsageType if t in panels]
    figure = Figure(figsize=(_WIDTH_INCHES, 0.6 + 2.4 * max(len(shown), 1)), layout="constrained")
    if not shown:
        axes = figure.subplots()
        axes.set_title("No overage in these months")
        _counts(axes, months)
    for index, usage_type in enumerate(shown, start=1):
        axes = figure.add_subplot(len(shown), 1, index)
        _stacked(axes, panels[usage_type])
        axes.set_title(usage_type.value, fontsize=9)
        axes.set_ylabel("units over the pool")
        _counts(axes, months)
    return figure


def _charges(bill: Bill, currency: str) -> "Figure":
    """What the overage costs per month, stacked by the subscription charged."""
    from matplotlib.figure import Figure  # noqa: PLC0415

    series: dict[str, list[float]] = {}
    for position, month in enumerate(bill.months):
        for subscription, amount in bill.charges(month).items():
            series.setdefault(subscription, [0] * len(bill.months))[position] += float(amount)
    figure = Figure(figsize=(_WIDTH_INCHES, 3.6), layout="constrained")
    axes = figure.subplots()
    _stacked(axes, series)
    if not series:
        axes.set_title("No overage in these months")
    axes.set_ylabel(currency)
    _months_axis(axes, bill.months)
    return figure


def _stacked(axes: "Axes", series: dict[str, list[float]]) -> None:
    """Bars per month, one series on another, named in a legend beside the axes."""
    bottom = [0.0] * len(next(iter(series.values()), []))
    for label, values in sorted(series.items()):
        axes.bar(range(len(values)), values, bottom=bottom, label=label)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]


def _counts(axes: "Axes", months: Sequence[BillMonth]) -> None:
    """An axis of units: whole-number ticks from 0, the months below, the legend beside."""
    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415

    axes.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    axes.set_ylim(bottom=0)
    _months_axis(axes, months)


def _months_axis(axes: "Axes", months: Sequence[BillMonth]) -> None:
    """The months along the x axis, each saying when no usage was loaded for it; the
    legend, if any, beside the axes."""
    labels = [m.label for m in months]
    axes.set_xticks(
        range(len(months)), labels, fontsize=7, rotation=45, ha="right", rotation_mode="anchor"
    )
    _legend_beside(axes)


def _legend_beside(axes: "Axes") -> None:
    """The axes' legend to their right, outside the plot, so it never covers a bar."""
    if axes.get_legend_handles_labels()[0]:
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7)


def _primary_spans(months: Sequence[BillMonth], external_id: str) -> list[tuple[date, date]]:
    """The runs of consecutive months in which `external_id` was the primary, each from
    its first month's first day to the day after its last month."""
    spans: list[tuple[date, date]] = []
    for month in months:
        if month.summary.primary_subscription != external_id:
            continue
        first, following = _month_bounds(month.period)
        if spans and spans[-1][1] == first:
            spans[-1] = (spans[-1][0], following)
        else:
            spans.append((first, following))
    return spans


def _month_bounds(period: str) -> tuple[date, date]:
    year, month = (int(part) for part in period.split("-"))
    first = date(year, month, 1)
    return first, (first + timedelta(days=32)).replace(day=1)


def write_pngs(directory: Path, charts: Sequence[Chart]) -> list[Path]:
    """Each chart as `<name>.png` in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for chart in charts:
        target = directory / f"{chart.name}.png"
        chart.figure.savefig(target, format="png", dpi=110)
        written.append(target)
    return written

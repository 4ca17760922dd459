"""The billing report as pictures: a timeline of the subscriptions, pooled entitlement
against peak usage per month, and overage per month per charged subscription; as one
self-contained HTML page (inline SVG, nothing fetched) or as PNG files.

matplotlib is imported when a picture is drawn, never by the provider or the program.
"""

import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from ccprovider.contract import BillingSummary
from ccprovider.domain import UsageType

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_WIDTH_INCHES = 11.0


@dataclass(frozen=True)
class Chart:
    """One picture: a file name stem, a title, and the figure."""

    name: str
    title: str
    figure: "Figure"


def billing_charts(summaries: Sequence[BillingSummary], today: date) -> list[Chart]:
    """The report's pictures for consecutive months (oldest first) up to `today`'s."""
    import matplotlib  # noqa: PLC0415 - heavy, and only the report draws

    matplotlib.use("Agg")  # no display: files only
    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: searchable, no paths
    return [
        Chart("timeline", "Subscriptions over time", _timeline(summaries, today)),
        Chart(
            "entitlement",
            "Pooled entitlement against peak daily usage",
            _entitlement(summaries),
        ),
        Chart("overage", "Overage per month, by charged subscription", _overage(summaries)),
    ]


def _timeline(summaries: Sequence[BillingSummary], today: date) -> "Figure":
    """A bar per subscription over its term, darker in the months it was the primary."""
    from matplotlib.dates import date2num  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415

    def day(value: date) -> float:
        return float(date2num(value))

    terms: dict[str, tuple[date, date]] = {}
    for summary in summaries:
        for sub in summary.subscriptions:
            terms[sub.external_id] = (sub.start, sub.end_date)
    figure = Figure(figsize=(_WIDTH_INCHES, 1.2 + 0.5 * max(len(terms), 1)), layout="constrained")
    axes = figure.subplots()
    for row, (external_id, (start, end)) in enumerate(sorted(terms.items(), reverse=True)):
        axes.barh(row, day(end) - day(start), left=day(start), height=0.5, color="#9ecae1")
        axes.text(day(start), row, f" {external_id}: {start} to {end}", va="center", fontsize=8)
        for first, last in _primary_spans(summaries, external_id):
            axes.barh(row, day(last) - day(first), left=day(first), height=0.5, color="#08519c")
    axes.axvline(day(today), color="#d62728", linestyle="--", label=f"today ({today})")
    axes.xaxis_date()
    axes.set_yticks(range(len(terms)), sorted(terms, reverse=True))
    axes.set_title("Subscription terms; dark: the primary that month")
    axes.legend(loc="upper right", fontsize=8)
    return figure


def _entitlement(summaries: Sequence[BillingSummary]) -> "Figure":
    """Per usage type in use or pooled: the month's pooled entitlement and peak usage."""
    from matplotlib.figure import Figure  # noqa: PLC0415

    months = [s.period for s in summaries]
    shown = [
        t
        for t in UsageType
        if any(s.pooled_entitlements.get(t) for s in summaries)
        or any(o.usage_type is t and o.used for s in summaries for o in s.overage)
    ]
    figure = Figure(figsize=(_WIDTH_INCHES, 2.4 * max(len(shown), 1)), layout="constrained")
    for index, usage_type in enumerate(shown, start=1):
        axes = figure.add_subplot(len(shown), 1, index)
        pooled = [s.pooled_entitlements.get(usage_type, 0) for s in summaries]
        used = [
            next((o.used for o in s.overage if o.usage_type is usage_type), 0) for s in summaries
        ]
        axes.step(months, pooled, where="mid", label="pooled entitlement", color="#08519c")
        axes.bar(months, used, label="peak daily usage", color="#fdae6b")
        axes.set_title(usage_type.value, fontsize=9)
        axes.legend(loc="upper left", fontsize=7)
        axes.tick_params(axis="x", labelsize=7, rotation=45)
    return figure


def _overage(summaries: Sequence[BillingSummary]) -> "Figure":
    """Overage units per month, stacked by the subscription charged and the usage type."""
    from matplotlib.figure import Figure  # noqa: PLC0415

    months = [s.period for s in summaries]
    series: dict[str, list[int]] = {}
    for index, summary in enumerate(summaries):
        for line in summary.overage:
            if line.overage:
                label = f"{line.charged_to or 'no subscription'} · {line.usage_type.value}"
                series.setdefault(label, [0] * len(summaries))[index] += line.overage
    figure = Figure(figsize=(_WIDTH_INCHES, 3.6), layout="constrained")
    axes = figure.subplots()
    bottom = [0] * len(months)
    for label, values in sorted(series.items()):
        axes.bar(months, values, bottom=bottom, label=label)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    if not series:
        axes.bar(months, bottom)
        axes.set_title("No overage in these months")
    else:
        axes.legend(loc="upper left", fontsize=7)
    axes.set_ylabel("units over the pool")
    axes.tick_params(axis="x", labelsize=7, rotation=45)
    return figure


def _primary_spans(
    summaries: Sequence[BillingSummary], external_id: str
) -> list[tuple[date, date]]:
    """The runs of consecutive months in which `external_id` was the primary, each from
    its first month's first day to the day after its last month."""
    spans: list[tuple[date, date]] = []
    for summary in summaries:
        if summary.primary_subscription != external_id:
            continue
        first, following = _month_bounds(summary.period)
        if spans and spans[-1][1] == first:
            spans[-1] = (spans[-1][0], following)
        else:
            spans.append((first, following))
    return spans


def _month_bounds(period: str) -> tuple[date, date]:
    year, month = (int(part) for part in period.split("-"))
    first = date(year, month, 1)
    return first, (first + timedelta(days=32)).replace(day=1)


def write_html(
    path: Path, charts: Sequence[Chart], summaries: Sequence[BillingSummary], title: str
) -> None:
    """One page holding every chart as inline SVG and the months' figures as a table."""
    sections = []
    for chart in charts:
        svg = io.StringIO()
        chart.figure.savefig(svg, format="svg")
        body = svg.getvalue()
        body = body[body.index("<svg") :]  # drop the XML prolog and doctype
        sections.append(f"<section><h2>{html.escape(chart.title)}</h2>{body}</section>")
    rows = "".join(
        "<tr>"
        f"<td>{html.escape(s.period)}</td>"
        f"<td>{html.escape(s.primary_subscription or '-')}</td>"
        f"<td>{html.escape(', '.join(b.external_id for b in s.subscriptions) or '-')}</td>"
        f"<td>{sum(o.overage for o in s.overage)}</td>"
        "</tr>"
        for s in summaries
    )
    path.write_text(
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em;max-width:70em}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em}"
        "svg{max-width:100%;height:auto}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{''.join(sections)}"
        "<section><h2>Months</h2><table><thead><tr><th>month</th><th>primary</th>"
        "<th>subscriptions</th><th>overage units</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></section></body></html>\n"
    )


def write_pngs(directory: Path, charts: Sequence[Chart]) -> list[Path]:
    """Each chart as `<name>.png` in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for chart in charts:
        target = directory / f"{chart.name}.png"
        chart.figure.savefig(target, format="png", dpi=110)
        written.append(target)
    return written

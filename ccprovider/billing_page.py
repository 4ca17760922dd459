"""The billing report as one self-contained HTML page: the period's table of usage, pool,
overage and the subscription charged (with amounts under a price list), then the charts as
inline SVG; nothing is fetched and nothing runs, and a print style makes it a tidy PDF."""

import html
import io
from collections.abc import Sequence
from pathlib import Path

from ccprovider.bill import NO_USAGE, Bill, payer
from ccprovider.charts import Chart
from ccprovider.prices import PriceList

_STYLE = """
body { font-family: sans-serif; margin: 2em; max-width: 70em; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; margin-bottom: 1em; }
td, th { border: 1px solid #ccc; padding: .2em .6em; text-align: left; }
thead th, tfoot td { background: #f0f0f0; }
svg { max-width: 100%; height: auto; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  * { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
  h2 { break-after: avoid; }
  thead { display: table-header-group; }
  tfoot { display: table-row-group; }
  tr, .chart { break-inside: avoid; }
  .chart svg { max-height: 160mm; width: auto; }
}
"""
"""Print: A4 landscape, table headers repeated on each page, no row or chart cut in two,
and the charts' colours kept."""


def write_html(path: Path, charts: Sequence[Chart], bill: Bill, title: str) -> None:
    """One page: what it shows (amounts or units only), the period's tables, the charts."""
    parts = [f"<h1>{html.escape(title)}</h1>", f"<p>{html.escape(_note(bill))}</p>"]
    parts.append(_section("Usage, pooled entitlement and overage", _period(bill)))
    if bill.prices is not None:
        charges = _charges(bill, bill.prices)
        parts.append(
            _section(f"Charges per month and subscription ({bill.prices.currency})", charges)
        )
    parts.append(_section("Subscriptions per month", _subscriptions(bill)))
    parts += [_section(chart.title, _svg(chart), kind="chart") for chart in charts]
    path.write_text(
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{''.join(parts)}</body></html>\n"
    )


def _note(bill: Bill) -> str:
    if bill.prices is None:
        return (
            "Units only: no price list was given (report --prices FILE adds amounts). Units "
            "of different usage types are never added up."
        )
    return (
        f"Amounts in {bill.prices.currency} from the price list {bill.prices.source.name}: "
        "units over the pool times the unit price, each rounded to the cent. Units of "
        "different usage types are never added up; their amounts are."
    )


def _period(bill: Bill) -> str:
    """Per month and usage type: used, pooled, overage, charged to (and the amount)."""
    header = ["month", "usage type", "used", "pooled", "overage", "charged to"]
    if bill.prices is not None:
        header += ["unit price", "amount"]
    rows: list[list[str]] = []
    for month in bill.months:
        if not month.usage_loaded:
            rows.append([month.period, NO_USAGE])
            continue
        for line in month.summary.overage:
            row = [month.period, line.usage_type.value]
            row += [str(line.used), str(line.pooled), str(line.overage), payer(line)]
            amount = bill.amount(month, line)
            if bill.prices is not None and amount is not None:
                row += [bill.prices.unit_price(line.usage_type), bill.prices.money(amount)]
            rows.append(row)
    return _table("period", header, rows)


def _charges(bill: Bill, prices: PriceList) -> str:
    """Per month the amount charged to each subscription, and each one's total."""
    money = prices.money
    rows: list[list[str]] = []
    for month in bill.months:
        charged = bill.charges(month)
        if not month.usage_loaded:
            rows.append([month.period, NO_USAGE])
        elif not charged:
            rows.append([month.period, "no overage"])
        rows += [[month.period, s, money(amount)] for s, amount in sorted(charged.items())]
    totals = [[bill.span, s, money(amount)] for s, amount in sorted(bill.totals().items())]
    return _table("charges", ["month", "charged to", "amount"], rows, totals)


def _subscriptions(bill: Bill) -> str:
    rows = [
        [
            m.period,
            m.summary.primary_subscription or "-",
            ", ".join(b.external_id for b in m.summary.subscriptions) or "-",
        ]
        for m in bill.months
    ]
    return _table("subscriptions", ["month", "primary", "subscriptions"], rows)


def _table(
    name: str, header: list[str], rows: list[list[str]], foot: Sequence[list[str]] = ()
) -> str:
    """A table; a row shorter than the header has its last cell span the rest."""

    def cells(row: list[str], tag: str = "td") -> str:
        spans = [1] * (len(row) - 1) + [len(header) - len(row) + 1]
        return "".join(
            f"<{tag}{f' colspan={span}' if span > 1 else ''}>{html.escape(cell)}</{tag}>"
            for cell, span in zip(row, spans, strict=True)
        )

    def group(tag: str, body: Sequence[list[str]]) -> str:
        return f"<{tag}>{''.join(f'<tr>{cells(r)}</tr>' for r in body)}</{tag}>" if body else ""

    return (
        f'<table id="{name}"><thead><tr>{cells(header, "th")}</tr></thead>'
        f"{group('tbody', rows)}{group('tfoot', foot)}</table>"
    )


def _section(title: str, body: str, kind: str = "table") -> str:
    return f'<section class="{kind}"><h2>{html.escape(title)}</h2>{body}</section>'


def _svg(chart: Chart) -> str:
    """The chart as inline SVG, without the XML prolog and doctype."""
    svg = io.StringIO()
    chart.figure.savefig(svg, format="svg")
    body = svg.getvalue()
    return body[body.index("<svg") :]

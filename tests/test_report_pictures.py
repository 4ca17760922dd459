"""`report --html` and `--png`: the billing pictures and the period's table, priced or in
units, opened and printed in headless Chromium as a reader would."""

import os
import re
import shutil
import subprocess
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from ccprovider.backend.server import BackgroundServer
from ccprovider.cli import main
from ccprovider.client import ProvisioningClient
from ccprovider.contract import ClockChange, TenantBody
from ccprovider.domain import UsageRecord
from ccprovider.stackfile import StackFile
from tests.helpers import subscription_body
from tests.readme import cli_args, commands, snippet

STACK = """\
config:
  ccprovider:tenant:
    name: acme-dev
    offer: flex3
    telephony: webex_calling
    subscriptions: []
"""


@pytest.fixture
def chromium() -> str:
    """Debian's chromium, which `scripts/test` installs; missing under CI is a failure."""
    found = shutil.which("chromium")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed: scripts/test installs it (as root)")
        pytest.skip("chromium is not installed: run the tests with scripts/test")
    return found


@pytest.fixture(scope="module")
def stacks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Stack dev of acme-dev: SUB-A (primary until it ends on 2026-06-01), then SUB-B, 10
    standard agents each, SUB-B with 2 WFO; usage loaded for April and May 2026 (over the
    pool in April: 5 standard agents and 8 IVR ports, charged to SUB-A; in May: 3 IVR ports
    to SUB-A and 2 WFO to SUB-B), none for June; the provisioning clock on 2026-06-10.
    Read-only: the module's tests share it."""
    tmp_path = tmp_path_factory.mktemp("stacks")
    db = tmp_path / "backend.sqlite3"
    server = BackgroundServer(db)
    client = ProvisioningClient(server.start())
    client.change_clock(ClockChange(now=datetime(2026, 6, 10, 12, tzinfo=UTC)))
    tenant = client.create_tenant(TenantBody(name="acme-dev", offer="flex3"))
    for external_id, start, months, wfo in (
        ("SUB-A", date(2024, 6, 1), 24, 0),
        ("SUB-B", date(2025, 1, 1), 36, 2),
    ):
        entitlements = {"standard_agents": 10, "wfo": wfo}
        client.create_subscription(
            tenant.id,
            subscription_body(
                external_id, start=start, term_months=months, entitlements=entitlements
            ),
        )
    client.add_usage(
        tenant.id,
        [
            UsageRecord(day=date(2026, 4, 10), usage_type="standard_agent", quantity=25),
            UsageRecord(day=date(2026, 4, 10), usage_type="ivr_port", quantity=8),
            UsageRecord(day=date(2026, 5, 4), usage_type="standard_agent", quantity=12),
            UsageRecord(day=date(2026, 5, 4), usage_type="ivr_port", quantity=3),
            UsageRecord(day=date(2026, 5, 4), usage_type="wfo", quantity=4),
        ],
    )
    server.stop()
    (tmp_path / "Pulumi.dev.yaml").write_text(STACK)
    stack = StackFile.load("dev", tmp_path)
    stack.config["ccprovider:backendFile"] = str(db)
    stack.save()
    return tmp_path


PRICES = snippet("price-list")
"""The README's price list: standard agents at 95.00, IVR ports at 12.50, WFO at 40 EUR."""


def report(stacks: Path, *extra: str) -> None:
    args = ["report", "--stack", "dev", "--period", "2026-06", *extra]
    assert main(["--stacks-dir", str(stacks), *args]) == 0


@pytest.fixture(scope="module")
def unpriced(stacks: Path) -> Path:
    """The page of April to June 2026, without a price list."""
    page = stacks / "unpriced.html"
    report(stacks, "--months", "3", "--html", str(page))
    return page


@pytest.fixture(scope="module")
def priced(stacks: Path) -> Path:
    """The page of April to June 2026, priced by PRICES."""
    (stacks / "prices.csv").write_text(PRICES)
    page = stacks / "priced.html"
    report(stacks, "--months", "3", "--html", str(page), "--prices", str(stacks / "prices.csv"))
    return page


class _Tables(HTMLParser):
    """The cells' text of each table of a page that has an id, row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._rows: list[list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._rows = self.tables.setdefault(dict(attrs).get("id") or "", [])
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._rows = None
        elif tag in ("td", "th") and self._rows is not None and self._cell is not None:
            self._rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables(page: Path) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(page.read_text())
    return parser.tables


def text_of(page: Path) -> str:
    """The page's words outside its pictures, as a reader sees them."""
    source = re.sub(r"<(svg|style).*?</\1>", "", page.read_text(), flags=re.DOTALL)
    return " ".join(re.sub(r"<[^>]+>", " ", source).split())


PERIOD_HEADER = ["month", "usage type", "used", "pooled", "overage", "charged to"]
PERIOD_ROWS = [
    ["2026-04", "standard_agent", "25", "20", "5", "SUB-A"],
    ["2026-04", "ivr_port", "8", "0", "8", "SUB-A"],
    ["2026-04", "wfo", "0", "2", "0", "SUB-B"],
    ["2026-05", "standard_agent", "12", "20", "0", "SUB-A"],
    ["2026-05", "ivr_port", "3", "0", "3", "SUB-A"],
    ["2026-05", "wfo", "4", "2", "2", "SUB-B"],
]


def test_the_period_table_has_used_pooled_overage_and_charged_to_per_month_and_type(
    unpriced: Path,
) -> None:
    assert tables(unpriced)["period"] == [
        PERIOD_HEADER,
        *PERIOD_ROWS,
        ["2026-06", "no usage loaded"],
    ]


def test_a_price_list_turns_overage_into_amounts_per_subscription_and_month(
    priced: Path,
) -> None:
    found = tables(priced)

    prices = [
        ["95.00 EUR", "475.00 EUR"],
        ["12.50 EUR", "100.00 EUR"],
        ["40 EUR", "0.00 EUR"],
        ["95.00 EUR", "0.00 EUR"],
        ["12.50 EUR", "37.50 EUR"],
        ["40 EUR", "80.00 EUR"],
    ]
    assert found["period"] == [
        [*PERIOD_HEADER, "unit price", "amount"],
        *[[*row, *priced] for row, priced in zip(PERIOD_ROWS, prices, strict=True)],
        ["2026-06", "no usage loaded"],
    ]
    assert found["charges"] == [
        ["month", "charged to", "amount"],
        ["2026-04", "SUB-A", "575.00 EUR"],
        ["2026-05", "SUB-A", "37.50 EUR"],
        ["2026-05", "SUB-B", "80.00 EUR"],
        ["2026-06", "no usage loaded"],
        ["2026-04 to 2026-06", "SUB-A", "612.50 EUR"],
        ["2026-04 to 2026-06", "SUB-B", "80.00 EUR"],
    ]
    assert "Units only" not in text_of(priced)


def test_without_a_price_list_the_page_says_it_shows_units_only(unpriced: Path) -> None:
    assert "Units only: no price list was given" in text_of(unpriced)
    assert "charges" not in tables(unpriced)
    assert "EUR" not in unpriced.read_text()


def test_units_of_different_usage_types_are_never_summed(unpriced: Path) -> None:
    cells = [cell for rows in tables(unpriced).values() for row in rows for cell in row]
    assert "13" not in cells  # April's 5 standard agents and 8 IVR ports over the pool
    assert "5" in cells and "8" in cells


def test_a_month_without_usage_says_no_usage_loaded_rather_than_0(unpriced: Path) -> None:
    months = {row[0]: row[1:] for row in tables(unpriced)["period"][1:]}
    assert months["2026-06"] == ["no usage loaded"]
    assert "2026-06 (no usage loaded)" in unpriced.read_text()  # the charts' month labels


@pytest.mark.parametrize(
    ("prices", "expected"),
    [
        (
            "usage_type,unit_price,currency\nstandard_agent,95,EUR\nivr_prot,12.50,EUR\n",
            "prices.csv, line 3: usage_type: Input should be 'standard_agent', ",
        ),
        (
            "usage_type,unit_price,currency\nstandard_agent,-95,EUR\n",
            "prices.csv, line 2: unit_price: -95 is negative: use 0 or more.",
        ),
        (
            "usage_type,unit_price,currency\nstandard_agent,95,euro\n",
            "prices.csv, line 2: currency: Value error, 'euro' is not a currency code: use "
            "three capital letters such as EUR",
        ),
        (
            "usage_type,unit_price,currency\nstandard_agent,95,EUR\nivr_port,2,USD\n",
            "prices.csv, line 3: currency USD differs from EUR of line 2; one price list "
            "holds one currency",
        ),
        (
            "usage_type,unit_price,currency\nwfo,95,EUR\nwfo,90,EUR\n",
            "prices.csv, line 3: repeats the usage type of line 2; write one price per usage type",
        ),
        (
            "usage_type,unit_price\nwfo,95\n",
            "prices.csv: missing column(s) currency; the first line names the columns "
            "usage_type,unit_price,currency",
        ),
        (
            "usage_type,unit_price,currency\n",
            "prices.csv: no prices; write one line per usage type under the first line "
            "usage_type,unit_price,currency",
        ),
        (
            "usage_type,unit_price,currency\nstandard_agent,95,EUR\nwfo,40,EUR\n",
            "prices.csv: no price for ivr_port, which has 8 units over the pool in 2026-04; "
            "add the line ivr_port,<unit price>,EUR",
        ),
    ],
    ids=[
        "unknown type",
        "negative",
        "currency",
        "two currencies",
        "repeated",
        "no currency column",
        "empty",
        "missing price",
    ],
)
def test_a_bad_price_list_is_one_line_naming_it(
    stacks: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    prices: str,
    expected: str,
) -> None:
    (tmp_path / "prices.csv").write_text(prices)
    page = tmp_path / "report.html"
    args = ["report", "--stack", "dev", "--period", "2026-06", "--months", "3"]
    args += ["--html", str(page), "--prices", str(tmp_path / "prices.csv")]

    assert main(["--stacks-dir", str(stacks), *args]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"error: {tmp_path / expected}"), line
    assert not page.exists()


def test_a_price_list_without_a_picture_to_price_is_refused(
    stacks: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "prices.csv").write_text(PRICES)
    args = ["report", "--stack", "dev", "--period", "2026-06"]

    assert main(["--stacks-dir", str(stacks), *args, "--prices", str(tmp_path / "prices.csv")]) == 2
    assert capsys.readouterr().err == (
        "error: --prices puts amounts on the pictures: add --html FILE or --png DIR\n"
    )


CHART_TITLES = (
    "Subscriptions over time",
    "Pooled entitlement against peak daily usage",
    "Overage per month, by charged subscription",
    "Overage charges per month, by charged subscription (EUR)",
)


def test_the_page_prints_to_a_tidy_pdf_that_holds_the_table(
    priced: Path, tmp_path: Path, chromium: str
) -> None:
    pdf = tmp_path / "report.pdf"

    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            priced.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )

    pages = PdfReader(pdf).pages
    text = " ".join(" ".join(p.extract_text().split()) for p in pages)
    for row in (
        " ".join([*PERIOD_HEADER, "unit price", "amount"]),
        "2026-04 standard_agent 25 20 5 SUB-A 95.00 EUR 475.00 EUR",
        "2026-05 wfo 4 2 2 SUB-B 40 EUR 80.00 EUR",
        "2026-06 no usage loaded",
        "2026-04 to 2026-06 SUB-A 612.50 EUR",
    ):
        assert row in text, row
    for printed in pages:  # A4 landscape, as the page's print style asks
        assert (round(printed.mediabox.width), round(printed.mediabox.height)) == (842, 595)
        *_, last = printed.extract_text().splitlines()
        assert last not in CHART_TITLES  # no heading left at a page's foot, its chart overleaf


def test_the_html_report_renders_every_subscription_without_console_errors(
    stacks: Path, tmp_path: Path, chromium: str
) -> None:
    page = tmp_path / "report.html"
    report(stacks, "--html", str(page))
    screenshot = tmp_path / "screenshot.png"

    shown = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1280,2400",
            f"--screenshot={screenshot}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )

    source = page.read_text()
    assert "<script" not in source and "<link" not in source  # nothing runs, nothing fetched
    assert not [line for line in shown.stderr.splitlines() if ":CONSOLE" in line]
    for text in (
        "SUB-A: 2024-06-01 to 2026-06-01",
        "SUB-B: 2025-01-01 to 2028-01-01",
        "today (2026-06-10)",
        "standard_agent",
        "units over the pool",
        "2026-06 (no usage loaded)",
    ):
        assert text in shown.stdout, text
    with Image.open(screenshot) as picture:
        assert picture.size == (1280, 2400)
        assert len(picture.convert("RGB").getcolors(maxcolors=1 << 16) or []) > 50  # drawn


def test_the_readme_report_writes_the_page_and_one_png_per_picture(
    stacks: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's command, run from a directory whose `stacks/` holds stack dev."""
    (tmp_path / "stacks").symlink_to(stacks)
    (tmp_path / "prices.csv").write_text(PRICES)
    monkeypatch.chdir(tmp_path)
    [command] = commands("report-pictures")

    assert main(cli_args(command)) == 0

    assert "475.00 EUR" in (tmp_path / "billing.html").read_text()  # April's agents, priced
    written = sorted(p.name for p in (tmp_path / "charts").iterdir())
    assert written == ["charges.png", "entitlement.png", "overage.png", "timeline.png"]
    for name in written:
        with Image.open(tmp_path / "charts" / name) as picture:
            assert picture.format == "PNG"
            assert picture.width > 1000

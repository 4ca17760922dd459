"""`report --html` and `--png`: the billing pictures, opened in headless Chromium as a
reader would open them."""

import os
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from PIL import Image

from ccprovider.backend.server import BackgroundServer
from ccprovider.cli import main
from ccprovider.client import ProvisioningClient
from ccprovider.contract import ClockChange, TenantBody
from ccprovider.domain import UsageRecord
from ccprovider.stackfile import StackFile
from tests.helpers import subscription_body

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


@pytest.fixture
def stacks(tmp_path: Path) -> Path:
    """Stack dev of acme-dev: SUB-A (primary until it ends on 2026-06-01), then SUB-B;
    usage over April and May 2026; the provisioning clock on 2026-06-10."""
    db = tmp_path / "backend.sqlite3"
    server = BackgroundServer(db)
    client = ProvisioningClient(server.start())
    client.change_clock(ClockChange(now=datetime(2026, 6, 10, 12, tzinfo=UTC)))
    tenant = client.create_tenant(TenantBody(name="acme-dev", offer="flex3"))
    for external_id, start, months in (
        ("SUB-A", date(2024, 6, 1), 24),
        ("SUB-B", date(2025, 1, 1), 36),
    ):
        client.create_subscription(
            tenant.id, subscription_body(external_id, start=start, term_months=months)
        )
    client.add_usage(
        tenant.id,
        [
            UsageRecord(day=date(2026, 4, 10), usage_type="standard_agent", quantity=25),
            UsageRecord(day=date(2026, 5, 4), usage_type="standard_agent", quantity=12),
        ],
    )
    server.stop()
    (tmp_path / "Pulumi.dev.yaml").write_text(STACK)
    stack = StackFile.load("dev", tmp_path)
    stack.config["ccprovider:backendFile"] = str(db)
    stack.save()
    return tmp_path


def report(stacks: Path, *extra: str) -> None:
    args = ["report", "--stack", "dev", "--period", "2026-06", *extra]
    assert main(["--stacks-dir", str(stacks), *args]) == 0


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
        "SUB-A · standard_agent",
    ):
        assert text in shown.stdout, text
    with Image.open(screenshot) as picture:
        assert picture.size == (1280, 2400)
        assert len(picture.convert("RGB").getcolors(maxcolors=1 << 16) or []) > 50  # drawn


def test_png_charts_are_written_one_per_picture(stacks: Path, tmp_path: Path) -> None:
    report(stacks, "--png", str(tmp_path / "charts"), "--months", "3")

    written = sorted(p.name for p in (tmp_path / "charts").iterdir())
    assert written == ["entitlement.png", "overage.png", "timeline.png"]
    for name in written:
        with Image.open(tmp_path / "charts" / name) as picture:
            assert picture.format == "PNG"
            assert picture.width > 1000

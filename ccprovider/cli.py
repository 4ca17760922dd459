"""`python -m ccprovider`: environment operations around the stacks.

    promote SOURCE TARGET   copy the reviewed declaration to the next stack (asks first)
    compare A B             show how two stacks' declarations differ (read-only)
    export                  write the declaration of a tenant that exists in the backend
    report                  billing and usage of a stack's tenant for a month
    forecast                what a stack's declaration would cost against the live tenant
    load-usage              load usage records from a CSV file into the backend

Commands that talk to the backend reach it as the stack's provider does: its
`ccprovider:endpoint`, `ccprovider:backendFile` and secret `ccprovider:token` (decrypted
by the pulumi CLI); the environment variable CCPROVIDER_TOKEN overrides the token.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from ruamel.yaml.comments import CommentedMap

from ccprovider.api_errors import ApiError, UnauthorizedError
from ccprovider.client import ProvisioningClient
from ccprovider.connection import (
    BACKEND_FILE_KEY,
    ENDPOINT_KEY,
    TOKEN_KEY,
    ConnectionSettings,
    connect,
)
from ccprovider.domain import Subscription
from ccprovider.export import ExportError, export_tenant
from ccprovider.forecast import Tenancy, forecast, forecast_json, forecast_table
from ccprovider.promotion import compare, declaration_diff, plan_promotion
from ccprovider.report import UsageFileError, billing_table, read_usage_csv
from ccprovider.spec import CONFIG_KEY, SpecError, parse_tenant_spec
from ccprovider.stackfile import DEFAULT_STACKS_DIR, StackFile, StackFileError, to_text

TOKEN_ENV = "CCPROVIDER_TOKEN"  # noqa: S105 - the variable's name, not a secret
_USAGE_BATCH = 10_000


class CommandError(Exception):
    """A command cannot do what was asked; the message says why."""


def _client(stack: StackFile) -> ProvisioningClient:
    """A client that reaches the backend as the stack's provider does: its endpoint, and
    its token (`CCPROVIDER_TOKEN` overrides it)."""
    settings = ConnectionSettings(
        endpoint=str(stack.config.get(ENDPOINT_KEY) or "").strip(),
        token=os.environ.get(TOKEN_ENV) or _stack_token(stack),
        backend_file=Path(stack.config.get(BACKEND_FILE_KEY) or ConnectionSettings().backend_file),
    )
    return connect(settings)


def _project_dir(stack: StackFile) -> Path:
    """The Pulumi project the stack belongs to: the nearest folder above its config file
    holding a Pulumi.yaml (its config file's folder, if none)."""
    folder = stack.path.resolve().parent
    project = folder
    while not (project / "Pulumi.yaml").exists():
        if project == project.parent:
            return folder
        project = project.parent
    return project


def _stack_token(stack: StackFile) -> str | None:
    """The stack's `ccprovider:token`, decrypted by the pulumi CLI when it is a secret (the
    project's `scripts/pulumi` when there is one, which sets the project's defaults)."""
    value = stack.config.get(TOKEN_KEY)
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    project = _project_dir(stack)
    wrapper = project / "scripts" / "pulumi"
    pulumi = str(wrapper) if wrapper.exists() else shutil.which("pulumi")
    if pulumi is None:
        raise CommandError(
            f"{TOKEN_KEY} of stack {stack.stack} is a secret and no pulumi CLI is on PATH to "
            f"decrypt it; set {TOKEN_ENV} instead"
        )
    shown = subprocess.run(  # noqa: S603 - the pulumi CLI, with fixed arguments
        [pulumi, "config", "get", TOKEN_KEY, "--stack", stack.stack],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    if shown.returncode != 0:
        reason = (shown.stderr.strip().splitlines() or ["no reason given"])[-1]
        reason = reason.removeprefix("error: ")
        raise CommandError(
            f"cannot decrypt {TOKEN_KEY} of stack {stack.stack}: {reason}; set the stack's "
            f"passphrase (PULUMI_CONFIG_PASSPHRASE) or {TOKEN_ENV}"
        )
    return shown.stdout.strip() or None


def _confirmed(question: str, yes: bool) -> bool:
    if yes:
        return True
    if not sys.stdin.isatty():
        raise CommandError("not written: nothing to confirm with; pass --yes to write")
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def promote(args: argparse.Namespace) -> int:
    source = StackFile.load(args.source, args.stacks_dir)
    target = StackFile.load(args.target, args.stacks_dir)
    try:
        promotion = plan_promotion(source, target, date.today(), args.keep)
    except SpecError as error:
        raise CommandError(f"refusing to promote {args.source} to {args.target}: {error}") from None
    if not promotion.diff:
        print(f"{args.target} already declares what {args.source} does: nothing to promote")
        return 0
    print(promotion.diff, end="")
    if not _confirmed(f"Write {target.path}?", args.yes):
        print("not written")
        return 1
    promotion.apply()
    print(
        f"wrote {target.path}; `scripts/deploy {args.target}` shows the resource changes of "
        "this promotion and applies exactly them once you confirm"
    )
    return 0


def compare_stacks(args: argparse.Namespace) -> int:
    difference = compare(
        StackFile.load(args.first, args.stacks_dir),
        StackFile.load(args.second, args.stacks_dir),
        args.keep,
    )
    print(
        difference or f"{args.first} and {args.second} declare the same tenant",
        end="\n" if not difference else "",
    )
    return 1 if difference else 0


def export(args: argparse.Namespace) -> int:
    source = StackFile.load(args.source, args.stacks_dir) if args.source else None
    client = (
        _client(source) if source else connect(ConnectionSettings(backend_file=args.backend_file))
    )
    result = export_tenant(
        client, args.tenant, lambda read: print(f"  read {read:,} users", file=sys.stderr)
    )
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    try:
        target = StackFile.load(args.stack, args.stacks_dir)
        current = target.tenant if CONFIG_KEY in target.config else CommentedMap()
    except StackFileError:
        target, current = StackFile.new(args.stack, args.stacks_dir), CommentedMap()
        if source is not None:
            for key in (ENDPOINT_KEY, BACKEND_FILE_KEY):
                if key in source.config:
                    target.config[key] = source.config[key]
    declaration = dict(result.declaration)
    if args.users_file:  # a large tenant's users, outside the stack config
        declaration["usersFile"] = str(args.users_file)
        users = declaration.pop("users")
    exported = CommentedMap(declaration)
    print(declaration_diff(current, exported, str(target.path), "exported"), end="")
    if current and not _confirmed(f"Replace the declaration in {target.path}?", args.yes):
        print("not written")
        return 1
    if args.users_file:
        args.users_file.parent.mkdir(parents=True, exist_ok=True)
        args.users_file.write_text(to_text(users))
    target.tenant = exported
    target.save()
    print(f"wrote {target.path}; its first `pulumi up` adopts the existing objects")
    return 0


def _month(text: str) -> str:
    """A billing period as given on the command line, checked before any request."""
    try:
        month = datetime.strptime(text, "%Y-%m")
    except ValueError:
        month = None
    if month is None or f"{month:%Y-%m}" != text or month.year < 2000:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a month: use YYYY-MM, for example 2026-05"
        )
    return text


def report(args: argparse.Namespace) -> int:
    stack = StackFile.load(args.stack, args.stacks_dir)
    client = _client(stack)
    tenant = client.find_tenant(str(stack.tenant["name"]))
    if tenant is None:
        raise CommandError(
            f"tenant '{stack.tenant['name']}' of stack {args.stack} is not in the backend"
        )
    summary = client.billing_summary(tenant.id, args.period)
    if args.json:
        print(json.dumps(summary.model_dump(mode="json", by_alias=True), indent=2))
    else:
        print(billing_table(summary))
    if args.html or args.png:
        _draw(client, tenant.id, tenant.name, args)
    return 0


def _draw(client: ProvisioningClient, tenant_id: str, name: str, args: argparse.Namespace) -> None:
    """The pictures of the `--months` months up to `--period`, as HTML and/or PNG files."""
    from ccprovider.charts import billing_charts, write_html, write_pngs  # noqa: PLC0415

    month = datetime.strptime(args.period, "%Y-%m").date()
    periods: list[str] = []
    for _ in range(args.months):
        periods.insert(0, f"{month:%Y-%m}")
        month = (month - timedelta(days=1)).replace(day=1)
    summaries = [client.billing_summary(tenant_id, period) for period in periods]
    charts = billing_charts(summaries, client.today())
    if args.html:
        title = f"Billing of {name}, {periods[0]} to {periods[-1]}"
        write_html(args.html, charts, summaries, title)
        print(f"wrote {args.html}", file=sys.stderr)
    if args.png:
        for written in write_pngs(args.png, charts):
            print(f"wrote {written}", file=sys.stderr)


def forecast_cmd(args: argparse.Namespace) -> int:
    stack = StackFile.load(args.stack, args.stacks_dir)
    client = _client(stack)
    today = client.today()
    try:
        spec = parse_tenant_spec(stack.tenant, today, _project_dir(stack))
    except SpecError as error:
        raise CommandError(f"stack {args.stack} cannot be forecast: {error}") from None
    tenant = client.find_tenant(spec.name)
    now = _live_tenancy(client, tenant.id) if tenant else Tenancy([], {})
    after = Tenancy(spec.declared_subscriptions(), {u.email: u.subscription for u in spec.users})
    period = args.period or (_last_usage_month(client, tenant.id, today) if tenant else None)
    records = list(client.list_usage(tenant.id, period)) if tenant and period else []
    result = forecast(spec.name, now, after, records, usage_period=period, today=today)
    if args.json:
        print(json.dumps(forecast_json(result), indent=2))
    else:
        print(forecast_table(result, args.stack))
    return 1 if result.overage_increases else 0


def _live_tenancy(client: ProvisioningClient, tenant_id: str) -> Tenancy:
    """The tenant's subscriptions and user mappings as the backend has them."""
    live = list(client.list_subscriptions(tenant_id))
    external = {s.id: s.external_id for s in live}
    return Tenancy(
        [Subscription(**{f: getattr(s, f) for f in Subscription.model_fields}) for s in live],
        {
            u.email: external[u.subscription_id]
            for u in client.list_users(tenant_id)
            if u.subscription_id in external
        },
    )


def _last_usage_month(client: ProvisioningClient, tenant_id: str, today: date) -> str | None:
    """The latest month, of the two years up to `today`, with usage loaded."""
    month = today.replace(day=1)
    for _ in range(24):
        period = f"{month:%Y-%m}"
        if next(iter(client.list_usage(tenant_id, period, page_size=1)), None) is not None:
            return period
        month = (month - timedelta(days=1)).replace(day=1)
    return None


def load_usage(args: argparse.Namespace) -> int:
    stack = StackFile.load(args.stack, args.stacks_dir)
    records = read_usage_csv(args.csv)
    client = _client(stack)
    tenant = client.find_tenant(str(stack.tenant["name"]))
    if tenant is None:
        raise CommandError(
            f"tenant '{stack.tenant['name']}' of stack {args.stack} is not in the backend"
        )
    loaded = replaced = 0
    for start in range(0, len(records), _USAGE_BATCH):
        accepted = client.add_usage(tenant.id, records[start : start + _USAGE_BATCH])
        loaded, replaced = loaded + accepted.accepted, replaced + accepted.replaced
        if len(records) > _USAGE_BATCH:
            print(f"  {loaded:,} of {len(records):,} records", file=sys.stderr, flush=True)
    print(
        f"loaded {loaded:,} usage record(s) into tenant {tenant.name}: "
        f"{loaded - replaced:,} new, {replaced:,} replacing the record stored for the same "
        "day, usage type and user"
    )
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ccprovider",
        description="Environment operations on ccprovider stacks.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1] if __doc__ else None,
    )
    parser.add_argument(
        "--stacks-dir",
        type=Path,
        default=DEFAULT_STACKS_DIR,
        help="stack config files (%(default)s)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def command(
        name: str, run: Callable[[argparse.Namespace], int], help_: str
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_, description=help_)
        sub.set_defaults(run=run)
        return sub

    keep_help = "also keep this ccprovider:tenant key of the target (repeatable)"
    promote_cmd = command("promote", promote, "copy a stack's tenant declaration to another stack")
    promote_cmd.add_argument("source")
    promote_cmd.add_argument("target")
    promote_cmd.add_argument("--keep", action="append", default=[], metavar="KEY", help=keep_help)
    promote_cmd.add_argument("--yes", action="store_true", help="write without asking (for CI)")

    compare_cmd = command("compare", compare_stacks, "show how two stacks' declarations differ")
    compare_cmd.add_argument("first")
    compare_cmd.add_argument("second")
    compare_cmd.add_argument("--keep", action="append", default=[], metavar="KEY", help=keep_help)

    export_cmd = command("export", export, "write the declaration of a tenant in the backend")
    export_cmd.add_argument("--tenant", required=True, help="the tenant's name in the backend")
    export_cmd.add_argument("--stack", required=True, help="the stack to write")
    export_cmd.add_argument(
        "--from-stack", dest="source", help="reach the backend as this stack does"
    )
    export_cmd.add_argument(
        "--backend-file",
        type=Path,
        default=ConnectionSettings().backend_file,
        help="embedded backend database, without --from-stack (%(default)s)",
    )
    export_cmd.add_argument(
        "--users-file",
        type=Path,
        help="write the users to this YAML file (relative to the project) and name it as "
        "usersFile: for tenants of more than about a thousand users",
    )
    export_cmd.add_argument("--yes", action="store_true", help="replace an existing declaration")

    report_cmd = command("report", report, "billing and usage of a stack's tenant for a month")
    report_cmd.add_argument("--stack", required=True)
    report_cmd.add_argument("--period", required=True, type=_month, help="a month: YYYY-MM")
    report_cmd.add_argument("--json", action="store_true", help="print JSON instead of tables")
    report_cmd.add_argument(
        "--html", type=Path, metavar="FILE", help="also write the charts as one HTML page"
    )
    report_cmd.add_argument(
        "--png", type=Path, metavar="DIR", help="also write the charts as PNG files"
    )
    report_cmd.add_argument(
        "--months",
        type=int,
        default=12,
        choices=range(1, 61),
        metavar="N",
        help="months the charts show, up to --period (default %(default)s)",
    )

    forecast_cmd_ = command(
        "forecast",
        forecast_cmd,
        "what a stack's declaration would cost against its live tenant (exit 1: more overage)",
    )
    forecast_cmd_.add_argument("--stack", required=True)
    forecast_cmd_.add_argument(
        "--period", type=_month, help="the month of usage to project (default: the last loaded)"
    )
    forecast_cmd_.add_argument("--json", action="store_true", help="print JSON instead of tables")

    load_cmd = command("load-usage", load_usage, "load usage records from a CSV file")
    load_cmd.add_argument("--stack", required=True)
    load_cmd.add_argument("csv", type=Path, help="columns: day, usage_type, quantity, email")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; errors a user can act on are one line on stderr and exit status 2."""
    args = _parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except UnauthorizedError as error:
        stack = getattr(args, "stack", None) or getattr(args, "source", None) or "<stack>"
        print(
            f"error: {error}. Fix: set the token the backend expects as the stack's secret "
            f"(`pulumi config set --secret {TOKEN_KEY} <token> --stack {stack}`), or in "
            f"{TOKEN_ENV} for this command",
            file=sys.stderr,
        )
        return 2
    except (CommandError, StackFileError, ExportError, UsageFileError, ApiError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return code

"""`ccprovider` (also `python -m ccprovider`): environment operations around the stacks.

Commands that talk to the backend reach it as the stack's provider does: its
`ccprovider:endpoint`, `ccprovider:backendFile` and secret `ccprovider:token` (decrypted
by the pulumi CLI); the environment variable CCPROVIDER_TOKEN overrides the token.

Exit codes: 0 done (or nothing differs); 1 the answer is no: the stacks differ
(compare), nothing written as asked (promote, export), the projected overage rises
(forecast);
2 an error, said in one line on stderr; 141 the reader of the output went away (for
example `| head`).
"""

import json
import os
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import requests
import typer
from ruamel.yaml.comments import CommentedMap

from ccprovider.api_errors import ApiError, UnauthorizedError
from ccprovider.bill import BillMonth, make_bill
from ccprovider.changes import declaration_diff
from ccprovider.client import ProvisioningClient
from ccprovider.connection import (
    BACKEND_FILE_KEY,
    ENDPOINT_KEY,
    TOKEN_KEY,
    ConnectionSettings,
    connect,
)
from ccprovider.csvfile import CsvFileError
from ccprovider.directory_sync import read_directory_csv, sync_directory
from ccprovider.domain import Subscription
from ccprovider.export import ExportError, export_tenant
from ccprovider.forecast import Tenancy, forecast, forecast_json, forecast_table
from ccprovider.prices import PriceList, PriceListError, read_price_list
from ccprovider.promotion import compare, plan_promotion
from ccprovider.report import billing_table, read_usage_csv
from ccprovider.spec import CONFIG_KEY, SpecError, parse_tenant_spec
from ccprovider.stack_connection import (
    TOKEN_ENV,
    StackConnectionError,
    project_dir,
    stack_client,
)
from ccprovider.stackfile import DEFAULT_STACKS_DIR, StackFile, StackFileError, to_text

_USAGE_BATCH = 10_000
_DEFAULT_BACKEND_FILE = ConnectionSettings().backend_file
_CLOSED_PIPE = 141
"""What a shell reports for a writer whose reader went away (128 + SIGPIPE)."""

app = typer.Typer(
    name="ccprovider",
    help=__doc__,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class CommandError(Exception):
    """A command cannot do what was asked; the message says why."""


def _stacks_dir(ctx: typer.Context) -> Path:
    folder: Path = ctx.obj
    return folder


@app.callback()
def _common(
    ctx: typer.Context,
    stacks_dir: Annotated[
        Path, typer.Option("--stacks-dir", help="stack config files")
    ] = DEFAULT_STACKS_DIR,
) -> None:
    ctx.obj = stacks_dir


class _ReaderGoneError(Exception):
    """The reader of the output went away (`| head`): nothing more to say."""


def _say(text: str = "", end: str = "\n") -> None:
    """Write to stdout. A reader that went away ends the command quietly (exit 141)
    rather than with a traceback; SIGPIPE stays ignored, so that a socket closed under a
    request still raises an error the command reports."""
    try:
        sys.stdout.write(text + end)
        sys.stdout.flush()
    except BrokenPipeError:
        raise _ReaderGoneError from None


def _print_json(value: Any) -> None:
    _say(json.dumps(value, indent=2, default=str))


def _confirmed(question: str, yes: bool) -> bool:
    if yes:
        return True
    if not sys.stdin.isatty():
        raise CommandError("not written: nothing to confirm with; pass --yes to write")
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


Keep = Annotated[
    list[str] | None,
    typer.Option(
        "--keep", metavar="KEY", help="also keep this ccprovider:tenant key of the target"
    ),
]
Json = Annotated[bool, typer.Option("--json", help="print JSON for pipelines")]
Yes = Annotated[bool, typer.Option("--yes", help="write without asking (for CI)")]
StackName = Annotated[str, typer.Option("--stack", help="the stack's name", show_default=False)]


@app.command()
def promote(
    ctx: typer.Context,
    *,
    source: str,
    target: str,
    keep: Keep = None,
    yes: Yes = False,
    json_: Json = False,
) -> None:
    """Copy a stack's tenant declaration to another stack (asks first)."""
    stacks = _stacks_dir(ctx)
    target_stack = StackFile.load(target, stacks)
    try:
        promotion = plan_promotion(
            StackFile.load(source, stacks), target_stack, date.today(), keep or []
        )
    except SpecError as error:
        raise CommandError(f"refusing to promote {source} to {target}: {error}") from None
    if not promotion.diff:
        written = False
    elif json_:  # the answer is the JSON: nothing to ask with, so only --yes writes
        written = yes
    else:
        _say(promotion.diff, end="")
        written = _confirmed(f"Write {target_stack.path}?", yes)
    if written:
        promotion.apply()
    if json_:
        _print_json(
            {"source": source, "target": target, "diff": promotion.diff, "written": written}
        )
    elif not promotion.diff:
        _say(f"{target} already declares what {source} does: nothing to promote")
    elif written:
        _say(
            f"wrote {target_stack.path}; `scripts/deploy {target}` shows the resource changes "
            "of this promotion and applies exactly them once you confirm"
        )
    else:
        _say("not written")
    raise typer.Exit(1 if promotion.diff and not written else 0)


@app.command("compare")
def compare_stacks(
    ctx: typer.Context, *, first: str, second: str, keep: Keep = None, json_: Json = False
) -> None:
    """Show how two stacks' declarations differ (read-only); exit 1 when they do."""
    stacks = _stacks_dir(ctx)
    comparison = compare(StackFile.load(first, stacks), StackFile.load(second, stacks), keep or [])
    difference = comparison.diff
    if json_:
        _print_json(
            {
                "first": first,
                "second": second,
                "tenants": list(comparison.tenants),
                "same": not difference,
                "diff": difference,
            }
        )
    else:
        _say(difference or comparison.summary(), end="" if difference else "\n")
    raise typer.Exit(1 if difference else 0)


@app.command()
def export(
    ctx: typer.Context,
    *,
    tenant: Annotated[str, typer.Option("--tenant", help="the tenant's name in the backend")],
    stack: Annotated[str, typer.Option("--stack", help="the stack to write")],
    source: Annotated[
        str | None, typer.Option("--from-stack", help="reach the backend as this stack does")
    ] = None,
    backend_file: Annotated[
        Path, typer.Option("--backend-file", help="embedded backend database, without --from-stack")
    ] = _DEFAULT_BACKEND_FILE,
    users_file: Annotated[
        Path | None,
        typer.Option(
            "--users-file",
            help="write the users to this YAML file (relative to the project) and name it as "
            "usersFile: for tenants of more than about a thousand users",
        ),
    ] = None,
    rules: Annotated[
        bool,
        typer.Option(
            "--rules",
            help="declare the licensed people the directory brought by license rules, where "
            "an attribute tells each license's people apart (the rest one by one)",
        ),
    ] = False,
    yes: Annotated[
        bool,
        typer.Option(
            "--yes",
            help="replace an existing declaration without asking; with --json, write at all",
        ),
    ] = False,
    json_: Json = False,
) -> None:
    """Write the declaration of a tenant that exists in the backend."""
    stacks = _stacks_dir(ctx)
    from_stack = StackFile.load(source, stacks) if source else None
    client = (
        stack_client(from_stack)
        if from_stack
        else connect(ConnectionSettings(backend_file=backend_file))
    )
    result = export_tenant(
        client,
        tenant,
        lambda read: print(f"  read {read:,} users", file=sys.stderr),
        rules=rules,
    )
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    target, current = _export_target(stack, stacks, from_stack)
    declaration = dict(result.declaration)
    users = declaration.pop("users") if users_file else []
    if users_file:  # a large tenant's users, outside the stack config
        declaration["usersFile"] = str(users_file)
    exported = CommentedMap(declaration)
    diff = declaration_diff(current, exported, str(target.path), "exported")
    unchanged = bool(current) and not diff
    if unchanged or json_:  # with --json the answer is the JSON: only --yes writes
        written = not unchanged and yes
    else:
        _say(diff, end="")
        written = not current or _confirmed(f"Replace the declaration in {target.path}?", yes)
    if written:
        if users_file:
            users_file.parent.mkdir(parents=True, exist_ok=True)
            users_file.write_text(to_text(users))
        target.write_tenant(exported)
    if json_:
        _print_json(
            {
                "stack": stack,
                "declaration": result.declaration,
                "notes": result.notes,
                "changed": not unchanged,
                "written": written,
            }
        )
    elif unchanged:
        _say(f"{target.path} already declares what the backend holds: nothing to write")
    elif written:
        _say(f"wrote {target.path}; its first `pulumi up` adopts the existing objects")
    else:
        _say("not written")
    raise typer.Exit(0 if written or unchanged else 1)


def _export_target(
    stack: str, stacks: Path, from_stack: StackFile | None
) -> tuple[StackFile, CommentedMap]:
    """The stack an export writes and its current declaration (empty for a new stack,
    which reaches the backend as `from_stack` does)."""
    try:
        target = StackFile.load(stack, stacks)
    except StackFileError:
        target = StackFile.new(stack, stacks)
        if from_stack is not None:
            for key in (ENDPOINT_KEY, BACKEND_FILE_KEY):
                if key in from_stack.config:
                    target.config[key] = from_stack.config[key]
        return target, CommentedMap()
    return target, target.tenant if CONFIG_KEY in target.config else CommentedMap()


def _month(text: str) -> str:
    """A billing period as given on the command line, checked before any request."""
    try:
        month = datetime.strptime(text, "%Y-%m")
    except ValueError:
        month = None
    if month is None or f"{month:%Y-%m}" != text or month.year < 2000:
        raise typer.BadParameter(f"'{text}' is not a month: use YYYY-MM, for example 2026-05")
    return text


Period = Annotated[str, typer.Option("--period", help="a month: YYYY-MM", callback=_month)]


@app.command()
def report(
    ctx: typer.Context,
    *,
    stack: StackName,
    period: Period,
    json_: Json = False,
    html: Annotated[
        Path | None,
        typer.Option("--html", metavar="FILE", help="also write the charts as one HTML page"),
    ] = None,
    png: Annotated[
        Path | None, typer.Option("--png", metavar="DIR", help="also write the charts as PNG files")
    ] = None,
    months: Annotated[
        int,
        typer.Option(
            "--months", min=1, max=60, metavar="N", help="months the charts show, up to --period"
        ),
    ] = 12,
    prices: Annotated[
        Path | None,
        typer.Option(
            "--prices",
            metavar="FILE",
            help="price list (CSV: usage_type,unit_price,currency) that puts amounts on the "
            "pictures; without it they show units only",
        ),
    ] = None,
) -> None:
    """Billing and usage of a stack's tenant for a month, and its charts."""
    if prices and not (html or png):
        raise CommandError("--prices puts amounts on the pictures: add --html FILE or --png DIR")
    price_list = read_price_list(prices) if prices else None
    stack_file = StackFile.load(stack, _stacks_dir(ctx))
    client = stack_client(stack_file)
    tenant = _tenant_of(client, stack_file)
    summary = client.billing_summary(tenant.id, period)
    if json_:
        _print_json(summary.model_dump(mode="json", by_alias=True))
    else:
        _say(billing_table(summary))
    if html or png:
        _draw(
            client,
            tenant.id,
            name=tenant.name,
            period=period,
            months=months,
            html=html,
            png=png,
            prices=price_list,
        )


def _tenant_of(client: ProvisioningClient, stack: StackFile) -> Any:
    tenant = client.find_tenant(str(stack.tenant["name"]))
    if tenant is None:
        raise CommandError(
            f"tenant '{stack.tenant['name']}' of stack {stack.stack} is not in the backend"
        )
    return tenant


def _draw(
    client: ProvisioningClient,
    tenant_id: str,
    *,
    name: str,
    period: str,
    months: int,
    html: Path | None,
    png: Path | None,
    prices: PriceList | None,
) -> None:
    """The pictures of the `months` months up to `period`, as HTML and/or PNG files, priced
    by `prices` if given."""
    from ccprovider.billing_page import write_html  # noqa: PLC0415
    from ccprovider.charts import billing_charts, write_pngs  # noqa: PLC0415

    month = datetime.strptime(period, "%Y-%m").date()
    periods: list[str] = []
    for _ in range(months):
        periods.insert(0, f"{month:%Y-%m}")
        month = (month - timedelta(days=1)).replace(day=1)
    bill = make_bill(
        [
            BillMonth(client.billing_summary(tenant_id, p), _has_usage(client, tenant_id, p))
            for p in periods
        ],
        prices,
    )
    charts = billing_charts(bill, client.today())
    if html:
        write_html(html, charts, bill, f"Billing of {name}, {bill.span}")
        print(f"wrote {html}", file=sys.stderr)
    if png:
        for written in write_pngs(png, charts):
            print(f"wrote {written}", file=sys.stderr)


@app.command("forecast")
def forecast_cmd(
    ctx: typer.Context,
    *,
    stack: StackName,
    period: Annotated[
        str | None,
        typer.Option("--period", help="the month of usage to project (default: the last loaded)"),
    ] = None,
    json_: Json = False,
) -> None:
    """What a stack's declaration would cost against its live tenant (exit 1: more overage)."""
    if period is not None:
        _month(period)
    stack_file = StackFile.load(stack, _stacks_dir(ctx))
    client = stack_client(stack_file)
    today = client.today()
    try:
        spec = parse_tenant_spec(stack_file.tenant, today, project_dir(stack_file))
    except SpecError as error:
        raise CommandError(f"stack {stack} cannot be forecast: {error}") from None
    tenant = client.find_tenant(spec.name)
    now = _live_tenancy(client, tenant.id) if tenant else Tenancy([], {})
    after = Tenancy(spec.declared_subscriptions(), {u.email: u.subscription for u in spec.users})
    period = period or (_last_usage_month(client, tenant.id, today) if tenant else None)
    records = list(client.list_usage(tenant.id, period)) if tenant and period else []
    result = forecast(spec.name, now, after, records, usage_period=period, today=today)
    if json_:
        _print_json(forecast_json(result))
    else:
        _say(forecast_table(result, stack))
    raise typer.Exit(1 if result.overage_increases else 0)


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
        if _has_usage(client, tenant_id, period):
            return period
        month = (month - timedelta(days=1)).replace(day=1)
    return None


def _has_usage(client: ProvisioningClient, tenant_id: str, period: str) -> bool:
    """Whether any usage was loaded for the tenant in the month `period`."""
    return next(iter(client.list_usage(tenant_id, period, page_size=1)), None) is not None


@app.command("load-usage")
def load_usage(
    ctx: typer.Context,
    *,
    stack: StackName,
    csv: Annotated[Path, typer.Argument(help="columns: day, usage_type, quantity, email")],
) -> None:
    """Load usage records from a CSV file into the stack's tenant."""
    stack_file = StackFile.load(stack, _stacks_dir(ctx))
    records = read_usage_csv(csv)
    client = stack_client(stack_file)
    tenant = _tenant_of(client, stack_file)
    loaded = replaced = 0
    for start in range(0, len(records), _USAGE_BATCH):
        accepted = client.add_usage(tenant.id, records[start : start + _USAGE_BATCH])
        loaded, replaced = loaded + accepted.accepted, replaced + accepted.replaced
        if len(records) > _USAGE_BATCH:
            print(f"  {loaded:,} of {len(records):,} records", file=sys.stderr, flush=True)
    _say(
        f"loaded {loaded:,} usage record(s) into tenant {tenant.name}: "
        f"{loaded - replaced:,} new, {replaced:,} replacing the record stored for the same "
        "day, usage type and user"
    )


directory = typer.Typer(
    help="The org's people, as the identity provider's sync brings them.",
    no_args_is_help=True,
)
app.add_typer(directory, name="directory")


@directory.command("load")
def load_directory(
    ctx: typer.Context,
    *,
    stack: StackName,
    csv: Annotated[
        Path,
        typer.Argument(
            help="columns: email, then any of displayName, givenName, familyName, title, "
            "department, costCenter, organization, division, manager, groups (separated by "
            "semicolons), active"
        ),
    ],
) -> None:
    """Sync the stack's tenant's people from a CSV file, as an identity provider does:
    create, update and deactivate (exit 1 when some people could not be loaded)."""
    stack_file = StackFile.load(stack, _stacks_dir(ctx))
    people = read_directory_csv(csv)
    client = stack_client(stack_file)
    tenant = _tenant_of(client, stack_file)

    def progress(done: int, total: int) -> None:
        if total > 1000:
            print(f"  {done:,} of {total:,} changes", file=sys.stderr, flush=True)

    result = sync_directory(client, tenant.id, people, progress)
    _say(result.summary(tenant.name))
    if result.failures:
        raise typer.Exit(1)


_FAILURES = (
    requests.RequestException,  # the backend cannot be reached
    CommandError,
    StackFileError,
    StackConnectionError,
    ExportError,
    CsvFileError,
    PriceListError,
    ApiError,
)


def main(argv: list[str] | None = None) -> int:
    """Run one command and return its exit code; an error a user can act on is one line
    on stderr (exit 2)."""
    try:
        return _invoke(argv)
    except UnauthorizedError as error:
        return _fail(
            f"{error}. Fix: set the token the backend expects as the stack's secret "
            f"(`pulumi config set --secret {TOKEN_KEY} <token> --stack {_stack_named(argv)}`), "
            f"or in {TOKEN_ENV} for this command"
        )
    except _FAILURES as error:
        return _fail(str(error))
    except _ReaderGoneError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # drop what is buffered
        return _CLOSED_PIPE


def _invoke(argv: list[str] | None) -> int:
    """The command's exit code; usage errors are said by the CLI library, as usual."""
    try:
        typer.main.get_command(app).main(args=argv, prog_name="ccprovider")
    except SystemExit as exited:
        code = exited.code
        return code if isinstance(code, int) else (0 if code is None else 2)
    return 0


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _stack_named(argv: list[str] | None) -> str:
    """The stack a command line names (`--stack` or `--from-stack`), for a fix to name."""
    args = sys.argv[1:] if argv is None else argv
    for flag in ("--stack", "--from-stack"):
        if flag in args[:-1]:
            return args[args.index(flag) + 1]
    return "<stack>"


def run() -> None:
    """The `ccprovider` console script (and `python -m ccprovider`)."""
    sys.exit(main())

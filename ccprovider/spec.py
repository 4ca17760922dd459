"""The tenant declaration of a stack (`ccprovider:tenant`), validated whole before any resource.

This is the first of three layers that catch a bad change: the declaration alone must
obey the vendor's rules (one telephony option, one license model, every user on an
active declared subscription, partners' access), so that `pulumi preview` of a brand-new
stack already fails. Every error names the path of the offending value in the stack
config, for example `ccprovider:tenant.subscriptions[1].telephony`, and says the fix.
"""

import difflib
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Self, get_args

from pydantic import BaseModel, BeforeValidator, Field, StrictBool, ValidationError, model_validator
from pydantic_core import ErrorDetails
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from ccprovider import rules
from ccprovider.connection import TENANT_KEY
from ccprovider.domain import (
    PATTERN_MEANINGS,
    ContractDate,
    Count,
    LicenseAssignment,
    Offer,
    PartnerAccess,
    PartnerAccessLevel,
    Subscription,
    SubscriptionId,
    SubscriptionOrder,
    SubscriptionTerms,
    TeamName,
    Telephony,
    TenantSettings,
    UserRole,
    email_skeleton,
)
from ccprovider.license_rules import LicenseRule, static_problems
from ccprovider.text import out_of_bounds, shortened

CONFIG_KEY = TENANT_KEY
DEFAULT_REMAP_WARNING_DAYS = 30

MAX_VALUES = 1_000_000
"""The most values a declaration may hold, each use of a YAML alias counted: fifty times
the fields of 20,000 users, and far below what would exhaust the program's memory."""
MAX_DEPTH = 12
"""How deep a declaration may nest lists and mappings; its own deepest value is at 4."""
MAX_USERS_FILE_BYTES = 32 * 1024 * 1024
"""The largest `usersFile`: about 300,000 users."""
NOT_AN_OBJECT = (
    f"{CONFIG_KEY} must be an object (name, offer, telephony, ...) of at most {MAX_DEPTH} "
    "levels of lists and mappings"
)
MAX_PROBLEMS = 50
"""The most problems a failed declaration lists; the rest are counted."""


class SpecError(ValueError):
    """The declaration is invalid; the message lists every problem with its config path."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        shown = [shortened(p, 400) for p in self.problems[:MAX_PROBLEMS]]
        if len(self.problems) > MAX_PROBLEMS:
            shown.append(f"… and {len(self.problems) - MAX_PROBLEMS:,} more problems")
        super().__init__("invalid tenant declaration:\n" + "\n".join(f"  {p}" for p in shown))


def _config_date(value: Any) -> Any:
    """Pulumi reads an unquoted YAML date as a timestamp and hands it to the program as
    "2025-01-01 00:00:00 +0000 UTC": keep its date, so both spellings mean the same day."""
    if isinstance(value, str) and _GO_MIDNIGHT.fullmatch(value):
        return value[:10]
    return value


_GO_MIDNIGHT = re.compile(r"\d{4}-\d{2}-\d{2} 00:00:00 \+0000 UTC")
ConfigDate = Annotated[ContractDate, BeforeValidator(_config_date)]


class SubscriptionSpec(SubscriptionOrder):
    """One subscription as a stack declares it, named by `id`; offer and telephony default to
    the tenant's."""

    external_id: SubscriptionId = Field(alias="id")
    start: ConfigDate
    offer: Offer | None = None
    telephony: Telephony | None = None


class UserSpec(LicenseAssignment):
    """One user as a stack declares it; users of a `team` are assigned in bulk, by one
    resource per team, instead of one resource each."""

    team: TeamName | None = None


class TenantSpec(TenantSettings):
    """A whole tenant as a stack declares it."""

    telephony: Telephony
    remap_warning_days: Annotated[Count, Field(ge=0, le=365)] = DEFAULT_REMAP_WARNING_DAYS
    adopt: StrictBool = False
    take_over: StrictBool = False
    """With `adopt`, take over also users another stack manages (they carry its mark)."""
    delete_users: StrictBool = False
    """When a user leaves the declaration, delete the account this stack created instead of
    only releasing its license (the default keeps accounts: they may carry other services)."""
    subscriptions: list[SubscriptionSpec] = Field(default_factory=list)
    users: list[UserSpec] = Field(default_factory=list)
    """Each admin, supervisor and agent, and the subscription that gives them access."""
    users_file: str | None = None
    """A YAML file of more users, relative to the project directory, for large tenants."""
    partners: list[PartnerAccess] = Field(default_factory=list)
    """Partner organisations; full admin of a second partner needs `approvedBy`."""
    license_rules: Annotated[list[LicenseRule], Field(max_length=100)] = Field(default_factory=list)
    """Rules that license the org's people by their directory attributes, first match wins;
    a person declared under `users` is licensed by that entry instead."""

    @model_validator(mode="after")
    def _take_over_with_adopt(self) -> Self:
        if self.take_over and not self.adopt:
            raise ValueError("takeOver: true takes over only what adopt: true adopts: set both")
        return self

    def terms(self, subscription: SubscriptionSpec) -> SubscriptionTerms:
        """The full terms of a declared subscription, tenant defaults applied."""
        return SubscriptionTerms(
            **subscription.model_dump(exclude={"offer", "telephony"}),
            offer=subscription.offer or self.offer,
            telephony=subscription.telephony or self.telephony,
        )

    def declared_subscriptions(self) -> list[Subscription]:
        """The declared subscriptions, as the rules see them."""
        return [Subscription(**self.terms(s).model_dump()) for s in self.subscriptions]

    def customer_admins(self) -> list[str]:
        return [u.email for u in self.users if u.role is UserRole.ADMIN]

    def teams(self) -> dict[str, list[UserSpec]]:
        """The users of each team, in declared order."""
        teams: dict[str, list[UserSpec]] = {}
        for user in self.users:
            if user.team is not None:
                teams.setdefault(user.team, []).append(user)
        return teams


@dataclass(frozen=True)
class _Paths:
    """Names a declared value by where the user wrote it: its path in the stack config, or
    for a user read from `usersFile`, its place in that file."""

    inline_users: int
    users_file: str | None = None
    emails: tuple[str, ...] = ()
    """The declared e-mail of each user, by index, to name a user's entry by it too."""

    def __call__(self, location: Iterable[int | str]) -> str:
        parts = list(location)
        path = CONFIG_KEY
        if self.users_file and parts[:1] == ["users"] and len(parts) > 1:
            index = parts[1]
            if isinstance(index, int) and index >= self.inline_users:
                path, parts = f"{self.users_file}", [index - self.inline_users, *parts[2:]]
        for part in parts:
            path += f"[{part}]" if isinstance(part, int) else f".{part}"
        return path

    def problem(self, location: Iterable[int | str], message: str) -> str:
        """`message` at the path of `location`; a user's entry is named by its e-mail too,
        unless the message names it already."""
        parts = list(location)
        path = self(parts)
        index = parts[1] if parts[:1] == ["users"] and len(parts) > 1 else None
        if isinstance(index, int) and index < len(self.emails) and self.emails[index]:
            email = self.emails[index]
            if email not in message:
                path += f" ({email})"
        return f"{path}: {message}"


def _with_users_file(raw: dict[str, Any], root: Path) -> tuple[dict[str, Any], _Paths]:
    """The declaration with the users of its `usersFile` (a YAML list, relative to the
    project directory) after its inline users: the engine hands the whole stack config to
    the program through the environment, which the OS limits to 128 KiB (about a thousand
    users), so large tenants keep their users in a file."""
    inline = raw.get("users") or []
    paths = _Paths(len(inline) if isinstance(inline, list) else 0, emails=_emails(inline))
    name = raw.get("usersFile")
    if name is None:
        return raw, paths
    where = f"{CONFIG_KEY}.usersFile"
    loaded = _users_file(root / str(name), where)
    if not isinstance(loaded, list):
        raise SpecError([f"{where}: {name} must hold a list of users (email, role, ...)"])
    merged = [*(inline if isinstance(inline, list) else []), *loaded]
    return {**raw, "users": merged}, _Paths(paths.inline_users, str(name), _emails(merged))


def _users_file(path: Path, where: str) -> Any:
    """The YAML document of the `usersFile` at `path`, refused in one line at `where` when
    it cannot be read, is not UTF-8, is too large or nests too deeply to parse."""
    cannot = f"{where}: cannot read {path.name}"
    try:
        if path.stat().st_size > MAX_USERS_FILE_BYTES:
            raise SpecError(
                [
                    f"{cannot}: it is larger than {MAX_USERS_FILE_BYTES:,} bytes. Fix: keep "
                    "the file to the tenant's users, or split the tenant."
                ]
            )
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        line = error.object[: error.start].count(b"\n") + 1
        raise SpecError(
            [f"{cannot}: line {line} is not UTF-8 text. Fix: save it as UTF-8."]
        ) from None
    except OSError as error:
        raise SpecError([f"{cannot}: {error.strerror}."]) from None
    try:
        return YAML(typ="safe").load(text)
    except YAMLError as error:
        found = shortened(" ".join(str(error).split()))
        raise SpecError([f"{cannot}: it is not YAML ({found})."]) from None
    except RecursionError:
        raise SpecError(
            [
                f"{cannot}: it nests lists or mappings too deeply. Fix: write it as a list "
                "of users, one mapping of plain values each."
            ]
        ) from None


def _size_problem(raw: Any, named: str) -> str | None:
    """Why `raw` is too large or too deep to be a declaration, counting each use of a YAML
    alias as the copy it expands to and stopping at the first bound crossed; else None."""
    values, pending = 0, [(raw, 0)]
    while pending:
        value, depth = pending.pop()
        values += 1
        if values > MAX_VALUES:
            return (
                f"{named}: holds more than {MAX_VALUES:,} values (each use of a YAML "
                "alias counted). Fix: declare each user once, without aliases of lists."
            )
        if depth > MAX_DEPTH:
            return (
                f"{named}: nests lists or mappings more than {MAX_DEPTH} deep. Fix: "
                "write users as a list of mappings of plain values."
            )
        if isinstance(value, dict):
            pending.extend((child, depth + 1) for child in value.values())
        elif isinstance(value, list):
            pending.extend((child, depth + 1) for child in value)
    return None


def _emails(users: Any) -> tuple[str, ...]:
    """The e-mail each raw user entry declares ('' where it declares none)."""
    if not isinstance(users, list):
        return ()
    return tuple(
        u["email"].strip().lower()
        if isinstance(u, dict) and isinstance(u.get("email"), str)
        else ""
        for u in users
    )


def _duplicates(values: Iterable[str]) -> set[str]:
    return {value for value, count in Counter(values).items() if count > 1}


def _look_alikes(emails: list[str], _path: _Paths) -> list[str]:
    """Each user whose address reads the same as an earlier user's (one Unicode TR39
    skeleton, such as `paypa1@` and `paypal@`), named with that user: one would be taken
    for the other when access is reviewed or granted."""
    first_by_skeleton: dict[str, int] = {}
    problems = []
    for index, email in enumerate(emails):
        first = first_by_skeleton.setdefault(email_skeleton(email), index)
        if emails[first] != email:
            problems.append(
                f"{_path(['users', index, 'email'])}: '{email}' reads the same as "
                f"'{emails[first]}' at {_path(['users', first, 'email'])}. Fix: give the "
                "users addresses that cannot be taken for each other, or declare one of them."
            )
    return problems


def _rule_problems(spec: TenantSpec, today: Callable[[], date], _path: _Paths) -> list[str]:
    """Every vendor rule the declaration breaks on `today()`, each at its config path. The
    rules that need no date come first: when one is broken, the date is not read."""
    problems: list[str] = []
    position = {s.external_id: i for i, s in enumerate(spec.subscriptions)}
    for collection, key, values in (
        ("subscriptions", "id", [s.external_id for s in spec.subscriptions]),
        ("users", "email", [u.email for u in spec.users]),
        ("partners", "org", [p.org for p in spec.partners]),
    ):
        for duplicate in sorted(_duplicates(values)):
            first, *others = [i for i, v in enumerate(values) if v == duplicate]
            also = " and ".join(_path([collection, i, key]) for i in others)
            problems.append(
                f"{_path([collection, first, key])}: '{duplicate}' is declared twice, again at "
                f"{also}. Fix: declare it once."
            )
    problems += _look_alikes([u.email for u in spec.users], _path)
    problems += static_problems(
        spec.license_rules, [s.external_id for s in spec.subscriptions], _path(["licenseRules"])
    )
    if problems:
        return problems  # the rules below would only echo the ambiguity

    terms = [spec.terms(s) for s in spec.subscriptions]
    for violation in rules.telephony_violations(terms, spec.telephony):
        problems.append(
            f"{_path(['subscriptions', position[violation.objects[0]], 'telephony'])}: {violation}"
        )
    for violation in rules.license_model_violations(terms):
        index = position[violation.objects[0]]
        problems.append(f"{_path(['subscriptions', index, 'licenseModel'])}: {violation}")

    if problems:
        return problems
    on = today()
    declared = spec.declared_subscriptions()
    report = rules.remap_report(declared, spec.users, on, spec.remap_warning_days)
    user_index = {u.email: i for i, u in enumerate(spec.users)}
    ids = [s.external_id for s in declared]
    for need in report.stranded:
        where: list[int | str] = ["users", user_index[need.email], "subscription"]
        if need.subscription in ids:
            message = (
                f"{need.describe()}. Fix: map the user to an active subscription before the "
                "old one goes."
            )
        else:  # a typo, most likely
            close = difflib.get_close_matches(need.subscription, ids, n=1, cutoff=0.85)
            guess = f" Did you mean {close[0]}?" if close else ""
            choices = ", ".join(need.candidates) or "none: declare an active subscription first"
            message = (
                f"'{need.subscription}' is not a subscription this tenant declares.{guess} "
                f"Fix: map the user to one of its active subscriptions ({choices})."
            )
        problems.append(_path.problem(where, message))

    problems += _license_rule_access(spec, on, _path)

    active = len(rules.active_subscriptions(declared, on))
    for index, partner in enumerate(spec.partners):
        refused = rules.partner_access_violation(
            partner.org,
            PartnerAccessLevel.READ_ONLY,
            partner.access,
            partners_before=index,
            subscription_count=active,
            approved_by=partner.approved_by,
            customer_admins=spec.customer_admins(),
        )
        if refused is not None:
            problems.append(f"{_path(['partners', index, 'approvedBy'])}: {refused}")
    return problems


def _license_rule_access(spec: TenantSpec, on: date, _path: _Paths) -> list[str]:
    """Each license rule whose subscription cannot give access on `on`."""
    declared = spec.declared_subscriptions()
    by_id = {s.external_id: s for s in declared}
    problems = []
    for index, rule in enumerate(spec.license_rules):
        problem = rules.access_problem(by_id[rule.subscription], on)
        if problem is not None:
            choices = ", ".join(s.external_id for s in rules.active_subscriptions(declared, on))
            problems.append(
                f"{_path(['licenseRules', index, 'subscription'])}: rule '{rule.name}' gives "
                f"licenses of subscription {rule.subscription}, which {problem}: its people "
                f"would lose access. Fix: point the rule at an active subscription "
                f"({choices or 'none: declare one first'})."
            )
    return problems


def _explained(error: ErrorDetails) -> str:
    """A schema error in the words of the declaration: dates ask for YYYY-MM-DD, names say
    what they accept (never a regex), an unknown key lists the valid ones and a close match."""
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        key = str(error["loc"][-1])
        valid = _keys_at(error["loc"][:-1])
        close = difflib.get_close_matches(key, valid, n=1)
        hint = f" Did you mean {close[0]}?" if close else ""
        return f"unknown key '{key}'.{hint} Valid keys here: {', '.join(valid)}."
    if kind.startswith("date"):
        return f"'{value}' is not a date: use YYYY-MM-DD, for example 2025-01-31."
    if kind.startswith("bool"):
        return f"{value!r} is not a yes-or-no value: use true or false."
    bounds = error.get("ctx") or {}
    if said := out_of_bounds(kind, value, bounds):
        return said
    if kind == "string_pattern_mismatch":
        meaning = PATTERN_MEANINGS.get(str(bounds.get("pattern")))
        if meaning:
            return f"'{value}' is not {meaning}."
    return error["msg"].removeprefix("Value error, ")


def _keys_at(location: Iterable[int | str]) -> list[str]:
    """The keys the declaration accepts at `location` (a path of keys and list indexes)."""
    model: type[BaseModel] = TenantSpec
    for part in location:
        if isinstance(part, int):
            continue
        field = next((f for n, f in model.model_fields.items() if part in (n, f.alias)), None)
        nested = _model_in(field.annotation) if field else None
        if nested is None:
            return []
        model = nested
    return [field.alias or name for name, field in model.model_fields.items()]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds, directly, in a list or as an option; None for plain values."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None


def parse_tenant_spec(
    raw: Any, today: date | Callable[[], date], root: Path = Path()
) -> TenantSpec:
    """Validate the raw `ccprovider:tenant` config object (with the users of its `usersFile`,
    relative to `root`) against its schema and the vendor's rules on `today`; raise
    `SpecError` listing every problem with its config path. `today` may be a function that
    reads the date (from the backend): it is called only once the schema and the rules that
    need no date hold, so that a malformed declaration reaches no backend."""
    if not isinstance(raw, dict):
        raise SpecError([NOT_AN_OBJECT])
    raw, paths = _with_users_file(raw, root)
    named = f"{CONFIG_KEY} (with {paths.users_file})" if paths.users_file else CONFIG_KEY
    too_large = _size_problem(raw, named)
    if too_large:
        raise SpecError([too_large])
    try:
        spec = TenantSpec.model_validate(raw)
    except ValidationError as error:
        raise SpecError(paths.problem(e["loc"], _explained(e)) for e in error.errors()) from None
    problems = _rule_problems(spec, today if callable(today) else lambda: today, paths)
    if problems:
        raise SpecError(problems)
    return spec


def expiring_users(spec: TenantSpec, today: date) -> list[rules.RemapNeed]:
    """Users on subscriptions that end within the warning window: remap them soon."""
    report = rules.remap_report(
        spec.declared_subscriptions(), spec.users, today, spec.remap_warning_days
    )
    return report.expiring

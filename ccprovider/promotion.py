"""Promoting a reviewed tenant declaration from one stack to the next (dev -> staging -> prod).

Everything in `ccprovider:tenant` is promoted except what belongs to an environment:

- `name`: each environment is its own tenant; promoting the name would point staging at
  dev's tenant;
- `adopt`: a one-off switch for taking over objects that already exist in that
  environment's backend, decided per environment;
- `usersFile`: the file of a large tenant's users, which are each environment's own.

Keys outside `ccprovider:tenant` (endpoint, token, backend file, protection) are never
touched: they say where and how an environment runs, not what it declares. `--keep`
keeps more keys from the target, for example `users` where each environment has its own
people.
"""

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from pydantic import ValidationError
from ruamel.yaml.comments import CommentedMap

from ccprovider.changes import declaration_diff
from ccprovider.spec import TenantSpec, parse_tenant_spec
from ccprovider.stackfile import StackFile

ENVIRONMENT_KEYS = ("name", "adopt", "takeOver", "usersFile")


def _without(tenant: CommentedMap, keys: Iterable[str]) -> CommentedMap:
    kept = CommentedMap()
    for key, value in tenant.items():
        if key not in keys:
            kept[key] = value
    return kept


@dataclass(frozen=True)
class Promotion:
    """The target's declaration after promotion, and how it differs from now."""

    target: StackFile
    result: CommentedMap
    diff: str

    def apply(self) -> None:
        """Write the promoted declaration into the target's stack file."""
        self.target.write_tenant(self.result)


def plan_promotion(
    source: StackFile, target: StackFile, today: date, keep: Iterable[str] = ()
) -> Promotion:
    """The target's promoted declaration, validated; raise `SpecError` when it is invalid."""
    kept = {*ENVIRONMENT_KEYS, *keep}
    current, promoted = target.tenant, source.tenant
    # Edit a copy of the target in place, so that its order and comments survive; promoted
    # values bring their own comments along.
    result = copy.deepcopy(current)
    for key in list(result):
        if key not in kept and key not in promoted:
            del result[key]
    for key, value in promoted.items():
        if key in kept:
            continue
        result[key] = copy.deepcopy(value)
        if key in promoted.ca.items:
            result.ca.items[key] = copy.deepcopy(promoted.ca.items[key])
    parse_tenant_spec(result, today)
    label = str(target.path)
    return Promotion(
        target, result, declaration_diff(current, result, label, f"{label} (promoted)")
    )


def _normalized(tenant: CommentedMap) -> CommentedMap:
    """The declaration as the program reads it, so that spelling (date formats, key order,
    defaults) is not a difference; as written when it does not validate. A value left at
    its default is left out, as a person would write it: no empty `team:` lines."""
    try:
        spec = TenantSpec.model_validate(tenant)
    except ValidationError:
        return tenant
    return CommentedMap(spec.model_dump(mode="json", by_alias=True, exclude_defaults=True))


@dataclass(frozen=True)
class Comparison:
    """How two stacks' promotable declarations differ, and the tenants they declare."""

    stacks: tuple[str, str]
    tenants: tuple[str, str]
    kept: tuple[str, ...]
    """The keys left out of the comparison: each environment's own."""
    diff: str
    """Empty when the declarations do not differ."""

    def summary(self) -> str:
        """What a comparison that finds no difference says: the same tenant only when both
        stacks name one tenant, since each environment's name is left out."""
        (first, second), (one, other) = self.stacks, self.tenants
        if one == other:
            return f"{first} and {second} declare the same tenant, {one}"
        return (
            f"{first} and {second} declare different tenants, {one} and {other}, alike but "
            f"for the keys each environment keeps ({', '.join(self.kept)})"
        )


def compare(first: StackFile, second: StackFile, keep: Iterable[str] = ()) -> Comparison:
    """How two stacks' promotable declarations differ."""
    kept = tuple(dict.fromkeys([*ENVIRONMENT_KEYS, *keep]))
    return Comparison(
        (first.stack, second.stack),
        (str(first.tenant.get("name")), str(second.tenant.get("name"))),
        kept,
        declaration_diff(
            _without(_normalized(first.tenant), kept),
            _without(_normalized(second.tenant), kept),
            str(first.path),
            str(second.path),
        ),
    )

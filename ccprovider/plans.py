"""A saved update plan judged against its stack, for `scripts/deploy --plan`: a plan saved
for another declaration is refused before the engine runs, and a plan the engine refuses
later (the backend changed since) is explained; each in one line naming what changed and
the fix, where the engine prints the whole tenant config and a gRPC error.

    pulumi config --json --stack S | python -m ccprovider.plans check S PLAN
    pulumi up --plan PLAN ... | python -m ccprovider.plans explain S PLAN
"""

import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ccprovider.changes import ITEM_KEYS, declaration_changes
from ccprovider.connection import TENANT_KEY
from ccprovider.text import shortened


def _fix(stack: str, plan: str) -> str:
    return (
        f"Fix: preview again with `scripts/deploy {stack} --save-plan {plan}`, review it, "
        f"then apply that plan with `scripts/deploy {stack} --plan {plan}`."
    )


def declaration_problem(
    plan: Mapping[str, Any], config: Mapping[str, Any], stack: str, plan_file: str
) -> str | None:
    """Why `plan` (a saved plan) does not fit the stack whose config is `config` (as
    `pulumi config --json` prints it): the declaration's changes since the plan, by item."""
    planned = (plan.get("config") or {}).get(TENANT_KEY)
    entry = config.get(TENANT_KEY) or {}
    declared = entry.get("objectValue")
    if declared is None and isinstance(entry.get("value"), str):
        declared = json.loads(entry["value"])
    if not isinstance(planned, Mapping) or not isinstance(declared, Mapping):
        return None if planned == declared else _changed(stack, plan_file, [TENANT_KEY])
    changes = [
        f"{key}: {'; '.join(found)}" if key in ITEM_KEYS else "; ".join(found)
        for key, found in declaration_changes(planned, declared)
    ]
    return _changed(stack, plan_file, changes) if changes else None


def _changed(stack: str, plan_file: str, changes: list[str]) -> str:
    what = shortened("; ".join(changes), 300)
    return (
        f"error: {plan_file} was saved for another declaration of stack {stack} ({TENANT_KEY} "
        f"changed since: {what}); nothing applied. {_fix(stack, plan_file)}"
    )


_VIOLATION = re.compile(r"resource (urn:\S+) violates plan: (.*)")


def engine_refusal(output: str, stack: str, plan_file: str) -> str | None:
    """The first resource the engine refused to change beyond the plan, from the output of
    `pulumi up --plan`, with what differs; None when no plan was violated."""
    found = _VIOLATION.search(output)
    if found is None:
        return None
    urn, detail = found.groups()
    name = urn.rpartition("::")[2]
    kind, _, values = detail.partition(": ")
    # The engine lists each property with markers and its value: `=+email[{a@b.example}]`.
    properties = _PROPERTY.findall(values)
    what = f"{kind}: {', '.join(properties)}" if properties else detail
    return (
        f"error: {name} differs from {plan_file} (the backend or the state changed since the "
        f"plan was saved; {shortened(what, 160)}); the update stopped there. "
        f"{_fix(stack, plan_file)}"
    )


_PROPERTY = re.compile(r"(?:^|, )[^\w\s]*([A-Za-z_][\w.:]*)\[")


def main(argv: list[str]) -> int:
    """`check STACK PLAN` reads the stack's config, `explain STACK PLAN` an update's output,
    from standard input; each prints its one line and exits 2 when it found a problem."""
    if len(argv) != 3 or argv[0] not in ("check", "explain"):
        print("usage: python -m ccprovider.plans check|explain STACK PLAN", file=sys.stderr)
        return 2
    command, stack, plan_file = argv
    text = sys.stdin.read()
    if command == "check":
        try:
            plan = json.loads(Path(plan_file).read_text())
        except (OSError, ValueError) as error:
            print(
                f"error: {plan_file} is not a saved plan ({error}). {_fix(stack, plan_file)}",
                file=sys.stderr,
            )
            return 2
        problem = declaration_problem(plan, json.loads(text), stack, plan_file)
    else:
        problem = engine_refusal(text, stack, plan_file)
    if problem is None:
        return 0
    print(problem, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

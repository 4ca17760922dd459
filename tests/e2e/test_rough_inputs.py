"""Rough inputs through the real CLI: each fails the preview with one line naming the value,
what is wrong and the fix, never a traceback, and the backend is left untouched."""

from collections.abc import Callable
from typing import Any

import pytest
import yaml

from ccprovider.backend import DEFAULT_DB_PATH
from tests.e2e.declarations import tenant
from tests.e2e.harness import PulumiProject

Edit = Callable[[dict[str, Any]], None]


def set_in(path: tuple[str | int, ...], value: Any) -> Edit:
    def edit(declared: dict[str, Any]) -> None:
        target: Any = declared
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return edit


def rename_key(path: tuple[str | int, ...], new: str) -> Edit:
    def edit(declared: dict[str, Any]) -> None:
        target: Any = declared
        for part in path[:-1]:
            target = target[part]
        target[new] = target.pop(path[-1])

    return edit


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            set_in(("subscriptions", 0, "start"), "01/02/2025"),
            "ccprovider:tenant.subscriptions[0].start: '01/02/2025' is not a date: use YYYY-MM-DD",
        ),
        (
            set_in(("users", 1, "email"), "agent1 at acme"),
            "ccprovider:tenant.users[1].email: 'agent1 at acme' is not an e-mail address",
        ),
        (
            rename_key(("subscriptions", 0, "termMonths"), "termMonth"),
            "unknown key 'termMonth'. Did you mean termMonths?",
        ),
        (
            set_in(("users", 1, "email"), "admin1@acme.example"),
            "ccprovider:tenant.users[0].email: 'admin1@acme.example' is declared twice, again "
            "at ccprovider:tenant.users[1].email",
        ),
        (
            set_in(("subscriptions", 0, "entitlements", "standardAgents"), True),
            "ccprovider:tenant.subscriptions[0].entitlements.standardAgents: expected a whole "
            "number, not true or false",
        ),
        (
            set_in(("adopt",), 1),
            "ccprovider:tenant.adopt: 1 is not a yes-or-no value: use true or false.",
        ),
        (
            set_in(("users", 1, "email"), "\u0430gent1@acme.example"),
            "ccprovider:tenant.users[1].email: '\u0430gent1@acme.example' mixes look-alike "
            "letters of several scripts",
        ),
        (
            set_in(("users", 1, "email"), "adminl@acme.example"),
            "ccprovider:tenant.users[1].email: 'adminl@acme.example' reads the same as "
            "'admin1@acme.example' at ccprovider:tenant.users[0].email",
        ),
    ],
    ids=[
        "date",
        "email",
        "unknown key",
        "duplicate email",
        "true as a count",
        "1 as a flag",
        "look-alike email",
        "email reading as another user's",
    ],
)
def test_a_rough_declaration_fails_the_preview_with_one_clear_line(
    project: PulumiProject, edit: Edit, expected: str
) -> None:
    declared = tenant()
    edit(declared)
    project.declare(declared)

    output = project.preview_fails()

    assert expected in output
    assert "Traceback" not in output
    assert not (project.directory / DEFAULT_DB_PATH).exists()  # no backend was ever reached


def test_a_misspelled_top_level_key_is_named(project: PulumiProject) -> None:
    config = {"config": {"ccprovider:tenants": tenant()}}
    project.config_file.write_text(yaml.safe_dump(config, sort_keys=False))

    output = project.preview_fails()

    assert "ccprovider:tenants: unknown stack config key. Did you mean ccprovider:tenant?" in output
    assert "Traceback" not in output
    assert not (project.directory / DEFAULT_DB_PATH).exists()

"""Rough inputs through the real CLI: each fault fails the preview with one line naming the
value, what is wrong and the fix, never a traceback, and the backend is left untouched."""

from typing import Any

import pytest
import yaml

from ccprovider.backend import DEFAULT_DB_PATH
from tests.e2e.declarations import tenant, user
from tests.e2e.harness import PulumiProject
from tests.helpers import alias_bomb


def with_field_faults() -> dict[str, Any]:
    """The standard tenant with a fault in each kind of field at once: a date, a key, a
    count, a flag, text the backend cannot store and two e-mail addresses."""
    declared = tenant()
    first = declared["subscriptions"][0]
    first["department"] = "care\x00x"
    first["start"] = "01/02/2025"
    first["termMonth"] = first.pop("termMonths")
    first["entitlements"]["standardAgents"] = True
    declared["adopt"] = 1
    declared["users"][1]["email"] = "agent1 at acme"
    declared["users"].append(user("\u0430gent2@acme.example", "SUB-1"))
    return declared


FIELD_FAULTS = [
    "ccprovider:tenant.subscriptions[0].department: holds the NUL character (\\u0000), which "
    "cannot be stored: remove it",
    "ccprovider:tenant.subscriptions[0].start: '01/02/2025' is not a date: use YYYY-MM-DD",
    "ccprovider:tenant.subscriptions[0].termMonth: unknown key 'termMonth'. Did you mean "
    "termMonths?",
    "ccprovider:tenant.subscriptions[0].entitlements.standardAgents: expected a whole number, "
    "not true or false",
    "ccprovider:tenant.adopt: 1 is not a yes-or-no value: use true or false.",
    "ccprovider:tenant.users[1].email: 'agent1 at acme' is not an e-mail address",
    "ccprovider:tenant.users[2].email: '\u0430gent2@acme.example' mixes look-alike letters of "
    "several scripts",
]


def with_faults_between_users() -> dict[str, Any]:
    """The standard tenant with admin1 declared twice and a user whose address reads as
    admin1's: faults of no single field, judged once every field holds."""
    declared = tenant()
    declared["users"] += [
        user("admin1@acme.example", "SUB-1"),
        user("adminl@acme.example", "SUB-1"),
    ]
    return declared


FAULTS_BETWEEN_USERS = [
    "ccprovider:tenant.users[0].email: 'admin1@acme.example' is declared twice, again at "
    "ccprovider:tenant.users[2].email",
    "ccprovider:tenant.users[3].email: 'adminl@acme.example' reads the same as "
    "'admin1@acme.example' at ccprovider:tenant.users[0].email",
]


@pytest.mark.parametrize(
    ("declared", "expected"),
    [(with_field_faults(), FIELD_FAULTS), (with_faults_between_users(), FAULTS_BETWEEN_USERS)],
    ids=["faults of fields", "faults between users"],
)
def test_a_rough_declaration_fails_the_preview_with_one_clear_line_per_fault(
    project: PulumiProject, declared: dict[str, Any], expected: list[str]
) -> None:
    """Each message alone, word for word, is a unit test (test_bad_input): here the real
    CLI shows every fault of a declaration at once, one line each, and nothing else."""
    project.declare(declared)

    output = project.preview_fails()

    lines = [line.strip() for line in output.splitlines()]
    for fault in expected:
        assert [line for line in lines if line.startswith(fault)], fault
    assert "Traceback" not in output
    assert "an unhandled error occurred" not in output
    assert not (project.directory / DEFAULT_DB_PATH).exists()  # no backend was ever reached


def test_a_misspelled_top_level_key_is_named(project: PulumiProject) -> None:
    config = {"config": {"ccprovider:tenants": tenant()}}
    project.config_file.write_text(yaml.safe_dump(config, sort_keys=False))

    output = project.preview_fails()

    assert "ccprovider:tenants: unknown stack config key. Did you mean ccprovider:tenant?" in output
    assert "Traceback" not in output
    assert not (project.directory / DEFAULT_DB_PATH).exists()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"- email: caf\xe9@acme.example\n", "line 1 is not UTF-8 text"),
        (b"[" * 10_000 + b"]" * 10_000, "it nests lists or mappings too deeply"),
        (alias_bomb(8).encode(), "holds more than 1,000,000 values"),
    ],
    ids=["not UTF-8", "10,000 nested brackets", "alias bomb"],
)
def test_a_users_file_beyond_bounds_fails_the_preview_in_one_line(
    project: PulumiProject, content: bytes, problem: str
) -> None:
    (project.directory / "users.yaml").write_bytes(content)
    project.declare({**tenant(), "usersFile": "users.yaml"})

    output = project.preview_fails()

    [error] = [line.strip() for line in output.splitlines() if problem in line]
    assert error.startswith("ccprovider:tenant")
    assert len(error) < 250
    assert "Traceback" not in output
    assert "an unhandled error occurred" not in output
    assert not (project.directory / DEFAULT_DB_PATH).exists()

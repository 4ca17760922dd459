"""`ccprovider directory load`: the identity provider's sync played from a CSV file, through
`main`, against an embedded backend: creates, updates, deactivates, and is idempotent."""

import json
from datetime import date
from pathlib import Path

import pytest

from ccprovider.cli import main
from ccprovider.directory import DirectoryPerson
from ccprovider.domain import AgentProfile
from ccprovider.spec import parse_tenant_spec
from ccprovider.vendor_users import identity
from tests.helpers import assign_license
from tests.readme import cli_args, commands, snippet
from tests.test_environment_commands import backend, stack_with_tenant

PEOPLE = """\
email,displayName,title,department,costCenter,division,manager,groups
ada@acme.example,Ada Byron,Agent,Care,CC-1,EMEA,boss@acme.example,Care EMEA;Night shift
bob@acme.example,,Agent,Care,CC-1,AMER,,Care AMER
"""


def load(directory: Path, people: str) -> int:
    csv = directory / "people.csv"
    csv.write_text(people)
    return main(["--stacks-dir", str(directory), "directory", "load", "--stack", "dev", str(csv)])


def people_of(directory: Path) -> dict[str, DirectoryPerson]:
    """The tenant's people as the directory describes them, by e-mail."""
    with backend(directory / "backend.sqlite3") as client:
        [tenant] = list(client.list_tenants())
        return {found.user.email: found.person for found in client.listed_users(tenant.id)}


def test_a_file_loaded_twice_creates_its_people_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack_with_tenant(tmp_path)

    first, again = load(tmp_path, PEOPLE), load(tmp_path, PEOPLE)

    out = capsys.readouterr().out.splitlines()
    assert (first, again) == (0, 0)
    assert out == [
        "loaded the directory into tenant acme-dev: 2 created, 0 updated, 0 deactivated, "
        "0 unchanged",
        "loaded the directory into tenant acme-dev: 0 created, 0 updated, 0 deactivated, "
        "2 unchanged",
    ]
    ada = people_of(tmp_path)["ada@acme.example"]
    assert ada == DirectoryPerson(
        email="ada@acme.example",
        display_name="Ada Byron",
        title="Agent",
        department="Care",
        cost_center="CC-1",
        division="EMEA",
        manager="boss@acme.example",
        groups=("Care EMEA", "Night shift"),
    )


def test_a_changed_file_updates_and_deactivates_only_the_people_it_brought(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bob leaves the file: deactivated. Ada moves division and loses her title. The
    tenant's other users (made by a stack, not by the sync) are left alone."""
    stack_with_tenant(tmp_path)
    load(tmp_path, PEOPLE)
    changed = "email,title,division,groups\nada@acme.example,,AMER,Care AMER\n"

    code = load(tmp_path, changed)

    assert code == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "loaded the directory into tenant acme-dev: 0 created, 1 updated, 1 deactivated, "
        "0 unchanged"
    )
    people = people_of(tmp_path)
    assert people["ada@acme.example"] == DirectoryPerson(
        email="ada@acme.example", division="AMER", groups=("Care AMER",)
    )
    assert people["bob@acme.example"].active is False
    assert all(people[e].active for e in ("admin1@acme.example", "agent1@acme.example"))


def test_a_person_the_backend_refuses_is_named_and_the_others_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """agent1 exists; 'agentl' reads as the same address, so the backend refuses it."""
    stack_with_tenant(tmp_path)

    code = load(tmp_path, "email\nagentl@acme.example\ncarol@acme.example\n")

    out = capsys.readouterr().out
    assert code == 1
    assert "1 created, 0 updated, 0 deactivated, 0 unchanged; 1 not loaded:" in out
    assert "\n  agentl@acme.example: User agentl@acme.example reads the same as" in out
    assert set(people_of(tmp_path)) >= {"carol@acme.example"}
    assert "agentl@acme.example" not in people_of(tmp_path)


def test_a_bad_line_is_one_error_naming_it_and_nothing_is_loaded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack_with_tenant(tmp_path)

    code = load(tmp_path, "email,active\nada@acme.example,true\nnot-an-address,true\n")

    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"error: {tmp_path / 'people.csv'}, line 3: email:")
    assert "ada@acme.example" not in people_of(tmp_path)


def test_the_readmes_directory_file_loads_with_the_readmes_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "stacks").mkdir()
    stack_with_tenant(tmp_path / "stacks")
    monkeypatch.chdir(tmp_path)
    [command] = commands("directory-load")
    Path(command[-1]).write_text(snippet("directory-file"))

    code = main(cli_args(command))

    assert code == 0
    assert "2 created, 0 updated, 0 deactivated, 0 unchanged" in capsys.readouterr().out
    people = people_of(tmp_path / "stacks")
    assert people["ada@acme.example"].groups == ("Night shift",)
    assert people["bob@acme.example"].division == "AMER"


def test_export_writes_rules_for_people_an_attribute_tells_apart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """EMEA's people hold SUB-1's standard-agent license and nobody else is in EMEA: one
    rule. Bob (AMER) holds a premium one that Cy (AMER too, unlicensed) does not: Bob's
    attributes tell nothing, so he stays declared on his own, and a note says why."""
    stack_with_tenant(tmp_path)
    people = "email,division\nada@acme.example,EMEA\neve@acme.example,EMEA\n"
    load(tmp_path, people + "bob@acme.example,AMER\ncy@acme.example,AMER\n")
    with backend(tmp_path / "backend.sqlite3") as client:
        [tenant] = list(client.list_tenants())
        [sub] = list(client.list_subscriptions(tenant.id))
        for email, kind in (
            ("ada@acme.example", "standard-agent"),
            ("eve@acme.example", "standard-agent"),
        ):
            assign_license(client, tenant.id, email, f"{sub.id}:{kind}")
        bob = client.find_user(tenant.id, "bob@acme.example")
        assert bob is not None
        premium = bob.model_copy(update={"agent_profile": AgentProfile.PREMIUM})
        client.replace_user(tenant.id, bob.id, identity(premium))
        assign_license(client, tenant.id, "bob@acme.example", f"{sub.id}:premium-agent")
    capsys.readouterr()

    exporting = ["export", "--tenant", "acme-dev", "--stack", "copy", "--rules", "--json"]
    db = ["--backend-file", str(tmp_path / "backend.sqlite3")]
    code = main(["--stacks-dir", str(tmp_path), *exporting, *db])

    answer = json.loads(capsys.readouterr().out)
    assert code == 1  # with --json, nothing is written without --yes
    declared = answer["declaration"]
    assert declared["licenseRules"] == [
        {
            "name": "standard-agent-sub-1",
            "match": {"division": "EMEA"},
            "role": "agent",
            "agentProfile": "standard",
            "subscription": "SUB-1",
        }
    ]
    emails = [u["email"] for u in declared["users"]]
    assert "bob@acme.example" in emails and "ada@acme.example" not in emails
    assert (
        "the 1 people holding a premium agent license of SUB-1 share no attribute value or "
        "group that nobody else in the directory has: declared one by one"
    ) in answer["notes"]
    parse_tenant_spec(declared, date(2026, 6, 1))

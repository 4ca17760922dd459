"""`python -m ccprovider` promote, compare, export, report and load-usage, through `main`."""

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from ccprovider.backend import vendor_ids
from ccprovider.backend.http import AccessPolicy, Caller, Role
from ccprovider.backend.server import BackgroundServer
from ccprovider.backend.service import ProvisioningService
from ccprovider.backend.service.people import PersonChange
from ccprovider.backend.storage import open_store
from ccprovider.cli import main
from ccprovider.client import ProvisioningClient
from ccprovider.contract import ClockChange, TenantBody, UserBody
from ccprovider.domain import AgentProfile, RoleAndProfile, UsageRecord, UserRole
from ccprovider.spec import parse_tenant_spec
from ccprovider.stackfile import StackFile
from tests.helpers import assign_license, subscription_body, user_body
from tests.readme import cli_args, commands, snippet

DEV = """\
config:
  ccprovider:endpoint: ""   # the embedded backend
  ccprovider:tenant:
    name: acme-dev
    offer: flex3
    telephony: webex_calling
    subscriptions:
      - id: SUB-1
        department: customer-care
        licenseModel: named
        start: 2025-01-01
        termMonths: 60
        entitlements: {standardAgents: 10}
      - id: SUB-2
        department: workforce-planning
        licenseModel: named
        start: 2025-06-01
        termMonths: 36
        entitlements: {standardAgents: 15}
    users:
      - {email: admin1@acme.example, role: admin, subscription: SUB-2}
encryptionsalt: v1:dev-salt
"""

STAGING = """\
config:
  ccprovider:endpoint: http://staging.example:8080
  ccprovider:protect: true
  ccprovider:tenant:
    name: acme-staging   # staging's own tenant
    offer: flex3
    telephony: webex_calling
    adopt: true
    subscriptions:
      - id: SUB-1
        department: customer-care
        licenseModel: named
        start: 2025-01-01
        termMonths: 60
        entitlements: {standardAgents: 10}
    users:
      - {email: admin1@acme.example, role: admin, subscription: SUB-1}
encryptionsalt: v1:staging-salt
"""


@pytest.fixture
def stacks(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.dev.yaml").write_text(DEV)
    (tmp_path / "Pulumi.staging.yaml").write_text(STAGING)
    return tmp_path


def run(stacks: Path, *args: str) -> int:
    return main(["--stacks-dir", str(stacks), *args])


@contextmanager
def backend(db: Path) -> Iterator[ProvisioningClient]:
    """A client of an embedded backend on `db`, stopped afterwards."""
    server = BackgroundServer(db)
    try:
        yield ProvisioningClient(server.start())
    finally:
        server.stop()


def stored_agents(db: Path, tenant_id: str, count: int) -> None:
    """`count` standard agents on SUB-1 (agentN@big.example), written to the backend's
    database through its service layer: thousands in seconds, where the API would take a
    few requests each."""
    store = open_store(db)
    try:
        service = ProvisioningService(store)
        standard = vendor_ids.license_id(tenant_id, "CJPSTD", "SUB-1")
        agent = RoleAndProfile(role=UserRole.AGENT, agent_profile=AgentProfile.STANDARD)
        for n in range(count):
            change = PersonChange(f"agent{n}@big.example", agent, None, licenses=[standard])
            service.create_person(tenant_id, change)
    finally:
        store.close()


def stack_on(db: Path, directory: Path, text: str = DEV) -> None:
    """Stack dev in `directory`, declared by `text`, on the embedded backend at `db`."""
    (directory / "Pulumi.dev.yaml").write_text(text)
    stack = StackFile.load("dev", directory)
    stack.config["ccprovider:backendFile"] = str(db)
    stack.save()


def stack_with_tenant(directory: Path) -> str:
    """Stack dev in `directory` on an embedded backend there holding `make_tenant`'s
    tenant; its id."""
    db = directory / "backend.sqlite3"
    with backend(db) as client:
        tenant_id = make_tenant(client)
    stack_on(db, directory)
    return tenant_id


def test_promotion_copies_the_declaration_and_keeps_the_environments_own_values(
    stacks: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(stacks, "promote", "dev", "staging", "--yes") == 0

    out = capsys.readouterr().out
    assert "  added   SUB-2: {department: workforce-planning," in out
    assert "  changed admin1@acme.example: subscription: SUB-1 -> SUB-2" in out
    assert "acme-staging" not in out and "adopt" not in out, "environment keys do not change"
    assert "`scripts/deploy staging` shows the resource changes" in out
    promoted = (stacks / "Pulumi.staging.yaml").read_text()
    assert "name: acme-staging   # staging's own tenant" in promoted
    assert "adopt: true" in promoted
    assert "ccprovider:endpoint: http://staging.example:8080" in promoted
    assert "ccprovider:protect: true" in promoted
    assert "encryptionsalt: v1:staging-salt" in promoted
    assert "id: SUB-2" in promoted
    assert run(stacks, "compare", "dev", "staging") == 0


# A stack file as a person writes it: quoting, spacing, comments and layout that the
# commands must leave as they are outside `ccprovider:tenant` (staging's declaration).
HAND_WRITTEN_HEAD = """\
# staging: reviewed promotions only
config:
  ccprovider:endpoint: ""   # the embedded backend
  "ccprovider:backendFile":   'staging.sqlite3'
  ccprovider:token:
    secure: "v1:c2VjcmV0"

  # what staging declares, promoted from dev
"""
HAND_WRITTEN_TENANT = STAGING[STAGING.index("  ccprovider:tenant:") : STAGING.index("encryption")]
HAND_WRITTEN_TAIL = """\
  # protection: prod only
  ccprovider:protect:    false
  ccprovider:regions:
  - eu
  - us
encryptionsalt: "v1:staging-salt"
"""


def test_promotion_leaves_every_line_outside_the_declaration_as_it_was(stacks: Path) -> None:
    staging = stacks / "Pulumi.staging.yaml"
    staging.write_text(HAND_WRITTEN_HEAD + HAND_WRITTEN_TENANT + HAND_WRITTEN_TAIL)

    assert run(stacks, "promote", "dev", "staging", "--yes") == 0

    promoted = staging.read_text()
    assert promoted.startswith(HAND_WRITTEN_HEAD), promoted
    assert promoted.endswith(HAND_WRITTEN_TAIL), promoted
    assert StackFile.load("staging", stacks).tenant["subscriptions"][1]["id"] == "SUB-2"


@pytest.mark.parametrize(
    "tenant", [HAND_WRITTEN_TENANT, ""], ids=["replaced declaration", "no declaration yet"]
)
def test_export_leaves_every_line_outside_the_declaration_as_it_was(
    tmp_path: Path, tenant: str
) -> None:
    db = tmp_path / "backend.sqlite3"
    with backend(db) as client:
        make_tenant(client)
    staging = tmp_path / "Pulumi.staging.yaml"
    staging.write_text(HAND_WRITTEN_HEAD + tenant + HAND_WRITTEN_TAIL)
    args = ["export", "--tenant", "acme-dev", "--stack", "staging", "--backend-file", str(db)]

    assert run(tmp_path, *args, "--yes") == 0

    exported = staging.read_text()
    config_tail, salt = HAND_WRITTEN_TAIL.split("encryptionsalt")
    assert exported.startswith(HAND_WRITTEN_HEAD + ("" if tenant else config_tail)), exported
    assert exported.endswith(config_tail + "encryptionsalt" + salt if tenant else salt), exported
    assert StackFile.load("staging", tmp_path).tenant["name"] == "acme-dev"


def test_a_declaration_written_in_flow_style_is_promoted_whole(stacks: Path) -> None:
    staging = stacks / "Pulumi.staging.yaml"
    staging.write_text(
        'config: {ccprovider:endpoint: "", ccprovider:tenant: {name: acme-staging, offer: flex3,'
        " telephony: webex_calling}}\n"
    )

    assert run(stacks, "promote", "dev", "staging", "--yes") == 0

    promoted = StackFile.load("staging", stacks)
    assert promoted.config["ccprovider:endpoint"] == ""
    assert promoted.tenant["name"] == "acme-staging"
    assert [s["id"] for s in promoted.tenant["subscriptions"]] == ["SUB-1", "SUB-2"]


def test_each_environment_keeps_its_own_users_file(
    stacks: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(stacks.parent)
    for stack in ("dev", "staging"):
        (stacks.parent / f"users-{stack}.yaml").write_text("[]\n")
        stack_file = StackFile.load(stack, stacks)
        stack_file.tenant["usersFile"] = f"users-{stack}.yaml"
        stack_file.save()

    assert run(stacks, "promote", "dev", "staging", "--yes") == 0

    assert StackFile.load("staging", stacks).tenant["usersFile"] == "users-staging.yaml"


def test_promotion_without_confirmation_writes_nothing(
    stacks: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (stacks / "Pulumi.staging.yaml").read_text()

    code = run(stacks, "promote", "dev", "staging")

    assert code == 2
    assert "pass --yes to write" in capsys.readouterr().err
    assert (stacks / "Pulumi.staging.yaml").read_text() == before


def test_a_promotion_that_would_not_validate_is_refused(
    stacks: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = StackFile.load("dev", stacks)
    source.tenant["subscriptions"][1]["licenseModel"] = "concurrent"
    source.save()
    before = (stacks / "Pulumi.staging.yaml").read_text()

    code = run(stacks, "promote", "dev", "staging", "--yes")

    assert code == 2
    err = capsys.readouterr().err
    assert "refusing to promote dev to staging" in err
    assert "subscriptions[1].licenseModel" in err
    assert (stacks / "Pulumi.staging.yaml").read_text() == before


def test_kept_keys_stay_with_the_target(stacks: Path) -> None:
    assert run(stacks, "promote", "dev", "staging", "--keep", "users", "--yes") == 0

    staging = StackFile.load("staging", stacks)
    assert staging.tenant["users"][0]["subscription"] == "SUB-1"
    assert [s["id"] for s in staging.tenant["subscriptions"]] == ["SUB-1", "SUB-2"]


def test_compare_shows_the_difference_and_exits_1(
    stacks: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = {p.name: p.read_text() for p in stacks.iterdir()}

    code = run(stacks, "compare", "dev", "staging")

    assert code == 1
    out = capsys.readouterr().out
    assert "+++" in out
    assert "SUB-2" in out
    assert "acme-staging" not in out, "environment keys are not compared"
    assert {p.name: p.read_text() for p in stacks.iterdir()} == before


AGENT = "role: agent, agentProfile: standard, subscription: SUB-1"


def with_people(text: str, users: list[str], partners: list[str]) -> str:
    """A stack file's text whose users and partners are the flow mappings given."""
    people = ["    users:", *[f"      - {{{u}}}" for u in users]]
    people += ["    partners:", *[f"      - {{{p}}}" for p in partners]]
    start, end = text.index("    users:"), text.index("encryptionsalt")
    return text[:start] + "\n".join(people) + "\n" + text[end:]


def test_promote_and_compare_match_list_items_by_their_key(
    stacks: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Staging removes agent4 where dev has agent5 in the same place: by position that
    reads as a change of e-mail address; by key it is one user removed and one added."""
    dev = with_people(
        DEV,
        [
            "email: admin1@acme.example, role: admin, subscription: SUB-2",
            f"email: agent5@acme.example, {AGENT}",
        ],
        ["org: partner-a, access: full_admin"],
    )
    staging = with_people(
        STAGING.replace("termMonths: 60", "termMonths: 48"),
        [
            "email: admin1@acme.example, role: admin, subscription: SUB-1",
            f"email: agent4@acme.example, {AGENT}",
        ],
        ["org: partner-b, access: read_only", "org: partner-a, access: read_only"],
    )
    (stacks / "Pulumi.dev.yaml").write_text(dev)
    (stacks / "Pulumi.staging.yaml").write_text(staging)

    assert run(stacks, "compare", "dev", "staging") == 1
    compared = capsys.readouterr().out
    assert run(stacks, "promote", "dev", "staging", "--yes") == 0

    promoted = capsys.readouterr().out.splitlines()
    assert promoted[2:-1] == [
        "subscriptions:",
        "  changed SUB-1: termMonths: 48 -> 60",
        "  added   SUB-2: {department: workforce-planning, licenseModel: named, "
        "start: 2025-06-01, termMonths: 36, entitlements: {standardAgents: 15}}",
        "users:",
        "  changed admin1@acme.example: subscription: SUB-1 -> SUB-2",
        f"  removed agent4@acme.example: {{{AGENT}}}",
        f"  added   agent5@acme.example: {{{AGENT}}}",
        "partners:",
        "  removed partner-b: {access: read_only}",
        "  changed partner-a: access: read_only -> full_admin",
    ]
    for line in (
        "  changed SUB-1: termMonths: 60 -> 48",
        "  removed SUB-2: {department: workforce-planning, licenseModel: named, "
        "start: 2025-06-01, termMonths: 36, entitlements: {standardAgents: 15}}",
        "  changed admin1@acme.example: subscription: SUB-2 -> SUB-1",
        f"  removed agent5@acme.example: {{{AGENT}}}",
        f"  added   agent4@acme.example: {{{AGENT}}}",
        "  changed partner-a: access: full_admin -> read_only",
        "  added   partner-b: {access: read_only}",
    ):
        assert line in compared.splitlines(), compared


def test_promote_and_compare_carry_license_rules_by_name(
    stacks: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Dev points its EMEA rule at SUB-2 and adds a night-shift rule before it: by name,
    one rule changed and one added, not two rules changed in place."""
    emea = "{name: emea, match: {division: EMEA}, role: agent, agentProfile: standard, "
    night = "{name: night, match: {group: Night}, role: agent, agentProfile: premium, "
    users = "    users:\n"
    (stacks / "Pulumi.dev.yaml").write_text(
        DEV.replace(
            users,
            f"    licenseRules:\n      - {night}subscription: SUB-2}}\n"
            f"      - {emea}subscription: SUB-2}}\n{users}",
        )
    )
    (stacks / "Pulumi.staging.yaml").write_text(
        STAGING.replace(users, f"    licenseRules:\n      - {emea}subscription: SUB-1}}\n{users}")
    )

    assert run(stacks, "compare", "staging", "dev") == 1
    compared = capsys.readouterr().out.splitlines()
    assert run(stacks, "promote", "dev", "staging", "--yes") == 0

    assert compared[compared.index("licenseRules:") + 1 :][:2] == [
        "  changed emea: subscription: SUB-1 -> SUB-2",
        "  added   night: {role: agent, agentProfile: premium, match: {group: Night}, "
        "subscription: SUB-2}",
    ]
    promoted = StackFile.load("staging", stacks).tenant["licenseRules"]
    assert [(r["name"], r["subscription"]) for r in promoted] == [
        ("night", "SUB-2"),
        ("emea", "SUB-2"),
    ]


def test_promote_prints_the_readme_diff(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Dev gives SUB-1 a longer term and more agents, maps admin1 to SUB-2 and has agent5
    where staging has agent4: `promote`, run beside `stacks/`, prints the README's diff."""
    (tmp_path / "stacks").mkdir()
    partners = ["org: partner-a, access: read_only"]
    dev = with_people(
        DEV.replace("{standardAgents: 10}", "{standardAgents: 12}"),
        [
            "email: admin1@acme.example, role: admin, subscription: SUB-2",
            f"email: agent5@acme.example, {AGENT}",
        ],
        partners,
    )
    staging = with_people(
        DEV.replace("name: acme-dev", "name: acme-staging").replace(
            "termMonths: 60", "termMonths: 48"
        ),
        [
            "email: admin1@acme.example, role: admin, subscription: SUB-1",
            f"email: agent4@acme.example, {AGENT}",
        ],
        partners,
    )
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text(dev)
    (tmp_path / "stacks" / "Pulumi.staging.yaml").write_text(staging)
    monkeypatch.chdir(tmp_path)

    assert main(["promote", "dev", "staging", "--yes"]) == 0

    printed = capsys.readouterr().out
    assert printed.startswith(snippet("promotion-diff")), printed


def test_compare_names_unkeyed_and_repeated_items_by_their_place(
    stacks: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A declaration that does not validate is compared as written."""
    admin = "email: admin1@acme.example, role: admin, subscription: SUB-1"
    (stacks / "Pulumi.staging.yaml").write_text(
        with_people(STAGING, [admin, admin, AGENT], ["org: partner-a, access: read_only"])
    )

    assert run(stacks, "compare", "dev", "staging") == 1

    out = capsys.readouterr().out.splitlines()
    assert out[out.index("users:") + 1 :] == [
        "  changed admin1@acme.example: subscription: SUB-2 -> SUB-1",
        "  added   admin1@acme.example [1]: {role: admin, subscription: SUB-1}",
        f"  added   [2]: {{{AGENT}}}",
        "partners:",
        "  added   partner-a: {access: read_only}",
    ]


def test_compare_says_which_tenants_two_stacks_declare(
    stacks: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(stacks, "promote", "dev", "staging", "--yes") == 0
    (stacks / "Pulumi.copy.yaml").write_text(DEV.replace("v1:dev-salt", "v1:copy-salt"))
    capsys.readouterr()

    assert run(stacks, "compare", "dev", "staging") == 0
    assert run(stacks, "compare", "dev", "copy") == 0
    assert run(stacks, "compare", "dev", "staging", "--keep", "users", "--json") == 0

    out = capsys.readouterr().out
    different, same, answer = out.split("\n", 2)
    assert different == (
        "dev and staging declare different tenants, acme-dev and acme-staging, alike but for "
        "the keys each environment keeps (name, adopt, takeOver, usersFile)"
    )
    assert same == "dev and copy declare the same tenant, acme-dev"
    assert json.loads(answer)["tenants"] == ["acme-dev", "acme-staging"]


def test_compare_shows_no_key_that_neither_stack_declares(
    stacks: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Neither stack gives a user a team or an agent profile, nor a subscription a purchase
    order: the comparison does not list them empty."""
    assert run(stacks, "compare", "dev", "staging") == 1

    out = capsys.readouterr().out
    for absent in ("team", "agentProfile", "purchaseOrder", "null"):
        assert absent not in out, out


def test_an_unknown_stack_is_a_clear_error(
    stacks: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(stacks, "compare", "dev", "qa") == 2
    assert "stack 'qa' has no config file" in capsys.readouterr().err


def make_tenant(client: ProvisioningClient) -> str:
    tenant = client.create_tenant(TenantBody(name="acme-dev", offer="flex3"))
    sub = client.create_subscription(
        tenant.id,
        subscription_body("SUB-1", entitlements={"standard_agents": 10, "wfo": 5}),
    )
    for body in (user_body("admin1@acme.example", role="admin"), user_body("agent1@acme.example")):
        client.create_user(tenant.id, body)
    kind = {"admin1@acme.example": "admin", "agent1@acme.example": "standard-agent"}
    for email, license_kind in kind.items():
        assign_license(client, tenant.id, email, f"{sub.id}:{license_kind}")
    client.create_user(tenant.id, user_body("unmapped@acme.example"))
    return tenant.id


def test_export_writes_an_adopting_declaration_that_validates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "backend.sqlite3"
    with backend(db) as client:
        make_tenant(client)

    code = main(
        [
            "--stacks-dir",
            str(tmp_path),
            "export",
            "--tenant",
            "acme-dev",
            "--stack",
            "restored",
            "--backend-file",
            str(db),
        ]
    )

    assert code == 0
    err = capsys.readouterr().err
    assert "unmapped@acme.example holds no contact-center license: not declared" in err
    restored = StackFile.load("restored", tmp_path).tenant
    assert restored["adopt"] is True
    assert restored["subscriptions"][0]["entitlements"] == {"standardAgents": 10, "wfo": 5}
    assert [u["email"] for u in restored["users"]] == ["admin1@acme.example", "agent1@acme.example"]


def test_export_of_a_large_tenant_writes_its_users_to_a_users_file_with_their_teams(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "backend.sqlite3"
    with backend(db) as client:
        tenant_id = make_tenant(client)
        agent = client.find_user(tenant_id, "agent1@acme.example")
        assert agent is not None
        marked = UserBody(**{**user_body(agent.email).model_dump(), "external_id": "p/s#team:care"})
        client.replace_user(tenant_id, agent.id, marked)
    monkeypatch.chdir(tmp_path)
    args = ["--stacks-dir", str(tmp_path), "export", "--tenant", "acme-dev", "--stack", "big"]

    code = main([*args, "--backend-file", str(db), "--users-file", "users/big.yaml"])

    assert code == 0
    declared = StackFile.load("big", tmp_path).tenant
    assert "users" not in declared
    assert declared["usersFile"] == "users/big.yaml"
    spec = parse_tenant_spec(declared, date.today(), tmp_path)
    assert [(u.email, u.team) for u in spec.users] == [
        ("admin1@acme.example", None),
        ("agent1@acme.example", "care"),
    ]


def test_export_of_thousands_of_users_shows_its_progress(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "backend.sqlite3"
    with backend(db) as client:
        tenant_id = make_tenant(client)  # two users
    stored_agents(db, tenant_id, 2100)
    args = ["--stacks-dir", str(tmp_path), "export", "--tenant", "acme-dev", "--stack", "big"]

    assert main([*args, "--backend-file", str(db)]) == 0

    err = capsys.readouterr().err.splitlines()
    assert [line for line in err if "users" in line] == ["  read 1,000 users", "  read 2,000 users"]
    assert len(StackFile.load("big", tmp_path).tenant["users"]) == 2102


def test_report_and_load_usage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's usage file, loaded and reported by the README's commands, run from the
    directory that holds `stacks/`."""
    (tmp_path / "stacks").mkdir()
    stack_with_tenant(tmp_path / "stacks")
    monkeypatch.chdir(tmp_path)
    load, report, report_json = commands("billing-report")
    Path(load[-1]).write_text(snippet("usage-file"))

    assert [main(cli_args(command)) for command in (load, report)] == [0, 0]
    out = capsys.readouterr().out
    assert main(cli_args(report_json)) == 0
    answer = json.loads(capsys.readouterr().out)

    assert "loaded 2 usage record(s) into tenant acme-dev: 2 new" in out
    assert "primary subscription: SUB-1" in out
    assert "standard_agent  1     10      0        SUB-1" in out
    assert "ivr_port        14    0       14       SUB-1" in out  # tenant-level: the primary's
    [subscription] = answer["subscriptions"]
    assert subscription["usage"] == {"standard_agent": 1, "ivr_port": 14}


def test_loading_usage_again_or_corrected_never_counts_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tenant_id = stack_with_tenant(tmp_path)
    usage = tmp_path / "usage.csv"
    first = (
        "day,usage_type,quantity,email\n2026-05-04,ivr_port,31,\n2026-05-04,wfo,7,a@acme.example\n"
    )
    corrected = "day,usage_type,quantity,email\n2026-05-04,ivr_port,29,\n2026-05-05,ivr_port,3,\n"

    usage.write_text(first)
    assert run(tmp_path, "load-usage", "--stack", "dev", str(usage)) == 0
    assert run(tmp_path, "load-usage", "--stack", "dev", str(usage)) == 0
    twice = stored_usage(tmp_path / "backend.sqlite3", tenant_id)
    usage.write_text(corrected)
    assert run(tmp_path, "load-usage", "--stack", "dev", str(usage)) == 0

    out = capsys.readouterr().out.splitlines()
    assert out[1] == (
        "loaded 2 usage record(s) into tenant acme-dev: 0 new, 2 replacing the record stored "
        "for the same day, usage type and user"
    )
    assert out[2].endswith(
        ": 1 new, 1 replacing the record stored for the same day, usage type and user"
    )
    assert twice == {
        ("2026-05-04", "ivr_port", None): 31,
        ("2026-05-04", "wfo", "a@acme.example"): 7,
    }
    assert stored_usage(tmp_path / "backend.sqlite3", tenant_id) == {
        ("2026-05-04", "ivr_port", None): 29,
        ("2026-05-04", "wfo", "a@acme.example"): 7,
        ("2026-05-05", "ivr_port", None): 3,
    }


def stored_usage(db: Path, tenant_id: str) -> dict[tuple[str, str, str | None], int]:
    """The usage records the backend holds for May 2026, by day, type and user."""
    with backend(db) as client:
        return {
            (r.day.isoformat(), r.usage_type.value, r.email): r.quantity
            for r in client.list_usage(tenant_id, "2026-05")
        }


def test_a_repeated_usage_line_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "Pulumi.dev.yaml").write_text(DEV)
    usage = tmp_path / "usage.csv"
    usage.write_text(
        "day,usage_type,quantity,email\n"
        "2026-05-04,wfo,1,a@acme.example\n"
        "2026-05-05,wfo,1,a@acme.example\n"
        "2026-05-04,wfo,1,A@acme.example\n"
    )

    assert run(tmp_path, "load-usage", "--stack", "dev", str(usage)) == 2
    assert "usage.csv, line 4: repeats the day, usage type and user of line 2" in (
        capsys.readouterr().err
    )


def test_a_bad_usage_line_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "Pulumi.dev.yaml").write_text(DEV)
    usage = tmp_path / "usage.csv"
    usage.write_text("day,usage_type,quantity\n2026-05-04,standard_agent,-3\n")

    assert run(tmp_path, "load-usage", "--stack", "dev", str(usage)) == 2
    assert "usage.csv, line 2: quantity: -3 is negative: use 0 or more." in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "day,usage_type,quantity,email\n2026-05-04,wfo,1,caf\xe9@acme.example\n".encode(
                "latin-1"
            ),
            "usage.csv, line 2: not UTF-8 text (byte 0xe9); save the file as UTF-8",
        ),
        (
            f"day,usage_type,quantity,email\n2026-05-04,wfo,1,{'x' * 140_000}\n".encode(),
            "usage.csv, after line 1: not CSV as usage records are: field larger than field limit",
        ),
        (
            b"day,usage_type,quantity,email\n2026-05-04,wfo,1,a@acme.example,extra\n",
            "usage.csv, line 2: more fields than the 4 columns of the first line",
        ),
        (
            b"day,usage_type,qty\n2026-05-04,wfo,1\n",
            "usage.csv: missing column(s) quantity; unknown column(s) qty; the first line names "
            "the columns day,usage_type,quantity,email",
        ),
        (
            f"day,usage_type,quantity,email\n2026-05-04,wfo,1,{'y' * 100_000}\n".encode(),
            "usage.csv, line 2: email: String should have at most 254 characters",
        ),
    ],
    ids=["latin-1", "huge field", "extra field", "unknown column", "huge e-mail"],
)
def test_a_usage_file_that_cannot_be_read_is_one_short_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, expected: str
) -> None:
    (tmp_path / "Pulumi.dev.yaml").write_text(DEV)
    usage = tmp_path / "usage.csv"
    usage.write_bytes(content)

    assert run(tmp_path, "load-usage", "--stack", "dev", str(usage)) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert expected in line, line
    assert len(line) < 400


def test_a_directory_given_as_the_usage_file_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Pulumi.dev.yaml").write_text(DEV)

    assert run(tmp_path, "load-usage", "--stack", "dev", str(tmp_path)) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.endswith(f"{tmp_path}: cannot be read: Is a directory"), line


def test_usage_dated_outside_every_subscriptions_term_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """SUB-1 starts on 2025-01-01: usage of 2001 would be charged to no one."""
    tenant_id = stack_with_tenant(tmp_path)
    usage = tmp_path / "usage.csv"
    usage.write_text(
        "day,usage_type,quantity,email\n"
        "2026-05-04,standard_agent,2,agent1@acme.example\n"
        "2001-01-01,standard_agent,9,agent1@acme.example\n"
    )

    assert run(tmp_path, "load-usage", "--stack", "dev", str(usage)) == 2

    [line] = capsys.readouterr().err.splitlines()
    assert "records.1 (2001-01-01, standard_agent, agent1@acme.example) is dated outside" in line
    assert "Fix: correct its day" in line
    assert stored_usage(tmp_path / "backend.sqlite3", tenant_id) == {}


def test_a_usage_file_saved_by_a_spreadsheet_with_a_byte_order_mark_loads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack_with_tenant(tmp_path)
    usage = tmp_path / "usage.csv"
    usage.write_bytes(b"\xef\xbb\xbfday,usage_type,quantity,email\n2026-05-04,wfo,7,\n")

    assert run(tmp_path, "load-usage", "--stack", "dev", str(usage)) == 0
    assert "loaded 1 usage record(s)" in capsys.readouterr().out


@pytest.mark.parametrize("period", ["May 2026", "2026-5", "1999-01"])
def test_a_report_period_is_checked_before_any_request(
    stacks: Path, capsys: pytest.CaptureFixture[str], period: str
) -> None:
    """Staging points at an endpoint no one serves: a request would fail differently."""
    assert run(stacks, "report", "--stack", "staging", "--period", period) == 2

    assert f"'{period}' is not a month: use YYYY-MM, for example 2026-05" in capsys.readouterr().err


@pytest.fixture
def guarded_stack(tmp_path: Path) -> Iterator[Path]:
    """Stack dev of acme-dev behind a server that takes the token `stack-token` only."""
    server = BackgroundServer(
        tmp_path / "backend.sqlite3",
        policy=AccessPolicy({"stack-token": Caller(Role.CUSTOMER_ADMIN)}),
    )
    url = server.start()
    make_tenant(ProvisioningClient(url, token="stack-token"))
    (tmp_path / "Pulumi.dev.yaml").write_text(DEV)
    stack = StackFile.load("dev", tmp_path)
    stack.config["ccprovider:endpoint"] = url
    stack.save()
    yield tmp_path
    server.stop()


def test_commands_use_the_stacks_own_token(
    guarded_stack: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CCPROVIDER_TOKEN", raising=False)
    stack = StackFile.load("dev", guarded_stack)
    stack.config["ccprovider:token"] = "stack-token"
    stack.save()

    assert run(guarded_stack, "report", "--stack", "dev", "--period", "2026-05") == 0
    assert "primary subscription: SUB-1" in capsys.readouterr().out


def test_a_refused_token_names_the_config_key_to_fix(
    guarded_stack: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CCPROVIDER_TOKEN", "stale-token")  # overrides the stack's

    assert run(guarded_stack, "report", "--stack", "dev", "--period", "2026-05") == 2

    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("error: GET ")
    assert line.endswith(
        "Fix: set the token the backend expects as the stack's secret (`pulumi config set "
        "--secret ccprovider:token <token> --stack dev`), or in CCPROVIDER_TOKEN for this command"
    )


FORECAST_DECLARATION = """\
config:
  ccprovider:tenant:
    name: acme-dev
    offer: flex3
    telephony: webex_calling
    subscriptions:
      - id: SUB-1
        department: customer-care
        licenseModel: named
        start: 2025-01-01
        termMonths: 36
        entitlements: {standardAgents: 8, wfo: 5}
      - id: SUB-2
        department: workforce-planning
        licenseModel: named
        start: 2026-01-01
        termMonths: 12
        entitlements: {standardAgents: 1, wfo: 4}
    users:
      - {email: admin1@acme.example, role: admin, subscription: SUB-1}
      - {email: agent1@acme.example, role: agent, agentProfile: standard, subscription: SUB-2}
"""


def test_forecast_projects_the_last_months_usage_on_the_declared_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's forecasts, of the last month with usage and of --period, run from the
    directory that holds `stacks/`."""
    db = tmp_path / "backend.sqlite3"
    with backend(db) as client:
        client.change_clock(ClockChange(now=datetime(2026, 6, 1, 12, tzinfo=UTC)))
        tenant_id = make_tenant(client)  # SUB-1: 10 agents and 5 WFO, both users on it
        client.add_usage(
            tenant_id,
            [
                UsageRecord(day=date(2026, 5, 4), usage_type="standard_agent", quantity=12),
                UsageRecord(
                    day=date(2026, 5, 4), usage_type="wfo", quantity=7, email="agent1@acme.example"
                ),
            ],
        )
    (tmp_path / "stacks").mkdir()
    stack_on(db, tmp_path / "stacks", FORECAST_DECLARATION)
    monkeypatch.chdir(tmp_path)
    last_month, period_in_json = commands("forecast")

    assert main(cli_args(period_in_json)) == 1  # more overage
    assert main(cli_args(last_month)) == 1

    out = capsys.readouterr().out
    projected = json.loads(out[: out.index("\nForecast") + 1])
    # Agents: 12 used against 10 now (2 over), against 8 + 1 after (3 over), on the primary.
    # WFO: 7 used against 5 now (2 over), against 5 + 4 after (none), on SUB-1, which has
    # had it longest.
    assert projected == {
        "tenant": "acme-dev",
        "today": "2026-06-01",
        "usagePeriod": "2026-05",
        "primary": {"now": "SUB-1", "after": "SUB-1"},
        "usageTypes": [
            {
                "usageType": "standard_agent",
                "pooled": {"now": 10, "after": 9},
                "overage": {"now": 2, "after": 3},
                "chargedTo": {"now": "SUB-1", "after": "SUB-1"},
            },
            {
                "usageType": "wfo",
                "pooled": {"now": 5, "after": 9},
                "overage": {"now": 2, "after": 0},
                "chargedTo": {"now": "SUB-1", "after": "SUB-1"},
            },
        ],
        "events": [
            {
                "day": "2027-01-01",
                "event": "SUB-2 ends; 1 user(s) lose access unless remapped",
                "users": ["agent1@acme.example"],
            }
        ],
        "overageIncreases": True,
    }
    assert "standard_agent  10          9             2            3" in out
    assert (
        "2027-01-01  SUB-2 ends; 1 user(s) lose access unless remapped: agent1@acme.example" in out
    )
    assert "The change increases the projected overage." in out


# The command-line tool: JSON for pipelines, the console script, pipes and completion


def test_compare_and_promote_answer_in_json(
    stacks: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (stacks / "Pulumi.staging.yaml").read_text()

    def answer(*args: str) -> tuple[int, dict[str, Any]]:
        code = run(stacks, *args, "--json")
        return code, json.loads(capsys.readouterr().out)

    compared = answer("compare", "dev", "staging")
    asked = answer("promote", "dev", "staging")  # without --yes: nothing written
    unchanged = (stacks / "Pulumi.staging.yaml").read_text()
    promoted = answer("promote", "dev", "staging", "--yes")

    assert compared[0] == 1 and compared[1]["same"] is False and "SUB-2" in compared[1]["diff"]
    assert (asked[0], asked[1]["written"], unchanged) == (1, False, before)
    assert (promoted[0], promoted[1]["written"]) == (0, True)
    assert promoted[1]["diff"] == asked[1]["diff"] != ""
    assert "SUB-2" in (stacks / "Pulumi.staging.yaml").read_text()


def test_export_in_json_writes_only_with_yes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With --json there is no one to ask: without --yes nothing reaches the stacks
    directory, not even a new stack's file or its users file."""
    db = tmp_path / "backend.sqlite3"
    with backend(db) as client:
        make_tenant(client)
    stacks = tmp_path / "stacks"
    args = ["--stacks-dir", str(stacks), "export", "--tenant", "acme-dev", "--stack", "copy"]
    args += ["--backend-file", str(db), "--users-file", str(tmp_path / "users.yaml"), "--json"]

    asked = main(args)
    answer = json.loads(capsys.readouterr().out)
    # The backend's database and SQLite's files beside it (`-wal`, `-shm`) are not export's.
    written_without_yes = sorted(
        p.name for p in tmp_path.rglob("*") if not p.name.startswith(db.name)
    )
    confirmed = main([*args, "--yes"])

    assert (asked, answer["written"], answer["changed"]) == (1, False, True)
    assert written_without_yes == []
    exported = json.loads(capsys.readouterr().out)
    assert (confirmed, exported["written"]) == (0, True)
    assert exported["declaration"]["subscriptions"][0]["start"] == "2025-01-01"
    assert [u["email"] for u in exported["declaration"]["users"]] == [
        "admin1@acme.example",
        "agent1@acme.example",
    ]
    assert StackFile.load("copy", stacks).tenant["name"] == "acme-dev"
    assert (tmp_path / "users.yaml").exists()


def console_script(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the installed `ccprovider` command, as a user's shell does."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "ccprovider"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_console_script_lists_its_commands_and_completes_in_bash(stacks: Path) -> None:
    helped = console_script("--help", cwd=stacks)
    completion = console_script("--show-completion", "bash", cwd=stacks)

    assert helped.returncode == 0
    for command in ("promote", "compare", "export", "report", "forecast", "load-usage"):
        assert f"  {command} " in helped.stdout
    assert "Exit codes: 0 done" in " ".join(helped.stdout.split())
    assert completion.returncode == 0
    assert "_CCPROVIDER_COMPLETE=complete_bash" in completion.stdout


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path: Path) -> None:
    db = tmp_path / "backend.sqlite3"
    with backend(db) as client:
        tenant_id = make_tenant(client)
    stored_agents(db, tenant_id, 1000)
    script = Path(sys.executable).parent / "ccprovider"
    export = f"{script} export --tenant acme-dev --stack big --backend-file {db} --json"

    piped = subprocess.run(
        ["bash", "-c", f'{export} | true; echo "status ${{PIPESTATUS[0]}}"'],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    # `true` reads nothing and goes: past the pipe's 64 KiB, the export writes to no one.
    assert piped.stdout.strip() == "status 141"
    assert "Traceback" not in piped.stderr and "Error" not in piped.stderr

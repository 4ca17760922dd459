"""The stack's tenant declaration: validated whole against its schema and the vendor's
rules, every error naming its config path and the fix."""

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from ccprovider.contact_center import leaving_notice, leaving_users
from ccprovider.domain import Offer, Telephony
from ccprovider.spec import SpecError, expiring_users, parse_tenant_spec
from tests.helpers import alias_bomb, declaration
from tests.readme import snippet

TODAY = date(2026, 6, 1)


def problems(raw: Any, root: Path = Path()) -> list[str]:
    with pytest.raises(SpecError) as raised:
        parse_tenant_spec(raw, TODAY, root)
    return raised.value.problems


def test_a_valid_declaration_is_normalized_with_tenant_defaults() -> None:
    spec = parse_tenant_spec(declaration(name=" acme-dev "), TODAY)

    assert (spec.name, spec.offer, spec.remap_warning_days) == ("acme-dev", Offer.FLEX3, 30)
    terms = spec.terms(spec.subscriptions[1])
    assert (terms.offer, terms.telephony) == (Offer.FLEX3, Telephony.WEBEX_CALLING)
    assert terms.start == date(2025, 6, 1), "Pulumi's timestamp spelling of a YAML date"


def test_the_readme_declaration_is_valid_as_written() -> None:
    config = yaml.safe_load(snippet("tenant-declaration"))["config"]

    spec = parse_tenant_spec(config["ccprovider:tenant"], TODAY)

    assert config["ccprovider:endpoint"] == ""  # the embedded backend
    assert (spec.name, spec.offer, spec.telephony) == ("acme-dev", Offer.FLEX3, "webex_calling")
    assert [s.external_id for s in spec.subscriptions] == ["SUB-CORE-001"]
    assert [u.email for u in spec.users] == ["admin1@acme.example", "agent1@acme.example"]
    assert [p.org for p in spec.partners] == ["partner-a", "partner-b"]


def test_schema_errors_name_their_paths() -> None:
    raw = declaration(offer="flex4", hybird=True)
    raw["subscriptions"][1]["termMonths"] = 0

    found = problems(raw)

    assert "ccprovider:tenant.offer: Input should be 'flex' or 'flex3'" in found
    assert (
        "ccprovider:tenant.hybird: unknown key 'hybird'. Did you mean hybrid? Valid keys here: "
        "name, offer, hybrid, telephony, remapWarningDays, adopt, takeOver, deleteUsers, "
        "subscriptions, users, usersFile, partners, licenseRules."
    ) in found
    assert any(p.startswith("ccprovider:tenant.subscriptions[1].termMonths:") for p in found)


def test_an_agent_without_a_profile_is_named() -> None:
    raw = declaration()
    del raw["users"][1]["agentProfile"]

    assert problems(raw) == [
        "ccprovider:tenant.users[1] (agent1@acme.example): an agent needs agentProfile: "
        "standard or premium"
    ]


def test_a_telephony_mismatch_names_both_subscriptions_options_and_vendor_support() -> None:
    raw = declaration()
    raw["subscriptions"][0]["telephony"] = "webex_calling"
    raw["subscriptions"][1]["telephony"] = "vpop"

    [problem] = problems(raw)

    assert problem.startswith("ccprovider:tenant.subscriptions[1].telephony: ")
    assert "SUB-2 uses telephony vpop" in problem
    assert "option is webex_calling (as on SUB-1)" in problem
    assert "vendor support" in problem


def test_mixed_license_models_are_refused() -> None:
    raw = declaration()
    raw["subscriptions"][1]["licenseModel"] = "concurrent"

    [problem] = problems(raw)

    assert problem.startswith("ccprovider:tenant.subscriptions[1].licenseModel: ")
    assert "SUB-2 is concurrent" in problem


def test_users_on_removed_or_expired_subscriptions_are_listed_with_where_to_go() -> None:
    raw = declaration()
    raw["subscriptions"][0]["termMonths"] = 12  # SUB-1 ended on 2026-01-01
    raw["users"][1]["subscription"] = "SUB-GONE"

    found = problems(raw)

    assert found == [
        "ccprovider:tenant.users[0].subscription: admin1@acme.example on SUB-1 (expired on "
        "2026-01-01); can move to: SUB-2. Fix: map the user to an active subscription before "
        "the old one goes.",
        "ccprovider:tenant.users[1].subscription (agent1@acme.example): 'SUB-GONE' is not a "
        "subscription this tenant declares. Fix: map the user to one of its active "
        "subscriptions (SUB-2).",
    ]


def test_a_second_partner_needs_a_declared_customer_admins_approval_for_full_admin() -> None:
    unapproved = declaration()
    unapproved["partners"][1]["access"] = "full_admin"
    stranger = declaration()
    stranger["partners"][1] |= {"access": "full_admin", "approvedBy": "agent1@acme.example"}
    approved = declaration()
    approved["partners"][1] |= {"access": "full_admin", "approvedBy": "admin1@acme.example"}

    [missing] = problems(unapproved)
    [not_admin] = problems(stranger)

    assert missing.startswith("ccprovider:tenant.partners[1].approvedBy: ")
    assert "none is recorded" in missing
    assert "'agent1@acme.example' is not a customer admin" in not_admin
    assert parse_tenant_spec(approved, TODAY).partners[1].approved_by == "admin1@acme.example"


def test_duplicates_are_refused_naming_both_entries() -> None:
    raw = declaration()
    raw["users"].append(dict(raw["users"][0]))

    assert problems(raw) == [
        "ccprovider:tenant.users[0].email: 'admin1@acme.example' is declared twice, again at "
        "ccprovider:tenant.users[2].email. Fix: declare it once."
    ]


def test_a_date_asks_for_its_format() -> None:
    raw = declaration()
    raw["subscriptions"][0]["start"] = "01/02/2025"

    assert problems(raw) == [
        "ccprovider:tenant.subscriptions[0].start: '01/02/2025' is not a date: use YYYY-MM-DD, "
        "for example 2025-01-31."
    ]


def test_an_invalid_email_says_what_an_email_is_not_a_regex() -> None:
    raw = declaration()
    raw["users"][1]["email"] = "agent1 at acme"

    [problem] = problems(raw)

    assert problem == (
        "ccprovider:tenant.users[1].email: 'agent1 at acme' is not an e-mail address such as "
        "name@example.com (an email address must have an @-sign)"
    )


def test_an_unknown_nested_key_suggests_the_close_one() -> None:
    raw = declaration()
    raw["subscriptions"][1]["termMonth"] = raw["subscriptions"][1].pop("termMonths")

    found = problems(raw)

    assert any(
        p.startswith(
            "ccprovider:tenant.subscriptions[1].termMonth: unknown key 'termMonth'. "
            "Did you mean termMonths? Valid keys here: id, department, licenseModel, start, "
        )
        for p in found
    ), found


def test_a_users_entry_is_named_by_its_email_too() -> None:
    raw = declaration()
    raw["users"][1]["role"] = "boss"

    [problem] = problems(raw)

    assert problem.startswith("ccprovider:tenant.users[1].role (agent1@acme.example): ")


def test_users_on_subscriptions_ending_soon_are_reported() -> None:
    raw = declaration()
    raw["subscriptions"][0] |= {"start": "2023-07-01", "termMonths": 36}  # ends 2026-07-01

    spec = parse_tenant_spec(raw, TODAY)

    [need] = expiring_users(spec, TODAY)
    assert (need.email, need.subscription, need.candidates) == (
        "admin1@acme.example",
        "SUB-1",
        ("SUB-2",),
    )


def test_a_declaration_that_is_not_an_object_is_refused() -> None:
    assert problems(["acme-dev"]) == [
        "ccprovider:tenant must be an object (name, offer, telephony, ...) of at most 12 levels "
        "of lists and mappings"
    ]


def test_a_team_is_named_like_an_organisation_and_users_keep_their_rules() -> None:
    tenant = declaration()
    tenant["users"][0]["team"] = "Care Team"
    tenant["users"][1]["team"] = "care"

    with pytest.raises(SpecError) as error:
        parse_tenant_spec(tenant, TODAY)

    assert "ccprovider:tenant.users[0].team" in str(error.value)
    assert "users[1]" not in str(error.value)


def test_users_from_a_users_file_follow_the_inline_ones_and_errors_name_the_file(
    tmp_path: Path,
) -> None:
    named = yaml.safe_load(snippet("users-file"))["ccprovider:tenant"]  # name and usersFile
    users_file = tmp_path / named["usersFile"]
    users_file.parent.mkdir()
    users_file.write_text(
        "- {email: agent2@acme.example, role: agent, agentProfile: standard, subscription: SUB-1}\n"
        "- {email: agent3@acme.example, role: agent, subscription: SUB-1}\n"
    )
    tenant = declaration(**named)

    with pytest.raises(SpecError) as error:
        parse_tenant_spec(tenant, TODAY, tmp_path)

    assert error.value.problems == [
        "users/prod.yaml[1] (agent3@acme.example): an agent needs agentProfile: standard or premium"
    ]
    users_file.write_text(
        "- {email: agent2@acme.example, role: agent, agentProfile: standard, subscription: SUB-1}\n"
    )
    spec = parse_tenant_spec(tenant, TODAY, tmp_path)
    assert [u.email for u in spec.users] == [
        "admin1@acme.example",
        "agent1@acme.example",
        "agent2@acme.example",
    ]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (None, "ccprovider:tenant.usersFile: cannot read users.yaml"),
        ("{email: a@acme.example}", "ccprovider:tenant.usersFile: users.yaml must hold a list"),
        ("- [unclosed", "ccprovider:tenant.usersFile: cannot read users.yaml"),
    ],
)
def test_an_unreadable_users_file_is_named(
    tmp_path: Path, content: str | None, fragment: str
) -> None:
    if content is not None:
        (tmp_path / "users.yaml").write_text(content)

    with pytest.raises(SpecError) as error:
        parse_tenant_spec(declaration(usersFile="users.yaml"), TODAY, tmp_path)

    assert fragment in str(error.value)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            b"- email: caf\xe9@acme.example\n",
            "ccprovider:tenant.usersFile: cannot read users.yaml: line 1 is not UTF-8 text. "
            "Fix: save it as UTF-8.",
        ),
        (
            b"[" * 10_000 + b"]" * 10_000,
            "ccprovider:tenant.usersFile: cannot read users.yaml: it nests lists or mappings "
            "too deeply. Fix: write it as a list of users, one mapping of plain values each.",
        ),
        (
            alias_bomb(8).encode(),
            "ccprovider:tenant (with users.yaml): holds more than 1,000,000 values (each use "
            "of a YAML alias counted). Fix: declare each user once, without aliases of lists.",
        ),
        (
            b"- email: " + b"[" * 20 + b"]" * 20 + b"\n",
            "ccprovider:tenant (with users.yaml): nests lists or mappings more than 12 deep. "
            "Fix: write users as a list of mappings of plain values.",
        ),
    ],
    ids=["not UTF-8", "10,000 nested brackets", "alias bomb", "too deep"],
)
def test_a_users_file_that_would_take_unbounded_work_is_refused_in_one_line(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    (tmp_path / "users.yaml").write_bytes(content)

    assert problems(declaration(usersFile="users.yaml"), tmp_path) == [problem]


def test_a_failed_declaration_lists_its_first_problems_and_counts_the_rest() -> None:
    tenant = declaration()
    tenant["partners"] = [{"org": f"Partner {i}", "access": "read_only"} for i in range(60)]

    listed = problems(tenant)
    with pytest.raises(SpecError) as error:
        parse_tenant_spec(tenant, TODAY)

    assert len(listed) == 60
    shown = str(error.value).splitlines()[1:]
    assert shown[:50] == [f"  {p}" for p in listed[:50]]
    assert shown[50:] == ["  … and 10 more problems"]


def test_a_number_out_of_its_bounds_is_told_the_bound_to_use() -> None:
    tenant = declaration(remapWarningDays=400)
    tenant["subscriptions"][0]["termMonths"] = 0
    tenant["subscriptions"][0]["entitlements"]["standardAgents"] = -3

    assert problems(tenant) == [
        "ccprovider:tenant.remapWarningDays: 400 is more than 365: use at most 365.",
        "ccprovider:tenant.subscriptions[0].termMonths: 0 is less than 1: use 1 or more.",
        "ccprovider:tenant.subscriptions[0].entitlements.standardAgents: -3 is negative: use 0 "
        "or more.",
    ]


def test_removed_users_are_named_with_what_happens_to_them() -> None:
    spec = parse_tenant_spec(declaration(), TODAY)
    previous = {
        "SUB-1": ["admin1@acme.example", "gone@acme.example"],
        "SUB-9": ["old@acme.example"],
    }

    leaving = leaving_users(previous, spec)

    assert leaving == ["gone@acme.example", "old@acme.example"]
    assert leaving_users(None, spec) == []
    assert "account kept" in leaving_notice("gone@acme.example", delete_users=False)
    assert "account is deleted" in leaving_notice("gone@acme.example", delete_users=True)


def test_the_date_is_read_only_once_the_schema_holds() -> None:
    reads: list[date] = []

    def provisioning_today() -> date:
        reads.append(TODAY)
        return TODAY

    with pytest.raises(SpecError):
        parse_tenant_spec(declaration(offer="flex4"), provisioning_today)
    assert reads == []

    parse_tenant_spec(declaration(), provisioning_today)
    assert reads == [TODAY]


def test_take_over_needs_adopt() -> None:
    assert problems(declaration(takeOver=True)) == [
        "ccprovider:tenant: takeOver: true takes over only what adopt: true adopts: set both"
    ]
    assert parse_tenant_spec(declaration(takeOver=True, adopt=True), TODAY).take_over


@pytest.mark.parametrize(
    ("address", "kept"),
    [
        ("\u03b4\u03bf\u03ba\u03b9\u03bc\u03ae@example.gr", True),  # Greek, one script
        ("AGENT1@Acme.Example", True),
        ("\u0430gent1@acme.example", False),  # a Cyrillic a beside Latin letters
        ("agent1@\u0430cme.example", False),
    ],
)
def test_a_part_written_in_one_script_is_an_address(address: str, kept: bool) -> None:
    raw = declaration()
    raw["users"][1]["email"] = address

    if kept:
        assert parse_tenant_spec(raw, TODAY).users[1].email == address.lower()
    else:
        [problem] = problems(raw)
        assert "mixes look-alike letters of several scripts" in problem


@pytest.mark.parametrize(
    ("original", "look_alike"),
    [
        ("arnold@acme.example", "amold@acme.example"),
        ("ops1@acme.example", "opsl@acme.example"),
        ("ops@ace.example", "ops@\u0430\u0441\u0435.example"),  # a label wholly Cyrillic
    ],
    ids=["rn for m", "l for 1", "cyrillic domain label"],
)
def test_two_users_whose_addresses_read_the_same_are_refused_naming_both(
    original: str, look_alike: str
) -> None:
    raw = declaration()
    for email in (original, look_alike):
        raw["users"].append({"email": email, "role": "admin", "subscription": "SUB-1"})

    assert problems(raw) == [
        f"ccprovider:tenant.users[3].email: '{look_alike}' reads the same as "
        f"'{original}' at ccprovider:tenant.users[2].email. Fix: give the users "
        "addresses that cannot be taken for each other, or declare one of them."
    ]


def test_addresses_that_differ_to_the_eye_are_different_users() -> None:
    raw = declaration()
    raw["users"].append({"email": "agent2@acme.example", "role": "admin", "subscription": "SUB-1"})

    assert len(parse_tenant_spec(raw, TODAY).users) == 3

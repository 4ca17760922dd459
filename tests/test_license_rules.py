"""License rules, without a backend: whom each rule matches in a directory, first match and
direct declarations first, who it cannot license and why, and what the declaration's
checks say of the rules at their config paths."""

from datetime import date
from typing import Any

import pytest
import yaml

from ccprovider.directory import DirectoryPerson
from ccprovider.license_rules import Reason, RuleChanges, resolve
from ccprovider.spec import SpecError, parse_tenant_spec
from tests.helpers import declaration
from tests.readme import snippet

TODAY = date(2026, 6, 1)


def rule(name: str, subscription: str = "SUB-2", **match: Any) -> dict[str, Any]:
    return {
        "name": name,
        "match": match,
        "role": "agent",
        "agentProfile": "standard",
        "subscription": subscription,
    }


def person(email: str, **attributes: Any) -> DirectoryPerson:
    return DirectoryPerson(email=email, **attributes)


DIRECTORY = [
    person("ada@emea.acme.example", department="Care", division="EMEA", groups=("Night",)),
    person("bob@amer.acme.example", department="CARE", division="AMER"),
    person("cy@emea.acme.example", department="Sales", division="EMEA"),
    person("dee@emea.acme.example", department="Care", division="EMEA", active=False),
    person("agent1@acme.example", department="Care", division="EMEA"),
]


def resolved(*rules: dict[str, Any]) -> dict[str, Any]:
    """Each rule's members and failures, resolving `rules` against `DIRECTORY` with the
    declaration's subscriptions and users."""
    spec = parse_tenant_spec(declaration(licenseRules=list(rules)), TODAY)
    subscriptions = {s.external_id: s for s in spec.declared_subscriptions()}
    outcomes = resolve(spec.license_rules, DIRECTORY, [u.email for u in spec.users], subscriptions)
    return {
        o.rule.name: (
            sorted(o.members),
            [(f.email, f.reason) for f in o.failures],
        )
        for o in outcomes
    }


def test_the_first_matching_rule_takes_a_person_and_a_declared_user_is_nobodys() -> None:
    """Values compare without regard to case; agent1 is declared under users."""
    outcome = resolved(
        rule("emea-care", department="care", division="EMEA"),
        rule("all-care", department=["Care", "Support"]),
    )

    assert outcome == {
        "emea-care": (["ada@emea.acme.example"], [("dee@emea.acme.example", Reason.INACTIVE)]),
        "all-care": (["bob@amer.acme.example"], []),
    }


def test_rules_match_by_email_glob_group_and_active() -> None:
    outcome = resolved(
        rule("night", group="night"),
        rule("emea-active", email="*@EMEA.acme.example", active=True),
    )

    assert outcome == {
        "night": (["ada@emea.acme.example"], []),
        "emea-active": (["cy@emea.acme.example"], []),
    }


def test_a_subscription_without_the_rules_kind_of_license_is_each_persons_failure() -> None:
    premium = {**rule("premium", department="Sales"), "agentProfile": "premium"}

    outcome = resolved(premium)

    assert outcome == {
        "premium": ([], [("cy@emea.acme.example", Reason.LICENSE_KIND_MISSING)]),
    }


def test_a_look_alike_of_another_person_is_not_licensed() -> None:
    """'arnold' and 'amold' read the same: the second in address order is refused."""
    spec = parse_tenant_spec(declaration(licenseRules=[rule("all")]), TODAY)
    people = [person("arnold@acme.example"), person("amold@acme.example")]

    [outcome] = resolve(spec.license_rules, people, [], {})

    assert list(outcome.members) == ["amold@acme.example"]
    assert [(f.email, f.reason, f.detail) for f in outcome.failures] == [
        ("arnold@acme.example", Reason.LOOK_ALIKE, "reads the same as amold@acme.example")
    ]


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        (
            [rule("care", department="Care"), rule("care")],
            "ccprovider:tenant.licenseRules[1].name: rule 'care' is declared twice, first at "
            "ccprovider:tenant.licenseRules[0]",
        ),
        (
            [rule("care", subscription="SUB-9")],
            "ccprovider:tenant.licenseRules[0].subscription: 'SUB-9' is not a subscription "
            "this tenant declares. Fix: name one of SUB-1, SUB-2.",
        ),
        (
            [rule("care", department=["Care", "Sales"]), rule("emea-care", department="care")],
            "ccprovider:tenant.licenseRules[1].match: rule 'emea-care' can never match anyone: "
            "rule 'care' (ccprovider:tenant.licenseRules[0]) comes first",
        ),
        (
            [rule("everyone"), rule("night", group="Night")],
            "ccprovider:tenant.licenseRules[1].match: rule 'night' can never match anyone",
        ),
        (
            [{**rule("admins"), "role": "admin"}],
            "ccprovider:tenant.licenseRules[0]: agentProfile applies to agents only",
        ),
        (
            [rule("old", subscription="SUB-1")],
            "ccprovider:tenant.licenseRules[0].subscription: rule 'old' gives licenses of "
            "subscription SUB-1, which expired on 2028-01-01",
        ),
    ],
)
def test_a_rule_that_cannot_work_is_refused_at_its_config_path(
    rules: list[dict[str, Any]], expected: str
) -> None:
    on = date(2028, 3, 1) if rules[0]["name"] == "old" else TODAY
    with pytest.raises(SpecError) as refused:
        parse_tenant_spec(declaration(licenseRules=rules), on)

    assert any(p.startswith(expected) for p in refused.value.problems), refused.value.problems


def test_rules_that_only_overlap_are_both_kept() -> None:
    """EMEA care and all of care overlap, but care outside EMEA is the second's alone."""
    spec = parse_tenant_spec(
        declaration(licenseRules=[rule("emea", division="EMEA"), rule("care", department="Care")]),
        TODAY,
    )

    assert [r.name for r in spec.license_rules] == ["emea", "care"]


def test_the_changes_name_whom_a_rule_adds_moves_and_removes_first_twenty_then_counts() -> None:
    spec = parse_tenant_spec(declaration(licenseRules=[rule("all")]), TODAY)
    people = [person(f"p{n:02}@acme.example") for n in range(25)]
    [outcome] = resolve(spec.license_rules, people, [], {})
    current = {f"p{n:02}@acme.example": "SUB-1" for n in range(3)}

    changes = RuleChanges.of(outcome, current, ["gone@acme.example"])

    assert changes.moved == {f"p{n:02}@acme.example": "SUB-1" for n in range(3)}
    assert len(changes.added) == 22 and changes.removed == ["gone@acme.example"]
    line = changes.describe("SUB-2")
    assert line.startswith("license rule all: adds 22 (p03@acme.example, p04@acme.example, ")
    assert "p22@acme.example, and 2 more); moves 3 to SUB-2 (p00@acme.example from SUB-1, " in line
    assert line.endswith("; removes 1 (gone@acme.example)")


def test_the_readmes_rules_hold_and_license_whom_they_say() -> None:
    """The README's two rules, on its subscription: Ada (Care, EMEA) is emea-care's, and
    the night shift takes Bob, who is in Care but not in EMEA."""
    readme_rules = yaml.safe_load(snippet("license-rules"))["licenseRules"]
    subscriptions = declaration()["subscriptions"]
    subscriptions[0] = {**subscriptions[0], "id": "SUB-CORE-001"}
    subscriptions[0]["entitlements"] = {"standardAgents": 10, "premiumAgents": 5}
    users = [{**u, "subscription": "SUB-CORE-001"} for u in declaration()["users"]]
    spec = parse_tenant_spec(
        declaration(subscriptions=subscriptions, users=users, licenseRules=readme_rules), TODAY
    )
    people = [
        person("ada@acme.example", department="Care", division="EMEA", groups=("Night shift",)),
        person("bob@acme.example", department="Care", division="AMER", groups=("Night shift",)),
    ]
    subscribed = {s.external_id: s for s in spec.declared_subscriptions()}

    outcomes = resolve(spec.license_rules, people, [], subscribed)

    assert [(o.rule.name, list(o.members)) for o in outcomes] == [
        ("emea-care", ["ada@acme.example"]),
        ("night-shift", ["bob@acme.example"]),
    ]

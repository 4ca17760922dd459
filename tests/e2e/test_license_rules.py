"""License rules on the real engine: people loaded into the org's directory by
`ccprovider directory load`, licensed by rule, one step per changed rule; the preview names
whom each rule adds, moves and removes, `up` does exactly that, a directory change shows
in the next preview with no edit to the stack, and a person a rule cannot license is
listed with a reason, or stops the preview with `failOn: any`."""

from datetime import timedelta
from pathlib import Path
from typing import Any

from ccprovider.client import ProvisioningClient
from tests.e2e.declarations import TODAY, ending_in, subscription, tenant, user
from tests.e2e.harness import (
    Poll,
    PulumiProject,
    access_watch,
    ccprovider,
    changed_steps,
    infos,
    refresh_drift,
)
from tests.readme import is_excerpt, snippet

RULE_TYPE = "pulumi-python:dynamic/ccprovider:LicenseRuleAssignments"
EMEA = [f"emea{n:02}@acme.example" for n in range(25)]
AMER = [f"amer{n}@acme.example" for n in range(4)]


def rule(name: str, subscription_id: str, **match: Any) -> dict[str, Any]:
    return {
        "name": name,
        "match": match,
        "role": "agent",
        "agentProfile": "standard",
        "subscription": subscription_id,
    }


def with_rules(*rules: dict[str, Any]) -> dict[str, Any]:
    """admin1 declared on SUB-1; SUB-2 begins yesterday; 30 standard agents on each."""
    entitlements = {"standardAgents": 30, "supervisors": 1}
    return tenant(
        subscriptions=[
            subscription("SUB-1", TODAY - timedelta(days=30), 36, entitlements=entitlements),
            subscription("SUB-2", TODAY - timedelta(days=1), 24, entitlements=entitlements),
        ],
        users=[user("admin1@acme.example", "SUB-1", "admin")],
        licenseRules=list(rules),
    )


BOTH_RULES_UPDATED = [("update", "rule-amer"), ("update", "rule-emea")]
"""One step per rule that changes, whatever number of people each moves."""
RULES = (
    rule("emea", "SUB-1", division="EMEA", active=True),
    rule("amer", "SUB-2", division="AMER"),
)


def directory_file(project: PulumiProject, *, moved: str | None = None) -> Path:
    """The org's people: 25 in EMEA, 4 in AMER, one deactivated in AMER; `moved` (an EMEA
    address) in AMER instead."""
    lines = ["email,division,active"]
    lines += [f"{e},{'AMER' if e == moved else 'EMEA'},true" for e in EMEA]
    lines += [f"{e},AMER,true" for e in AMER]
    lines.append("gone@acme.example,AMER,false")
    path = project.directory / "people.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def load(project: PulumiProject, people: Path) -> str:
    stacks = str(project.directory / "stacks")
    done = ccprovider(
        project, "--stacks-dir", stacks, "directory", "load", "--stack", project.stack, str(people)
    )
    return done.stdout


def licensed(backend: ProvisioningClient, tenant_id: str) -> dict[str, str | None]:
    """Each person's subscription (external id) in the backend, by e-mail."""
    external = {s.id: s.external_id for s in backend.list_subscriptions(tenant_id)}
    return {u.email: external.get(u.subscription_id or "") for u in backend.list_users(tenant_id)}


def test_people_are_licensed_by_rule_previewed_person_by_person(project: PulumiProject) -> None:
    project.declare(with_rules(*RULES))
    first = project.run("up", "--yes", "--skip-preview").stdout
    assert "license rule emea matches nobody in the tenant's directory" in first
    loaded = load(project, directory_file(project))
    assert "30 created, 0 updated, 0 deactivated, 0 unchanged" in loaded

    planned, taken = project.preview_then_up_json()

    assert changed_steps(planned) == changed_steps(taken) == BOTH_RULES_UPDATED
    notices = infos(planned)
    assert (
        "license rule emea: adds 25 (emea00@acme.example, emea01@acme.example, "
        in notices[0] + notices[1]
    )
    emea = next(n for n in notices if n.startswith("license rule emea:"))
    assert emea.endswith("emea19@acme.example, and 5 more)")
    assert any(n.startswith("license rule amer: adds 4 (amer0@acme.example, ") for n in notices)
    assert sorted(infos(taken)) == sorted(notices)
    outputs = project.outputs()
    assert outputs["licenseRules"]["emea"] == {"subscription": "SUB-1", "people": EMEA}
    assert outputs["licenseRules"]["amer"] == {"subscription": "SUB-2", "people": AMER}
    assert outputs["licenseRuleFailures"] == [
        {
            "email": "gone@acme.example",
            "rule": "amer",
            "reason": "Inactive",
            "detail": "deactivated in the directory",
        }
    ]
    with project.backend() as backend:
        live = licensed(backend, outputs["tenantId"])
    assert {e: live[e] for e in EMEA} == dict.fromkeys(EMEA, "SUB-1")
    assert {e: live[e] for e in AMER} == dict.fromkeys(AMER, "SUB-2")
    assert live["gone@acme.example"] is None
    assert live["admin1@acme.example"] == "SUB-1"
    project.run("refresh", "--yes", "--expect-no-changes")

    # A person moves division in the directory: the next preview moves them, no stack edit.
    load(project, directory_file(project, moved="emea07@acme.example"))
    shown = project.run("preview").stdout
    planned, taken = project.preview_then_up_json()

    assert changed_steps(planned) == changed_steps(taken) == BOTH_RULES_UPDATED
    assert sorted(infos(planned)) == [
        "license rule amer: moves 1 to SUB-2 (emea07@acme.example from SUB-1)",
        "license rule emea: removes 1 (emea07@acme.example)",
    ]
    assert is_excerpt(snippet("license-rule-preview"), shown), shown
    with project.backend() as backend:
        assert licensed(backend, outputs["tenantId"])["emea07@acme.example"] == "SUB-2"

    # The rule switched to SUB-2: every one of its people moves in one step.
    project.declare(with_rules(rule("emea", "SUB-2", division="EMEA", active=True), RULES[1]))
    planned, taken = project.preview_then_up_json()

    assert changed_steps(planned) == changed_steps(taken) == [("update", "rule-emea")]
    [switch] = infos(planned)
    assert switch.startswith("license rule emea: moves 24 to SUB-2 (emea00@acme.example from SUB-1")
    with project.backend() as backend:
        live = licensed(backend, outputs["tenantId"])
    assert {e: live[e] for e in EMEA} == dict.fromkeys(EMEA, "SUB-2")
    assert refresh_drift(project.run("refresh", "--yes", "--expect-no-changes").stdout) == []


def test_a_rule_that_must_license_everyone_stops_the_preview_naming_whom_it_cannot(
    project: PulumiProject,
) -> None:
    strict = {**RULES[1], "failOn": "any"}
    project.declare(with_rules(RULES[0], strict))
    project.up()
    load(project, directory_file(project))
    with project.backend() as backend:
        before = licensed(backend, str(project.outputs()["tenantId"]))

    failed = project.preview_fails()

    assert (
        "ccprovider:tenant.licenseRules[1] (rule amer, failOn: any) cannot license 1 people: "
        "gone@acme.example (Inactive: deactivated in the directory). Fix: "
    ) in failed
    with project.backend() as backend:
        assert licensed(backend, str(project.outputs()["tenantId"])) == before


def everyone_licensed(tenant_id: str, people: list[str]) -> Poll:
    """A poll of `people`'s access in one listing of the tenant: each must hold a license
    (every subscription of the test gives access throughout)."""

    def poll(backend: ProvisioningClient) -> list[str]:
        held = {u.email: u.licenses for u in backend.list_users(tenant_id)}
        return [f"{email}: holds no license" for email in people if not held.get(email)]

    return poll


def test_a_rule_pointed_at_the_new_subscription_moves_a_thousand_people_without_a_gap(
    project: PulumiProject,
) -> None:
    """SUB-1 ends in ten days: the preview warns, naming the rule, its people and SUB-2;
    pointing the rule at SUB-2 moves all 1,000 in one update, and every poll of the
    directory meanwhile finds every one of them licensed."""
    entitlements = {"standardAgents": 1000, "supervisors": 1}
    subscriptions = [
        {**ending_in(10, "SUB-1"), "entitlements": entitlements},
        subscription("SUB-2", TODAY - timedelta(days=1), 24, entitlements=entitlements),
    ]
    everyone = {"name": "all", "role": "agent", "agentProfile": "standard"}
    declared = tenant(
        subscriptions=subscriptions,
        users=[user("admin1@acme.example", "SUB-2", "admin")],
        licenseRules=[{**everyone, "subscription": "SUB-1"}],
    )
    project.declare(declared)
    project.up()
    people = [f"agent{n:04}@acme.example" for n in range(1000)]
    csv = project.directory / "people.csv"
    csv.write_text("email\n" + "\n".join(people) + "\n")
    load(project, csv)
    project.up()
    tenant_id = str(project.outputs()["tenantId"])

    warned = project.run("preview").stdout
    project.declare({**declared, "licenseRules": [{**everyone, "subscription": "SUB-2"}]})
    with access_watch(project, everyone_licensed(tenant_id, people)) as lapses:
        project.up()

    end = (TODAY + timedelta(days=10)).isoformat()
    assert (
        "warning: remap before expiry: license rule all licenses 1,000 people on SUB-1, which "
        f"ends on {end}, in 10 day(s); point the rule at SUB-2 to move them all in one update"
    ) in warned
    assert lapses == []
    with project.backend() as backend:
        assert set(licensed(backend, tenant_id).values()) == {"SUB-2"}


def test_a_rule_naming_an_unknown_subscription_fails_the_preview_at_its_config_path(
    project: PulumiProject,
) -> None:
    project.declare(with_rules(*RULES))
    project.up()
    load(project, directory_file(project))
    project.up()
    with project.backend() as backend:
        before = licensed(backend, str(project.outputs()["tenantId"]))

    project.declare(with_rules(RULES[0], {**RULES[1], "subscription": "SUB-9"}))
    failed = project.preview_fails()

    assert (
        "ccprovider:tenant.licenseRules[1].subscription: 'SUB-9' is not a subscription this "
        "tenant declares. Fix: name one of SUB-1, SUB-2."
    ) in failed
    with project.backend() as backend:
        assert licensed(backend, str(project.outputs()["tenantId"])) == before

"""A saved plan judged against its stack (`scripts/deploy --plan`): one line naming what
changed and the fix, never the engine's whole-config message or a traceback."""

import io
import json
from pathlib import Path

import pytest

from ccprovider.plans import declaration_problem, engine_refusal, main
from tests.helpers import declaration

FIX = (
    "Fix: preview again with `scripts/deploy prod --save-plan p.json`, review it, then apply "
    "that plan with `scripts/deploy prod --plan p.json`."
)

# What the engine printed when a user deleted in the backend after the preview came back
# in the refresh of `pulumi up --plan` (values shortened).
VIOLATION = (
    "    error: resource urn:pulumi:prod::ccprovider::ccprovider:index:ContactCenter$"
    "pulumi-python:dynamic/ccprovider:LicenseAssignment::contact-center-agent4@acme.example "
    "violates plan: properties changed: =+adopt[{false}], =+email[{agent4@acme.example}], "
    "=+role[{agent}], =+subscription[{SUB-WFO-002}]\n"
)


def config_of(tenant: dict[str, object]) -> dict[str, object]:
    """The stack's config as `pulumi config --json` prints it."""
    return {"ccprovider:tenant": {"value": json.dumps(tenant), "objectValue": tenant}}


def test_a_plan_of_the_same_declaration_fits() -> None:
    plan = {"config": {"ccprovider:tenant": declaration()}}

    assert declaration_problem(plan, config_of(declaration()), "prod", "p.json") is None


def test_a_plan_of_another_declaration_names_the_changed_item_and_field() -> None:
    planned, declared = declaration(), declaration()
    planned["users"].append({"email": "agent9@acme.example", "role": "agent"})
    declared["subscriptions"][0]["entitlements"]["standardAgents"] = 14
    declared["name"] = "acme-other"
    plan = {"config": {"ccprovider:tenant": planned}}

    problem = declaration_problem(plan, config_of(declared), "prod", "p.json")

    assert problem == (
        "error: p.json was saved for another declaration of stack prod (ccprovider:tenant "
        "changed since: name: acme-dev -> acme-other; subscriptions: changed SUB-1: "
        "entitlements.standardAgents: 10 -> 14; "
        f"users: removed agent9@acme.example: {{role: agent}}); nothing applied. {FIX}"
    )


def test_a_refusal_of_the_engine_names_the_resource_and_its_properties() -> None:
    assert engine_refusal(f"Updating (prod):\n{VIOLATION}Resources:\n", "prod", "p.json") == (
        "error: contact-center-agent4@acme.example differs from p.json (the backend or the "
        "state changed since the plan was saved; properties changed: adopt, email, role, "
        f"subscription); the update stopped there. {FIX}"
    )


def test_an_update_without_a_plan_violation_is_not_explained() -> None:
    assert engine_refusal("error: something else\n", "prod", "p.json") is None


def test_a_file_that_is_not_a_plan_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "p.json").write_text("not json")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(config_of(declaration()))))

    assert main(["check", "prod", "p.json"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("error: p.json is not a saved plan (")
    assert line.endswith(FIX)

"""Environments on the real engine: promotion dev -> staging -> prod, export round trip, and
the billing report of the domain document's example."""

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

from ccprovider.contract import TenantBody
from tests.e2e.declarations import subscription, tenant, user
from tests.e2e.harness import (
    Apply,
    PulumiProject,
    ccprovider,
    on_a_terminal,
    resource_key,
    run_as_written,
)
from tests.helpers import assign_license, subscription_body, user_body
from tests.readme import commands

DYNAMIC = "pulumi-python:dynamic/ccprovider:"


def planned_changes(project: PulumiProject) -> dict[str, list[str]]:
    """`op -> [type:name]` of the preview's changes to ccprovider resources, sorted."""
    changes: dict[str, list[str]] = {}
    for step in project.preview_json().get("steps", []):
        urn = step["urn"]
        if DYNAMIC in urn and step["op"] not in ("same", "refresh"):
            kind = urn.split(DYNAMIC)[1].split("::")[0]
            changes.setdefault(step["op"], []).append(f"{kind}:{resource_key(urn)}")
    return {op: sorted(names) for op, names in changes.items()}


_SHOWN_STEP = re.compile(
    r"^ *[-+~]+ pulumi-python:dynamic/ccprovider:(\w+): \((\w+)\)\n"  # the step
    r"(?: +\[id=.*\]\n)? +\[urn=(\S+)\]",  # its resource
    re.M,
)


def shown_changes(diff: str) -> dict[str, list[str]]:
    """`op -> [type:name]` of the changes to ccprovider resources that the text of a
    `preview --diff` shows, sorted."""
    changes: dict[str, list[str]] = {}
    for kind, op, urn in _SHOWN_STEP.findall(diff):
        changes.setdefault(op, []).append(f"{kind}:{resource_key(urn)}")
    return {op: sorted(names) for op, names in changes.items()}


def test_promotion_from_dev_to_staging_to_prod_shows_exactly_the_promoted_changes(
    clone: Path, pulumi_home: Path
) -> None:
    """The README's commands on a clone's committed stacks, each its own tenant: a change
    applied in dev is promoted to staging (asked and confirmed on a terminal), previewed,
    deployed (asked and confirmed), compared with prod and promoted there without asking;
    each stack plans exactly the promoted changes."""
    dev, staging, prod = (
        PulumiProject.as_scripts_run(clone, pulumi_home, name)
        for name in ("dev", "staging", "prod")
    )
    for stack in (dev, staging, prod):
        stack.run("stack", "init", stack.stack)
        stack.declare(tenant(name=f"acme-{stack.stack}"))
        stack.up()
    changed = tenant(name="acme-dev")
    changed["subscriptions"].append(subscription("SUB-2", date(2025, 6, 1), 36))
    changed["users"] = [
        user("admin1@acme.example", "SUB-1", "admin"),
        user("agent1@acme.example", "SUB-2"),
        user("agent2@acme.example", "SUB-2"),
    ]
    dev.declare(changed)
    dev.up()
    expected = {
        "create": ["LicenseAssignment:agent2@acme.example", "Subscription:SUB-2"],
        "update": ["LicenseAssignment:agent1@acme.example"],
    }
    promote, preview, deploy, compare, promote_without_asking = commands("environments")
    shell = dev.shell_env()

    promoted = on_a_terminal(promote, clone, shell, "y")
    shown = run_as_written(preview, clone, shell).stdout
    deployed = on_a_terminal(deploy, clone, shell, "y")
    compared = run_as_written(compare, clone, shell, check=False)
    run_as_written(promote_without_asking, clone, shell)

    assert promoted[0] == 0, promoted[1]
    assert shown_changes(shown) == expected, shown
    assert deployed[0] == 0, deployed[1]
    assert compared.returncode == 1, compared.stderr
    assert "  removed SUB-2: " in compared.stdout  # prod has yet to get it
    assert planned_changes(prod) == expected
    prod.up()
    for stack in (staging, prod):
        stack.run("preview", "--expect-no-changes")
    assert ccprovider(dev, "compare", "dev", "prod").stdout.startswith("dev and prod declare")
    with dev.backend() as backend:
        names = sorted(t.name for t in backend.list_tenants())
    assert names == ["acme-dev", "acme-prod", "acme-staging"]
    protected = [r.get("protect", False) for r in prod.state_resources(DYNAMIC + "Tenant")]
    assert protected == [True]
    assert prod.run("destroy", "--yes", check=False).returncode != 0
    with dev.backend() as backend:
        live = backend.find_tenant("acme-prod")
        assert live is not None
        agent = backend.find_user(live.id, "agent2@acme.example")
        assert agent is not None
        assert agent.licenses  # a refused destroy changes nothing, users included


def test_in_a_protected_stack_removing_an_agent_is_a_normal_up(project: PulumiProject) -> None:
    project.run("config", "set", "ccprovider:protect", "true")
    project.declare(tenant())
    project.up()
    kept = tenant()
    kept["users"] = kept["users"][:1]
    project.declare(kept)

    project.up()

    protected = {
        resource_key(r["urn"]): r.get("protect", False)
        for r in json.loads(project.run("stack", "export").stdout)["deployment"]["resources"]
        if r["type"].startswith(DYNAMIC)
    }
    assert protected == {
        "state": True,
        "tenant": True,
        "SUB-1": True,
        "admin1@acme.example": False,
    }


def test_export_then_up_adopts_and_the_next_preview_shows_no_changes(
    project: PulumiProject,
) -> None:
    with project.backend() as backend:
        made = backend.create_tenant(TenantBody(name="acme-legacy", offer="flex"))
        sub = backend.create_subscription(
            made.id,
            subscription_body(
                "SUB-OLD", offer="flex", entitlements={"standard_agents": 5, "ai_agents": 2}
            ),
        )
        backend.create_user(made.id, user_body("agent1@acme.example", profile="premium"))
        assign_license(backend, made.id, "agent1@acme.example", f"{sub.id}:premium-agent")

    export, init, up = commands("export")
    exported = project.run_readme(export)
    project.run_readme(init)
    project.run_readme(up)

    assert "wrote" in exported.stdout
    PulumiProject(project.directory, "legacy", project.env).run("preview", "--expect-no-changes")
    with project.backend() as backend:
        assert [t.id for t in backend.list_tenants()] == [made.id]
        assert [s.id for s in backend.list_subscriptions(made.id)] == [sub.id]
        assert [u.email for u in backend.list_users(made.id)] == ["agent1@acme.example"]


def test_the_report_equals_the_hand_computed_figures_of_the_domain_example(
    applied: Apply,
) -> None:
    """Subscription 1 includes 10 agents, subscription 2 includes 15: 25 agents pooled. On
    the busiest day 26 agents work: one agent of overage, charged to the primary, SUB-1."""
    declared: dict[str, Any] = tenant(
        subscriptions=[
            subscription("SUB-1", date(2025, 1, 1), 60, entitlements={"standardAgents": 10}),
            subscription("SUB-2", date(2025, 6, 1), 36, entitlements={"standardAgents": 15}),
        ],
        users=[user(f"agent{i}@acme.example", "SUB-1" if i < 13 else "SUB-2") for i in range(26)],
    )
    project = applied(declared)
    rows = ["day,usage_type,quantity,email"]
    rows += [f"2026-05-04,standard_agent,1,agent{i}@acme.example" for i in range(25)]
    rows += [f"2026-05-05,standard_agent,1,agent{i}@acme.example" for i in range(26)]
    rows += ["2026-05-05,webex_connect,400,agent20@acme.example"]
    (project.directory / "may.csv").write_text("\n".join(rows) + "\n")

    loaded = ccprovider(project, "load-usage", "--stack", "e2e", "may.csv")
    table = ccprovider(project, "report", "--stack", "e2e", "--period", "2026-05").stdout
    report = json.loads(
        ccprovider(project, "report", "--stack", "e2e", "--period", "2026-05", "--json").stdout
    )

    assert "loaded 52 usage record(s)" in loaded.stdout
    assert report["primarySubscription"] == "SUB-1"
    assert report["pooledEntitlements"]["standard_agent"] == 25
    usage = {s["externalId"]: s["usage"] for s in report["subscriptions"]}
    assert usage == {
        "SUB-1": {"standard_agent": 13, "webex_connect": 400},
        "SUB-2": {"standard_agent": 13},
    }
    [agents] = [o for o in report["overage"] if o["usageType"] == "standard_agent"]
    assert (agents["used"], agents["pooled"], agents["overage"], agents["chargedTo"]) == (
        26,
        25,
        1,
        "SUB-1",
    )
    assert "standard_agent  26    25      1        SUB-1" in table

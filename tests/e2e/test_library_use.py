"""ccprovider from a Pulumi program of one's own: several tenants side by side, each on
the stack's backend or on one of its own."""

import json
from pathlib import Path

from ccprovider.backend import DEFAULT_DB_PATH
from ccprovider.backend.subprocess_server import serve_in_subprocess
from ccprovider.client import ProvisioningClient
from tests.e2e.harness import REPO, PulumiProject

TWO_TENANTS = Path(__file__).parent / "two_tenants" / "__main__.py"


def test_two_tenants_in_one_program_preview_and_apply_cleanly(
    pulumi_cli: str, pulumi_home: Path, tmp_path: Path
) -> None:
    project = PulumiProject.create(tmp_path / "project", pulumi_home, program=TWO_TENANTS)

    preview, update = project.preview_then_up()
    project.run("preview", "--expect-no-changes")

    assert preview == update
    assert [name for op, name in update if op == "create"] == sorted(
        [
            *(
                f"{color}-{key}"
                for color in ("blue", "green")
                for key in ("tenant", "SUB-1", "admin1@acme.example", "agent1@acme.example")
            ),
            "blue",  # the components
            "green",
            f"ccprovider-{project.stack}",  # the stack
        ]
    )
    assert project.outputs() == {"bluePrimary": "SUB-1", "greenPrimary": "SUB-1"}
    with project.backend() as backend:
        tenants = {t.name: t.id for t in backend.list_tenants()}
        assert sorted(tenants) == ["acme-blue", "acme-green"]
        for tenant_id in tenants.values():
            assert sorted(u.email for u in backend.list_users(tenant_id)) == [
                "admin1@acme.example",
                "agent1@acme.example",
            ]


def test_each_tenant_can_live_on_a_backend_of_its_own(
    pulumi_cli: str, pulumi_home: Path, tmp_path: Path
) -> None:
    project = PulumiProject.create(tmp_path / "project", pulumi_home, program=TWO_TENANTS)
    tokens = {"blue": "blue-s3cr3t-token", "green": "green-s3cr3t-token"}
    for color, token in tokens.items():
        (tmp_path / f"{color}.json").write_text(json.dumps({token: "customer_admin"}))
    with (
        serve_in_subprocess(
            tmp_path / "blue.sqlite3", "--tokens", str(tmp_path / "blue.json")
        ) as blue,
        serve_in_subprocess(
            tmp_path / "green.sqlite3", "--tokens", str(tmp_path / "green.json")
        ) as green,
    ):
        for color, url in (("blue", blue), ("green", green)):
            project.run("config", "set", f"two:{color}Endpoint", url)
            project.run("config", "set", "--secret", f"two:{color}Token", tokens[color])
        project.run("up", "--yes")
        project.run("refresh", "--yes")
        project.run("preview", "--expect-no-changes")
        held = {
            color: sorted(t.name for t in ProvisioningClient(url, tokens[color]).list_tenants())
            for color, url in (("blue", blue), ("green", green))
        }
        state = project.run("stack", "export").stdout
        project.run("destroy", "--yes")
        left = [
            list(ProvisioningClient(url, tokens[color]).list_tenants())
            for color, url in (("blue", blue), ("green", green))
        ]

    assert held == {"blue": ["acme-blue"], "green": ["acme-green"]}
    assert not [token for token in tokens.values() if token in state]
    assert left == [[], []]


EXAMPLE = REPO / "examples" / "contact_centers" / "__main__.py"


def test_the_example_program_previews_and_applies_two_tenants_on_their_backends(
    pulumi_cli: str, pulumi_home: Path, tmp_path: Path
) -> None:
    project = PulumiProject.create(tmp_path / "project", pulumi_home, program=EXAMPLE)
    tokens = {"support": "support-s3cr3t-token", "sales": "sales-s3cr3t-token"}
    for tenant, token in tokens.items():
        (tmp_path / f"{tenant}.json").write_text(json.dumps({token: "customer_admin"}))
    with (
        serve_in_subprocess(
            tmp_path / "support.db", "--tokens", str(tmp_path / "support.json")
        ) as support,
        serve_in_subprocess(
            tmp_path / "sales.db", "--tokens", str(tmp_path / "sales.json")
        ) as sales,
    ):
        urls = {"support": support, "sales": sales}
        for tenant, url in urls.items():
            project.run("config", "set", f"centers:{tenant}Endpoint", url)
            project.run("config", "set", "--secret", f"centers:{tenant}Token", tokens[tenant])
        shown = project.run("preview", "--diff")
        preview, update = project.preview_then_up()
        project.run("preview", "--expect-no-changes")
        users = {
            tenant: {
                t.name: sorted(u.email for u in client.list_users(t.id))
                for t in client.list_tenants()
            }
            for tenant, client in (
                (name, ProvisioningClient(url, tokens[name])) for name, url in urls.items()
            )
        }

    assert "Traceback" not in shown.stdout + shown.stderr
    assert preview == update
    assert ("create", "support-lead") in update  # the support tenant's wired supervisor
    assert users == {
        "support": {"acme-support": ["admin@acme.example", "dana.reyes@acme.example"]},
        "sales": {"acme-sales": ["admin@acme.example"]},
    }
    assert project.outputs()["supportLead"] == "dana.reyes@acme.example"


def test_a_rule_broken_in_a_program_of_ones_own_fails_the_preview_before_anything(
    pulumi_cli: str, pulumi_home: Path, tmp_path: Path
) -> None:
    project = PulumiProject.create(tmp_path / "project", pulumi_home, program=TWO_TENANTS)
    project.run("config", "set", "two:break", "telephony")

    output = project.preview_fails()

    assert (
        "ccprovider:tenant.subscriptions[0].telephony: Subscription SUB-1 uses telephony "
        "vpop, but the tenant's option is webex_calling"
    ) in output
    assert "Traceback" not in output
    assert not (project.directory / DEFAULT_DB_PATH).exists()  # no backend was reached

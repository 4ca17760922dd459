"""ccprovider from a Pulumi program of one's own: several tenants side by side, each on
the stack's backend or on one of its own."""

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from ccprovider.backend import DEFAULT_DB_PATH
from ccprovider.backend.subprocess_server import serve_in_subprocess
from ccprovider.client import ProvisioningClient
from tests.e2e.harness import PulumiProject, readme_server, resource_summary, run_block
from tests.readme import snippet

TWO_TENANTS = Path(__file__).parent / "two_tenants" / "__main__.py"


@contextmanager
def backends(
    directory: Path, project: PulumiProject, namespace: str, *names: str
) -> Iterator[dict[str, ProvisioningClient]]:
    """A backend server of its own for each tenant `name`, each taking one token, and the
    stack config `<namespace>:<name>Endpoint` and secret `<name>Token` that name them;
    a client of each, with its token."""
    with ExitStack() as servers:
        clients = {}
        for name in names:
            token = f"{name}-s3cr3t-token"
            tokens = directory / f"{name}.json"
            tokens.write_text(json.dumps({token: "customer_admin"}))
            url = servers.enter_context(
                serve_in_subprocess(directory / f"{name}.sqlite3", "--tokens", str(tokens))
            )
            project.run("config", "set", f"{namespace}:{name}Endpoint", url)
            project.run("config", "set", "--secret", f"{namespace}:{name}Token", token)
            clients[name] = ProvisioningClient(url, token)
        yield clients


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
                for key in (
                    "state",
                    "tenant",
                    "SUB-1",
                    "admin1@acme.example",
                    "agent1@acme.example",
                )
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
    with backends(tmp_path, project, "two", "blue", "green") as clients:
        project.up()
        project.run("refresh", "--yes")
        project.run("preview", "--expect-no-changes")
        held = {name: sorted(t.name for t in c.list_tenants()) for name, c in clients.items()}
        state = project.run("stack", "export").stdout
        project.run("destroy", "--yes")
        left = [list(client.list_tenants()) for client in clients.values()]

    assert held == {"blue": ["acme-blue"], "green": ["acme-green"]}
    assert "s3cr3t-token" not in state
    assert left == [[], []]


def test_the_readme_runs_the_example_on_its_server_with_the_state_beside_the_example(
    clone: Path, pulumi_home: Path, tmp_path: Path
) -> None:
    """The README's commands, in a clone, run the example (the README's program): the
    support tenant on the README's server with its token, sales on the embedded backend.
    The update creates what its preview showed, the wired supervisor included; a second
    preview changes nothing; the state stays beside the example, apart from the clone's."""
    example = PulumiProject.as_scripts_run(
        clone / "examples" / "contact_centers", pulumi_home, "dev"
    )
    with readme_server(tmp_path) as (url, token):
        script = snippet("own-program-run", {"http://127.0.0.1:8080": url})
        shown = run_block(script, clone, example.shell_env())
        example.run("preview", "--expect-no-changes")
        on_server = people(ProvisioningClient(url, token))
    with example.backend() as embedded:
        on_embedded = people(embedded)

    preview, update = shown.stdout.split("\nUpdating (dev)", 1)
    assert resource_summary(preview) == resource_summary(update), shown.stdout
    assert "support-lead" in preview and "Traceback" not in shown.stdout + shown.stderr
    assert on_server == {"acme-support": ["admin@acme.example", "dana.reyes@acme.example"]}
    assert on_embedded == {"acme-sales": ["admin@acme.example"]}
    assert example.outputs()["supportLead"] == "dana.reyes@acme.example"
    assert not (clone / ".pulumi-state").exists()


def people(backend: ProvisioningClient) -> dict[str, list[str]]:
    """Each tenant of `backend` and its users' e-mails."""
    return {
        t.name: sorted(u.email for u in backend.list_users(t.id)) for t in backend.list_tenants()
    }


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

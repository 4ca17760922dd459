"""ccprovider from a Pulumi program of one's own: several tenants side by side."""

from pathlib import Path

from tests.e2e.harness import PulumiProject

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
            assert [u.email for u in backend.list_users(tenant_id)] == [
                "admin1@acme.example",
                "agent1@acme.example",
            ]

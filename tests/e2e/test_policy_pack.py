"""The policy pack blocks each tenant-wide violation in a program that declares resources
directly, bypassing TenantSpec, at `pulumi preview --policy-pack`."""

from pathlib import Path

import pytest
import yaml

from tests.e2e.harness import REPO, PulumiProject
from tests.readme import commands

POLICY_PACK = str(REPO / "policy" / "analyzer")
DIRECT_PROGRAM = Path(__file__).parent / "direct_program" / "__main__.py"
TWO_TENANTS = Path(__file__).parent / "two_tenants" / "__main__.py"


@pytest.fixture
def direct(pulumi_cli: str, pulumi_home: Path, tmp_path: Path) -> PulumiProject:
    return PulumiProject.create(tmp_path / "direct", pulumi_home, program=DIRECT_PROGRAM)


@pytest.mark.parametrize(
    ("broken", "policy", "message"),
    [
        ("telephony", "single-telephony", "SUB-2 uses telephony webex_calling"),
        ("license_model", "single-license-model", "SUB-2 is concurrent"),
        ("remap", "remap-before-expiry", "agent1@acme.example on SUB-2 (expired on 2021-01-01)"),
        (
            "team_remap",
            "remap-before-expiry",
            "agent1@acme.example on SUB-2 (expired on 2021-01-01)",
        ),
        (
            "rule_remap",
            "remap-before-expiry",
            "agent1@acme.example on SUB-2 (expired on 2021-01-01)",
        ),
    ],
)
def test_the_policy_pack_blocks_the_violation(
    direct: PulumiProject, broken: str, policy: str, message: str
) -> None:
    direct.run("config", "set", "direct:break", broken)

    result = direct.run("preview", "--policy-pack", POLICY_PACK, check=False)

    assert result.returncode != 0
    assert f"[mandatory]  {policy}" in result.stdout
    assert message in result.stdout


def test_the_policy_pack_passes_the_dev_stack_as_the_readme_runs_it(
    pulumi_cli: str, pulumi_home: Path, tmp_path: Path
) -> None:
    """The README's command on stack dev as committed, in a project beside the pack."""
    project = PulumiProject.create(tmp_path / "project", pulumi_home, stack="dev")
    committed = yaml.safe_load((REPO / "stacks" / "Pulumi.dev.yaml").read_text())
    project.declare(committed["config"]["ccprovider:tenant"])
    (project.directory / "policy").symlink_to(REPO / "policy")
    [command] = commands("policy-pack")

    result = project.run_readme(command)

    assert "ccprovider-rules" in result.stdout
    assert "[mandatory]" not in result.stdout


def test_two_sound_tenants_of_different_options_pass_the_policy_pack(
    pulumi_cli: str, pulumi_home: Path, tmp_path: Path
) -> None:
    """Blue is named on Webex Calling, green concurrent on a VPOP: each tenant is judged
    alone, so neither is taken for a mixed tenant."""
    two = PulumiProject.create(tmp_path / "two", pulumi_home, program=TWO_TENANTS)

    result = two.run("preview", "--policy-pack", POLICY_PACK)

    assert "ccprovider-rules" in result.stdout
    assert "[mandatory]" not in result.stdout

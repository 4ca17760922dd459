"""Upgrading ccprovider never changes a deployed stack: a stack applied by an earlier release
(before the declarative resource layer; before child names carried their tenant's; before
the program read its last outputs without a resource) previews no changes with the current
code."""

import json
import subprocess
from pathlib import Path

import pytest

from tests.e2e.declarations import tenant, user
from tests.e2e.harness import REPO, PulumiProject, changed_steps

BEFORE_DECLARED_INPUTS = "d20ea700556ce73452fa582957ffc7aa61f245fa"
"""The last commit before resources were derived from their inputs models."""
BEFORE_PREFIXED_NAMES = "0ce153d5390f013a06938d282db888f04c93404c"
"""The last commit whose tenant named its children by their bare keys ("SUB-1")."""
BEFORE_OWN_OUTPUTS_READ = "02513e2d61627e763d8844e2165288c143423d0d"
"""The last commit whose program read its last outputs through a `StackReference` to its
own stack, a resource of the stack."""


def previous_release(directory: Path, release: str) -> Path:
    """A release's package and program, extracted from the clone's history."""
    commit = subprocess.run(
        ["git", "-C", str(REPO), "cat-file", "-e", f"{release}^{{commit}}"],
        capture_output=True,
        check=False,
    )
    if commit.returncode != 0:
        pytest.fail(f"the clone lacks commit {release[:7]}: clone with full history")
    directory.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", release, "ccprovider", "__main__.py"],
        capture_output=True,
        check=True,
    )
    subprocess.run(["tar", "-x", "-C", str(directory)], input=archive.stdout, check=True)
    return directory


@pytest.mark.parametrize(
    "release", [BEFORE_DECLARED_INPUTS, BEFORE_PREFIXED_NAMES, BEFORE_OWN_OUTPUTS_READ]
)
def test_a_stack_applied_by_an_earlier_release_previews_no_changes(
    pulumi_cli: str, pulumi_home: Path, tmp_path: Path, release: str
) -> None:
    old = previous_release(tmp_path / "previous", release)
    project = PulumiProject.create(tmp_path / "project", pulumi_home, program=old / "__main__.py")
    declared = tenant(
        users=[
            user("admin1@acme.example", "SUB-1", "admin"),
            user("agent1@acme.example", "SUB-1"),
            {**user("agent2@acme.example", "SUB-1"), "team": "care"},
        ],
        partners=[{"org": "partner-a", "access": "full_admin"}],
    )
    project.declare(declared)
    # The previous release's package comes first on the import path of the program and of
    # the provider processes the engine starts.
    project.env["PYTHONPATH"] = str(old)
    project.up()
    deployment = json.loads(project.run("stack", "export").stdout)["deployment"]
    applied = {r["type"].rpartition(":")[2] for r in deployment["resources"]}

    del project.env["PYTHONPATH"]
    (project.directory / "__main__.py").write_text((REPO / "__main__.py").read_text())
    planned = changed_steps(project.preview_json("--expect-no-changes"))

    kinds = {"Tenant", "Subscription", "LicenseAssignment", "TeamAssignments", "PartnerAccess"}
    assert kinds <= applied
    assert planned == []

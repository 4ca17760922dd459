"""Upgrading ccprovider loses nothing: a stack applied by an earlier release (before the
declarative resource layer; before child names carried their tenant's; before objects
carried the mark of their state) keeps every object, and its first update with the current
code only marks them as its state's, as its preview says. The backend database that
release wrote serves the vendor's API with the same people and licenses."""

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from webexpythonsdk import WebexAPI

from ccprovider.backend import vendor_ids
from ccprovider.client import ProvisioningClient
from tests.e2e.declarations import tenant, user
from tests.e2e.harness import REPO, PulumiProject

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
def test_a_stack_applied_by_an_earlier_release_keeps_its_objects_and_marks_them_as_its_states(
    pulumi_cli: str, pulumi_home: Path, tmp_path: Path, release: str
) -> None:
    """The first update after the upgrade creates the state's identity and updates each
    resource in place, marking its objects as the state's: nothing is created again,
    deleted or replaced, and the preview said exactly that. Then the stack is quiet."""
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
    with project.backend() as backend:
        before = _objects(backend)

    del project.env["PYTHONPATH"]
    (project.directory / "__main__.py").write_text((REPO / "__main__.py").read_text())
    planned, taken = project.preview_then_up()
    project.run("preview", "--expect-no-changes")  # after a refresh, as every command

    kinds = {"Tenant", "Subscription", "LicenseAssignment", "TeamAssignments", "PartnerAccess"}
    assert kinds <= applied
    keys = ["tenant", "SUB-1", "admin1@acme.example", "agent1@acme.example", "care"]
    assert (
        planned
        == taken
        == sorted([("create", "state"), *(("update", key) for key in [*keys, "partner-a"])])
    )
    owner = project.owner()
    with project.backend() as backend:
        after = _objects(backend)
        [live] = backend.list_tenants()
        marks = {u.email: u.external_id for u in backend.list_users(live.id)}
        held = _licenses_held(backend.base_url, live.id)
    assert after == before  # the same objects, by id, with the same settings and licenses
    # The database the earlier release wrote serves the vendor's API with the same people.
    assert held == {
        "admin1@acme.example": [("SUB-1", "Contact Center Administrator")],
        "agent1@acme.example": [("SUB-1", "Contact Center Standard Agent")],
        "agent2@acme.example": [("SUB-1", "Contact Center Standard Agent")],
    }
    assert marks == {
        "admin1@acme.example": f"{owner}#user:admin1@acme.example",
        "agent1@acme.example": f"{owner}#user:agent1@acme.example",
        "agent2@acme.example": f"{owner}#team:care",
    }
    assert live.managed_by == owner


def _licenses_held(backend_url: str, tenant_id: str) -> dict[str, list[tuple[str, str]]]:
    """Each person's licenses (subscription and name), as the vendor's own client reads
    them from the backend."""
    webex = WebexAPI(access_token="any-token", base_url=f"{backend_url}/v1/")
    org = vendor_ids.org_id(tenant_id)
    names = {lic.id: (lic.subscriptionId, lic.name) for lic in webex.licenses.list(orgId=org)}
    return {
        person.emails[0]: [names[license_id] for license_id in person.licenses]
        for email in ("admin1@acme.example", "agent1@acme.example", "agent2@acme.example")
        for person in webex.people.list(email=email, orgId=org)
    }


def _objects(backend: ProvisioningClient) -> dict[str, Any]:
    """Every object of the backend by id, without marks and times: what must not change."""
    unstable = {"managed_by", "external_id", "updated_at"}
    found: dict[str, Any] = {}
    for t in backend.list_tenants():
        found[t.id] = t.model_dump(mode="json", exclude=unstable)
        for listed in (
            backend.list_subscriptions(t.id),
            backend.list_users(t.id),
            backend.list_partners(t.id),
        ):
            found.update({o.id: o.model_dump(mode="json", exclude=unstable) for o in listed})
    return found

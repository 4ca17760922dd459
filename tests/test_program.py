"""The program's wiring under `pulumi.runtime.set_mocks`: config in, resources and exports out.

No provider hook runs under mocks; the hooks and the engine are tested elsewhere.
"""

import json
import runpy
from pathlib import Path
from typing import Any

import pulumi
import pytest

PROGRAM = Path(__file__).resolve().parents[1] / "__main__.py"
TENANT_TYPE = "pulumi-python:dynamic/ccprovider:Tenant"


class RecordingMocks(pulumi.runtime.Mocks):
    """Records every registered resource and answers with inputs plus fake computed outputs."""

    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources.append(args)
        return f"{args.name}-id", {**args.inputs, "tenant_id": "t-1", "created_at": "now"}

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}


def run_program(tenant: Any) -> tuple[RecordingMocks, dict[str, Any]]:
    """Run the program under mocks; return the mocks and the program's globals."""
    mocks = RecordingMocks()
    pulumi.runtime.set_mocks(mocks, project="ccprovider", stack="test", preview=False)
    pulumi.runtime.set_all_config({"ccprovider:tenant": json.dumps(tenant)})
    return mocks, runpy.run_path(str(PROGRAM))


@pulumi.runtime.test
def test_the_declared_tenant_becomes_one_tenant_resource() -> pulumi.Output[None]:
    mocks, program = run_program({"name": "acme-test", "offer": "flex", "hybrid": True})

    def check(tenant_id: str) -> None:
        assert tenant_id == "t-1"
        tenants = [r for r in mocks.resources if r.typ == TENANT_TYPE]
        assert [t.name for t in tenants] == ["acme-test"]
        inputs = tenants[0].inputs
        assert {k: inputs[k] for k in ("name", "offer", "hybrid")} == {
            "name": "acme-test",
            "offer": "flex",
            "hybrid": True,
        }

    return program["tenant"].tenant_id.apply(check)


def test_an_invalid_declaration_stops_the_program_with_the_config_path() -> None:
    with pytest.raises(pulumi.RunError, match=r"ccprovider:tenant\.offer"):
        run_program({"name": "acme-test", "offer": "flex4"})

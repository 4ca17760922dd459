"""End-to-end fixtures: the real pulumi CLI, required under CI, never imitated."""

import os
import shutil
from pathlib import Path

import pytest

from tests.e2e.harness import AppliedStacks, Apply, PulumiProject, copy_clone


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in item.nodeid:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def pulumi_cli() -> str:
    """The pulumi binary on PATH: a missing CLI fails under CI and skips elsewhere."""
    binary = shutil.which("pulumi")
    if binary is None:
        message = "the pulumi CLI is not on PATH: run the tests with scripts/test"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return binary


@pytest.fixture(scope="session")
def pulumi_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pulumi-home")


@pytest.fixture
def clone(pulumi_cli: str, tmp_path: Path) -> Path:
    """A user's clone: the project's tracked files, sharing this clone's venv."""
    return copy_clone(tmp_path / "clone")


@pytest.fixture
def project(pulumi_cli: str, pulumi_home: Path, tmp_path: Path) -> PulumiProject:
    return PulumiProject.create(tmp_path / "project", pulumi_home)


@pytest.fixture(scope="session")
def applied_stacks(
    pulumi_cli: str, pulumi_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> AppliedStacks:
    return AppliedStacks(tmp_path_factory.mktemp("applied"), pulumi_home)


@pytest.fixture
def applied(applied_stacks: AppliedStacks, tmp_path: Path) -> Apply:
    """A project of the test's own (stack `e2e`, file state, embedded backend) with a
    declared tenant applied, as after `pulumi up`: a copy of the one the real CLI applied
    first in this test worker."""
    return lambda declared: applied_stacks.copy(declared, tmp_path / "applied")

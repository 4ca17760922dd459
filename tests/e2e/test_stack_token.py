"""The `ccprovider` command reads a stack's secret token through the real pulumi CLI; when
the CLI cannot, the message names the cause it had and the fix for that cause."""

import os
import subprocess
from pathlib import Path

import pytest

from ccprovider.stack_connection import StackConnectionError, stack_client
from ccprovider.stackfile import StackFile


@pytest.fixture
def secret_token_stack(pulumi_cli: str, tmp_path: Path) -> StackFile:
    """A project of its own (no scripts/pulumi) whose stack `dev` holds a secret token."""
    del pulumi_cli
    (tmp_path / "Pulumi.yaml").write_text("name: ccprovider\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text(
        "config:\n  ccprovider:token:\n    secure: v1:c2VjcmV0\n"
    )
    return StackFile.load("dev", tmp_path)


def refusal(stack: StackFile) -> str:
    with pytest.raises(StackConnectionError) as refused:
        stack_client(stack)
    return str(refused.value)


def test_without_a_state_to_read_the_stack_from_the_fix_is_the_state_not_the_passphrase(
    secret_token_stack: StackFile, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    monkeypatch.delenv("CCPROVIDER_TOKEN", raising=False)
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "home"))

    message = refusal(secret_token_stack)

    assert message.startswith("cannot decrypt ccprovider:token of stack dev: ")
    assert "Fix: set PULUMI_BACKEND_URL to the state that holds stack dev" in message
    assert "passphrase" not in message.lower()


def test_a_stack_whose_passphrase_is_not_set_is_told_to_set_it(
    secret_token_stack: StackFile, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    monkeypatch.setenv("PULUMI_BACKEND_URL", f"file://{state}")
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE_FILE", raising=False)
    monkeypatch.delenv("CCPROVIDER_TOKEN", raising=False)
    subprocess.run(
        ["pulumi", "stack", "init", "dev", "--non-interactive"],
        env={**os.environ, "PULUMI_CONFIG_PASSPHRASE": "the stack's own"},
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )

    message = refusal(secret_token_stack)

    assert "Fix: set PULUMI_CONFIG_PASSPHRASE to stack dev's passphrase" in message

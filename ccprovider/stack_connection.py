"""Reaching a stack's backend from outside the engine, as the stack's provider does: its
endpoint, its embedded backend's file and its secret token, which the pulumi CLI decrypts
(the engine does that for the provider)."""

import os
import shutil
import subprocess
from pathlib import Path

from ccprovider.client import ProvisioningClient
from ccprovider.connection import (
    BACKEND_FILE_KEY,
    ENDPOINT_KEY,
    TOKEN_KEY,
    ConnectionSettings,
    connect,
)
from ccprovider.stackfile import StackFile

TOKEN_ENV = "CCPROVIDER_TOKEN"  # noqa: S105 - the variable's name, not a secret


class StackConnectionError(Exception):
    """The stack's backend cannot be reached as configured; the message says why."""


def stack_client(stack: StackFile) -> ProvisioningClient:
    """A client of the stack's backend, with the stack's token (`CCPROVIDER_TOKEN`
    overrides it)."""
    settings = ConnectionSettings(
        endpoint=str(stack.config.get(ENDPOINT_KEY) or "").strip(),
        token=os.environ.get(TOKEN_ENV) or _stack_token(stack),
        backend_file=Path(stack.config.get(BACKEND_FILE_KEY) or ConnectionSettings().backend_file),
    )
    return connect(settings)


def project_dir(stack: StackFile) -> Path:
    """The Pulumi project the stack belongs to: the nearest folder above its config file
    holding a Pulumi.yaml (its config file's folder, if none)."""
    folder = stack.path.resolve().parent
    project = folder
    while not (project / "Pulumi.yaml").exists():
        if project == project.parent:
            return folder
        project = project.parent
    return project


def _stack_token(stack: StackFile) -> str | None:
    """The stack's `ccprovider:token`, decrypted by the pulumi CLI when it is a secret (the
    project's `scripts/pulumi` when there is one, which sets the project's defaults)."""
    value = stack.config.get(TOKEN_KEY)
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    project = project_dir(stack)
    wrapper = project / "scripts" / "pulumi"
    pulumi = str(wrapper) if wrapper.exists() else shutil.which("pulumi")
    if pulumi is None:
        raise StackConnectionError(
            f"{TOKEN_KEY} of stack {stack.stack} is a secret and no pulumi CLI is on PATH to "
            f"decrypt it; set {TOKEN_ENV} instead"
        )
    shown = subprocess.run(  # noqa: S603 - the pulumi CLI, with fixed arguments
        [pulumi, "config", "get", TOKEN_KEY, "--stack", stack.stack],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    if shown.returncode != 0:
        reason = (shown.stderr.strip().splitlines() or ["no reason given"])[-1]
        raise StackConnectionError(_undecrypted(stack.stack, reason.removeprefix("error: ")))
    return shown.stdout.strip() or None


def _undecrypted(stack: str, reason: str) -> str:
    """Why the pulumi CLI could not decrypt the stack's token, and the fix for that cause:
    the passphrase, or the state that holds the stack (the CLI reads the stack from it)."""
    if "passphrase" in reason.lower():
        fix = f"set PULUMI_CONFIG_PASSPHRASE to stack {stack}'s passphrase"
    else:
        fix = (
            f"set PULUMI_BACKEND_URL to the state that holds stack {stack} (scripts/pulumi "
            "uses the project's file state, file://<project>/.pulumi-state)"
        )
    return f"cannot decrypt {TOKEN_KEY} of stack {stack}: {reason}. Fix: {fix}, or set {TOKEN_ENV}"

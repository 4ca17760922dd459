"""A program that the engine stops ends with one line, not a Python traceback.

When a resource fails (a preview's `check` refuses a change), the engine cancels the
deployment, and a registration the program still has in flight gets gRPC `CANCELLED`.
The pinned SDK (pulumi 3.272) turns that into a bare `Exception`, and its program host
then prints "Program failed with an unhandled exception" and a traceback after the
resource's own one-line error. The SDK already treats `UNAVAILABLE` (the engine gone) as
a `RunError`, which ends the program with one line; a cancelled call is the same case.
"""

from typing import NoReturn

import grpc
import pulumi
from pulumi.errors import RunError
from pulumi.runtime import settings

from ccprovider.text import shortened

_sdk_error_to_exception = settings.grpc_error_to_exception

STOPPED = "the engine stopped the program after a resource failed (its error is above)"


def _error_to_exception(exn: grpc.RpcError) -> Exception:
    """The SDK's exception for a failed engine call, but a `RunError` when cancelled."""
    if exn.code() == grpc.StatusCode.CANCELLED:
        return RunError(STOPPED)
    return _sdk_error_to_exception(exn)


def end_quietly_when_stopped() -> None:
    """Make a registration cancelled by the engine end the program with one line."""
    settings.grpc_error_to_exception = _error_to_exception


SHOWN_TO_USER = 32
"""The exit code that tells Pulumi's Python language host the program has shown the user
its error: the engine then adds no "an unhandled error occurred" line of its own."""


def stop(message: str) -> NoReturn:
    """End the program with `message` as its one error (each line cut to a readable
    length: a message may quote a value of any size)."""
    pulumi.log.error("\n".join(shortened(line, 400) for line in message.splitlines()))
    raise SystemExit(SHOWN_TO_USER)

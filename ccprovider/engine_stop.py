"""A program ends with its one error line, never a Python traceback or a line of the
engine's own after it.

When a resource fails (a preview's `check` refuses a change), the engine shows its error
and stops the deployment: a registration the program still has in flight gets gRPC
`CANCELLED`, or `UNAVAILABLE` once the engine's resource monitor is gone. The pinned SDK
turns the first into a bare `Exception` (its program host prints "Program failed with an
unhandled exception" and a traceback) and the second into "Resource monitor has
terminated, shutting down"; both add lines after the error that says it all. The program
exits instead, with the code that tells the language host its error is shown.
"""

from typing import NoReturn

import grpc
import pulumi
from pulumi.runtime import settings

from ccprovider.text import shortened

_sdk_error_to_exception = settings.grpc_error_to_exception


class EngineStopped(SystemExit):
    """The engine stopped the program after a resource failed; the engine showed why."""


def _error_to_exception(exn: grpc.RpcError) -> Exception:
    """The SDK's exception for a failed engine call, but a quiet exit when the engine
    stopped the deployment (raised where the SDK raises what this returns)."""
    if exn.code() in (grpc.StatusCode.CANCELLED, grpc.StatusCode.UNAVAILABLE):
        return EngineStopped(SHOWN_TO_USER)  # type: ignore[return-value]
    return _sdk_error_to_exception(exn)


def end_quietly_when_stopped() -> None:
    """Make a registration the engine stopped end the program without a line of its own."""
    settings.grpc_error_to_exception = _error_to_exception


SHOWN_TO_USER = 32
"""The exit code that tells Pulumi's Python language host the program has shown the user
its error: the engine then adds no "an unhandled error occurred" line of its own."""


class ProgramStopped(SystemExit):
    """The program refused its declaration; the message is shown already."""

    def __init__(self, message: str) -> None:
        super().__init__(SHOWN_TO_USER)
        self.message = message

    def __str__(self) -> str:
        return self.message


def stop(message: str) -> NoReturn:
    """End the program with `message` as its one error (each line cut to a readable
    length: a message may quote a value of any size)."""
    pulumi.log.error("\n".join(shortened(line, 400) for line in message.splitlines()))
    raise ProgramStopped(message)

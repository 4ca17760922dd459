"""A registration that the engine stops (because another resource failed) ends the program
without a line of its own: the engine has shown the resource's error."""

import grpc
import pytest
from pulumi.errors import RunError
from pulumi.runtime import settings

from ccprovider.engine_stop import SHOWN_TO_USER, end_quietly_when_stopped


class FailedCall(grpc.RpcError):  # type: ignore[misc]  # grpc is untyped
    """What gRPC raises for a failed call: an error that also tells its status code."""

    def __init__(self, code: grpc.StatusCode) -> None:
        super().__init__()
        self._code = code

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return f"{self._code.name.lower()} by the engine"


@pytest.mark.parametrize("code", [grpc.StatusCode.CANCELLED, grpc.StatusCode.UNAVAILABLE])
def test_a_registration_the_engine_stopped_ends_the_program_quietly(
    code: grpc.StatusCode,
) -> None:
    """The engine shows the failed resource's error; the program adds no line after it."""
    end_quietly_when_stopped()

    with pytest.raises(SystemExit) as stopped:
        settings.handle_grpc_error(FailedCall(code))

    assert stopped.value.code == SHOWN_TO_USER


def test_other_failed_calls_keep_the_sdks_own_errors() -> None:
    end_quietly_when_stopped()

    with pytest.raises(Exception, match="unknown by the engine") as failed:
        settings.handle_grpc_error(FailedCall(grpc.StatusCode.UNKNOWN))
    assert not isinstance(failed.value, RunError)

"""A registration that the engine cancels (because another resource failed) ends the
program with one line: the SDK's program host prints a traceback for any other exception."""

import grpc
import pytest
from pulumi.errors import RunError
from pulumi.runtime import settings

from ccprovider.engine_stop import STOPPED, end_quietly_when_stopped


class FailedCall(grpc.RpcError):  # type: ignore[misc]  # grpc is untyped
    """What gRPC raises for a failed call: an error that also tells its status code."""

    def __init__(self, code: grpc.StatusCode) -> None:
        super().__init__()
        self._code = code

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return f"{self._code.name.lower()} by the engine"


def test_a_cancelled_registration_is_a_run_error_of_one_line() -> None:
    end_quietly_when_stopped()

    with pytest.raises(RunError) as stopped:
        settings.handle_grpc_error(FailedCall(grpc.StatusCode.CANCELLED))

    assert str(stopped.value) == STOPPED


def test_other_failed_calls_keep_the_sdks_own_errors() -> None:
    end_quietly_when_stopped()

    with pytest.raises(RunError, match="Resource monitor has terminated"):
        settings.handle_grpc_error(FailedCall(grpc.StatusCode.UNAVAILABLE))
    with pytest.raises(Exception, match="unknown by the engine") as failed:
        settings.handle_grpc_error(FailedCall(grpc.StatusCode.UNKNOWN))
    assert not isinstance(failed.value, RunError)

"""Hook failures a user can act on become one line; a bug keeps its traceback."""

import sys
import types

import pytest
import requests

from ccprovider.api_errors import ApiError, NotFoundError, UnauthorizedError
from ccprovider.client import AnswerTimeoutError
from ccprovider.resources import failures
from ccprovider.resources.failures import ProviderError, explained


def refusal(kind: type[ApiError], status: int) -> Exception:
    return kind(
        method="POST",
        path="/v1/simulator/tenants",
        status=status,
        message="refused",
        details=["refused", "more"],
        tracking_id="trk-1",
    )


def test_a_refusal_names_resource_status_message_tracking_id_and_fix() -> None:
    error = explained(refusal(UnauthorizedError, 401), "Tenant 'acme'", "http://b.test")

    assert str(error) == (
        "Tenant 'acme': http://b.test answered POST /v1/simulator/tenants with 401: refused more, "
        "trackingId trk-1. Fix: set the stack's token: `pulumi config set --secret "
        "ccprovider:token <token>` (the backend knows no such token, or none was sent)."
    )


def test_a_missing_object_is_told_to_check_the_endpoint_not_the_declaration() -> None:
    error = explained(refusal(NotFoundError, 404), "User 'a@acme.example'", "http://b.test")

    assert str(error).endswith(
        "Fix: if ccprovider:endpoint changed since the stack's last update, set it back to the "
        "backend that holds the stack's objects; if they were deleted there, remove them from "
        "the stack with `pulumi state delete`."
    )


def test_an_unreachable_backend_and_a_bug_are_told_apart() -> None:
    unreachable = explained(requests.ConnectionError("refused"), "Tenant 'acme'", "http://b")

    assert "cannot be reached (9 tries)" in str(unreachable)
    assert explained(KeyError("bug"), "Tenant 'acme'", "http://b") is None


def test_a_read_the_backend_is_still_computing_is_not_told_as_unreachable() -> None:
    slow = AnswerTimeoutError(
        "GET /v1/simulator/tenants/t-1: the backend gave no answer. Fix: wait"
    )

    error = explained(slow, "Tenant 'acme'", "http://b")

    assert (
        str(error)
        == "Tenant 'acme': GET /v1/simulator/tenants/t-1: the backend gave no answer. Fix: wait."
    )


def test_the_provider_host_reports_a_provider_error_as_its_message_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    host = types.ModuleType("__main__")
    host._abort_with_traceback = object()  # type: ignore[attr-defined]
    host.traceback = __import__("traceback")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "__main__", host)

    failures.report_provider_errors_as_one_line()

    try:
        raise ProviderError("Tenant 'acme': one line. Fix: this.")
    except ProviderError:
        assert host.traceback.format_exc() == "Tenant 'acme': one line. Fix: this."
    try:
        raise KeyError("a bug")
    except KeyError:
        assert host.traceback.format_exc().startswith("Traceback (most recent call last):")


def test_a_malformed_endpoint_is_named_as_a_settings_error() -> None:
    error = explained(requests.exceptions.MissingSchema("no scheme"), "Tenant 'acme'", "host:1")

    assert "connection settings are malformed" in str(error)
    assert "ccprovider:endpoint" in str(error)

"""What a user sees when a hook fails: one line naming the resource, the cause and the fix.

The Python dynamic-provider host sends the engine `traceback.format_exc()` of any failing
hook, so a refused call read as 20 to 100 lines of traceback. Hooks turn the failures a user
can act on (a refusal by the API, a backend out of reach, a broken rule) into a
`ProviderError` whose message is the whole story, and the host reports that message alone.
Anything else is a bug in ccprovider and keeps its traceback.
"""

import functools
import sys
import traceback
from collections.abc import Callable
from types import ModuleType
from typing import Any, TypeVar

import requests

from ccprovider.api_errors import (
    ApiError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    UnauthorizedError,
)
from ccprovider.client import RETRIES, AnswerTimeoutError
from ccprovider.connection import ENDPOINT_KEY, TOKEN_KEY

F = TypeVar("F", bound=Callable[..., Any])


class ProviderError(Exception):
    """A failure of a hook that the user can act on; the engine shows its message alone."""


_MALFORMED = (
    requests.exceptions.InvalidURL,
    requests.exceptions.InvalidSchema,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidHeader,
)
"""What requests raises, without trying, for an endpoint or token that cannot be sent."""


def _fix(error: ApiError) -> str:
    """What to do about a refusal of the API, by its kind."""
    if isinstance(error, UnauthorizedError):
        return (
            f"set the stack's token: `pulumi config set --secret {TOKEN_KEY} <token>` (the "
            "backend knows no such token, or none was sent)"
        )
    if isinstance(error, ForbiddenError):
        return f"use a {TOKEN_KEY} whose role may make this change"
    if isinstance(error, RateLimitedError | ServerError):
        return f"the backend kept failing through {RETRIES} retries; run the command again later"
    if isinstance(error, NotFoundError):
        return (
            f"if {ENDPOINT_KEY} changed since the stack's last update, set it back to the "
            "backend that holds the stack's objects; if they were deleted there, remove them "
            "from the stack with `pulumi state delete`"
        )
    return "change the declaration as the message says, then run the command again"


def explained(failure: Exception, resource: str, backend: str) -> ProviderError | None:
    """The one-line error a user sees for `failure` of `resource`, or None for a bug."""
    if isinstance(failure, ProviderError):
        return failure
    if isinstance(failure, ApiError):
        tracking = f", trackingId {failure.tracking_id}" if failure.tracking_id else ""
        details = " ".join(d for d in failure.details if d != failure.message)
        return ProviderError(
            f"{resource}: {backend} answered {failure.method} {failure.path} with "
            f"{failure.status}: {failure.message}{' ' + details if details else ''}"
            f"{tracking}. Fix: {_fix(failure)}."
        )
    if isinstance(failure, _MALFORMED):
        return ProviderError(
            f"{resource}: the stack's connection settings are malformed ({failure}). Fix: "
            "set ccprovider:endpoint to a URL such as http://host:8080 and ccprovider:token "
            "to the bare token."
        )
    if isinstance(failure, requests.ConnectionError | requests.Timeout):
        cause = (
            str(failure)  # reached, and still computing the answer: the message says so
            if isinstance(failure, AnswerTimeoutError)
            else f"the backend at {backend} cannot be reached ({RETRIES + 1} tries). Fix: "
            "check ccprovider:endpoint, or start the backend, then run the command again"
        )
        return ProviderError(f"{resource}: {cause}.")
    if isinstance(failure, requests.RequestException):
        return ProviderError(
            f"{resource}: the backend at {backend} broke off its answers through every retry "
            f"({type(failure).__name__}). Fix: run the command again later; if it persists, "
            "check the backend."
        )
    return None


def reported(hook: F, describe: Callable[[Any, tuple[Any, ...]], tuple[str, str]]) -> F:
    """`hook` raising, instead of what it raised, the one-line error a user can act on;
    `describe(self, args)` names the resource and the backend for the message."""

    @functools.wraps(hook)
    def run(self: Any, *args: Any) -> Any:
        try:
            return hook(self, *args)
        except Exception as failure:
            resource, backend = describe(self, args)
            error = explained(failure, resource, backend)
            if error is None:
                raise
            raise error from None

    return run  # type: ignore[return-value]


class _MessagesOfProviderErrors(ModuleType):
    """`traceback` as the dynamic-provider host uses it, except that a `ProviderError` is
    formatted as its message alone."""

    def __init__(self) -> None:
        super().__init__("traceback")

    def __getattr__(self, name: str) -> Any:
        return getattr(traceback, name)

    @staticmethod
    def format_exc(limit: int | None = None, chain: bool = True) -> str:
        failure = sys.exception()
        if isinstance(failure, ProviderError):
            return str(failure)
        return traceback.format_exc(limit, chain)


def report_provider_errors_as_one_line() -> None:
    """In the dynamic-provider host (the `__main__` module that reports failing hooks),
    report a `ProviderError` as its message alone; elsewhere, do nothing."""
    host = sys.modules.get("__main__")
    if host is not None and hasattr(host, "_abort_with_traceback"):
        host.traceback = _MessagesOfProviderErrors()  # type: ignore[attr-defined]

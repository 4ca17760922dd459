"""Errors the backend answers with, each mapped to one HTTP status."""

from ccprovider.contract import ErrorDetail


class BackendError(Exception):
    """A request the backend refuses; `status` is the HTTP status it answers with."""

    status = 500
    retry_after: int | None = None
    """Seconds after which the same request may succeed, answered as `Retry-After`."""

    def __init__(self, message: str, *details: str | ErrorDetail) -> None:
        """`details` say what to do; one given as an `ErrorDetail` carries the vendor's
        `errorCode` for clients that act on it."""
        super().__init__(message)
        self.message = message
        self.details: list[str | ErrorDetail] = list(details) or [message]


class BadRequestError(BackendError):
    """The request is malformed or its values are invalid."""

    status = 400


class UnauthorizedError(BackendError):
    """No valid bearer token."""

    status = 401


class ForbiddenError(BackendError):
    """The token's role does not allow this request."""

    status = 403


class NotFoundError(BackendError):
    """The addressed object does not exist."""

    status = 404


class ConflictError(BackendError):
    """The request conflicts with existing state: a duplicate natural key or a vendor rule."""

    status = 409


class PreconditionFailedError(BackendError):
    """The object changed since the client read it (`If-Match` does not match its ETag)."""

    status = 412


class PayloadTooLargeError(BackendError):
    """The request carries more than the API takes in one request."""

    status = 413


class TooManyRequestsError(BackendError):
    """The client exceeded the rate limit; it may retry after `retry_after` seconds."""

    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many requests: retry after {retry_after} second(s).")
        self.retry_after = retry_after


class UnavailableError(BackendError):
    """The backend's database cannot be reached (it is down, restarting or out of
    connections); the client may retry after `retry_after` seconds."""

    status = 503

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"The backend's database cannot be reached: retry after {retry_after} second(s).",
            "The backend answers again as soon as its database is back.",
        )
        self.retry_after = retry_after

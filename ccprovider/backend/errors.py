"""Errors raised by the backend's storage and rules, each mapped to one HTTP status."""


class BackendError(Exception):
    """A request the backend refuses; `status` is the HTTP status it answers with."""

    status = 500

    def __init__(self, message: str, *details: str) -> None:
        super().__init__(message)
        self.message = message
        self.details = list(details) or [message]


class BadRequestError(BackendError):
    """The request is malformed or its values are invalid."""

    status = 400


class NotFoundError(BackendError):
    """The addressed object does not exist."""

    status = 404


class ConflictError(BackendError):
    """The request conflicts with existing state, such as a duplicate natural key."""

    status = 409

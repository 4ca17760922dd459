"""The errors a `ProvisioningClient` raises, one class per kind of refusal the API answers.

    ApiError                   the API refused a call (any status of 400 and above)
    ├── BadRequestError        400, 422: the request's values are invalid
    ├── UnauthorizedError      401: no valid bearer token
    ├── ForbiddenError         403: the token's role does not allow the call
    ├── NotFoundError          404: the addressed object does not exist
    ├── ConflictError          409: a duplicate natural key, or a vendor rule refuses it
    ├── PreconditionFailedError 412: the object changed since it was read (If-Match)
    ├── RateLimitedError       429: still rate limited after the client's retries
    └── ServerError            5xx: the backend failed, after the client's retries

They mirror the backend's own error kinds, so callers catch a kind, never a status number.
Every error carries what was called, the status, the vendor's message, its details and
the tracking id that support asks for.
"""


class ApiError(Exception):
    """The API refused a call: what was called, the status, the vendor's message and tracking id."""

    def __init__(
        self,
        *,
        method: str,
        path: str,
        status: int,
        message: str,
        details: list[str],
        tracking_id: str,
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.message = message
        self.details = details
        self.tracking_id = tracking_id
        extra = [d for d in details if d != message]
        text = f"{method} {path} answered {status}: {message}"
        if extra:
            text += " " + " ".join(extra)
        if tracking_id:
            text += f" (trackingId {tracking_id})"
        super().__init__(text)

    @property
    def reason(self) -> str:
        """What the backend said, without the call it refused."""
        return " ".join(dict.fromkeys([self.message, *self.details]))


class BadRequestError(ApiError):
    """400 or 422: the request's values are invalid."""


class UnauthorizedError(ApiError):
    """401: no valid bearer token."""


class ForbiddenError(ApiError):
    """403: the token's role does not allow the call."""


class NotFoundError(ApiError):
    """404: the addressed object does not exist."""


class ConflictError(ApiError):
    """409: another object holds the natural key, or a vendor rule refuses the change."""


class PreconditionFailedError(ApiError):
    """412: the object changed since it was read; read it again and retry."""


class RateLimitedError(ApiError):
    """429: the rate limit held through every retry the client made."""


class ServerError(ApiError):
    """5xx: the backend failed, through every retry the client made."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    412: PreconditionFailedError,
    422: BadRequestError,
    429: RateLimitedError,
}


def error_class(status: int) -> type[ApiError]:
    """The error class of an answer's status."""
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, ApiError)

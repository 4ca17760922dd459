"""The vendor's SCIM 2.0 bulk route, `POST /identity/scim/{orgId}/v2/Bulk`: up to 100
creates, PATCHes and deletes of users in one request, each applied on its own as its own
call would be (RFC 7644, section 3.7), with `version` as its `If-Match`.

A bulk is not atomic: each operation's outcome is its own, and after `failOnErrors`
failures the rest are left undone and unanswered. References to another operation's
`bulkId` inside `data` are not resolved."""

from typing import Any, TypeVar

from fastapi import APIRouter, Request
from pydantic import BaseModel, ValidationError

from ccprovider.backend.errors import BackendError, BadRequestError, PayloadTooLargeError
from ccprovider.backend.http import (
    describe_validation_error,
    error_body,
    expected_version,
    request_key,
)
from ccprovider.backend.routes.scim import OrgId, ScimUsers
from ccprovider.backend.service import ProvisioningService
from ccprovider.scim_contract import (
    BULK_MAX_OPERATIONS,
    BULK_REQUEST_SCHEMA,
    ScimBulkOperation,
    ScimBulkOperationResult,
    ScimBulkRequest,
    ScimBulkResponse,
    ScimPatch,
    ScimUser,
    ScimUserBody,
)

USERS_PATH = "/Users"
M = TypeVar("M", bound=BaseModel)


def _data(model: type[M], operation: ScimBulkOperation) -> M:
    """The operation's `data` as `model`; 400 naming what is wrong with it."""
    data = operation.data
    try:
        if isinstance(data, str):
            return model.model_validate_json(data)
        return model.model_validate(data)
    except ValidationError as invalid:
        details = [describe_validation_error(e) for e in invalid.errors()]
        raise BadRequestError(
            f"The data of {operation.method} {operation.path} is invalid.", *details
        ) from None


def _user_id(operation: ScimBulkOperation) -> str:
    """The user a PATCH or DELETE addresses: its path is `/Users/{id}`."""
    prefix = f"{USERS_PATH}/"
    user_id = operation.path.removeprefix(prefix)
    if not operation.path.startswith(prefix) or not user_id or "/" in user_id:
        raise BadRequestError(
            f"{operation.method} path {operation.path!r} does not name a user.",
            f"Use {prefix}<id>.",
        )
    return user_id


class _Bulk:
    """One bulk request's operations, applied in order."""

    def __init__(self, users: ScimUsers, request: Request, org: str) -> None:
        self.users, self.request, self.org = users, request, org
        self.key = request_key(request)

    def apply(self, operation: ScimBulkOperation) -> ScimBulkOperationResult:
        """What the operation did, or why it was refused, as its own call would answer."""
        try:
            return self._applied(operation)
        except BackendError as refused:
            return ScimBulkOperationResult(
                method=operation.method,
                bulk_id=operation.bulk_id,
                status=str(refused.status),
                response=error_body(refused).model_dump(by_alias=True, exclude_none=True),
            )

    def _applied(self, operation: ScimBulkOperation) -> ScimBulkOperationResult:
        if operation.method == "DELETE":
            self.users.delete(
                self.request, self.org, _user_id(operation), expected_version(operation.version)
            )
            return ScimBulkOperationResult(
                method=operation.method, bulk_id=operation.bulk_id, status="204"
            )
        if operation.method == "POST":
            if operation.path != USERS_PATH:
                raise BadRequestError(
                    f"POST path {operation.path!r} is not {USERS_PATH}.",
                    "Only users are created here.",
                )
            if operation.bulk_id is None:
                raise BadRequestError("A POST operation needs a bulkId.")
            # Each create is recognized on a retry of the bulk by the bulk's key and its id.
            key = f"{self.key}#{operation.bulk_id}" if self.key else None
            body = _data(ScimUserBody, operation)
            user, new = self.users.create(self.request, self.org, body, key)
            return self._result(operation, user, "201" if new else "200")
        patch = _data(ScimPatch, operation)
        user_id = _user_id(operation)
        user = self.users.patch(
            self.request, self.org, user_id, patch, expected_version(operation.version)
        )
        return self._result(operation, user, "200")

    @staticmethod
    def _result(
        operation: ScimBulkOperation, user: ScimUser, status: str
    ) -> ScimBulkOperationResult:
        return ScimBulkOperationResult(
            method=operation.method,
            bulk_id=operation.bulk_id,
            location=user.meta.location,
            version=user.meta.version,
            status=status,
            response=user.model_dump(mode="json", by_alias=True, exclude_none=True),
        )


def router(service: ProvisioningService) -> APIRouter:
    routes = APIRouter(prefix="/identity/scim/{orgId}/v2", tags=["webex: SCIM 2 users"])
    users = ScimUsers(service)

    @routes.post("/Bulk", response_model=ScimBulkResponse, response_model_exclude_none=True)
    def bulk(org: OrgId, body: ScimBulkRequest, request: Request) -> Any:
        users.tenant(request, org)  # a caller who may not reach the org learns nothing more
        if BULK_REQUEST_SCHEMA not in body.schemas:
            raise BadRequestError(f"schemas must include {BULK_REQUEST_SCHEMA}.")
        if len(body.operations) > BULK_MAX_OPERATIONS:
            raise PayloadTooLargeError(
                f"The bulk request has {len(body.operations)} operations; "
                f"at most {BULK_MAX_OPERATIONS} are allowed.",
                f"Send them in requests of {BULK_MAX_OPERATIONS} or fewer.",
            )
        applying = _Bulk(users, request, org)
        results: list[ScimBulkOperationResult] = []
        failures = 0
        for operation in body.operations:
            result = applying.apply(operation)
            results.append(result)
            failures += int(result.status) >= 400
            if body.fail_on_errors is not None and failures >= body.fail_on_errors:
                break
        return ScimBulkResponse(operations=results)

    return routes

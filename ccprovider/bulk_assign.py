"""Users assigned, released or deleted in bulk through the vendor's own calls: SCIM to
create (the new ones 100 to a request, through SCIM's bulk route), re-mark and delete a
user, the license PATCH to license them.

Each user's part applies on its own, so one refused user does not hold back the others,
and is guarded as the backend's bulk request once guarded it: a change of who a user is
or whose they are applies only while the user is still the version the listing found
(SCIM's `If-Match`), so a user another client took since is left alone. A part whose
license change is refused is put back as it was (a user it created is deleted again),
so that nothing is half-applied.
"""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Literal, Self

from pydantic import model_validator

from ccprovider import contract
from ccprovider.api_errors import ApiError, NotFoundError, PreconditionFailedError
from ccprovider.contract import ExternalId
from ccprovider.domain import AgentProfile, CamelModel, Email, Text, UserRole, email_key
from ccprovider.vendor_users import LicenseBook, Listed, identity

if TYPE_CHECKING:
    from ccprovider.client import ProvisioningClient


class BulkAction(StrEnum):
    """What a bulk assignment does with one user."""

    ASSIGN = "assign"
    """Create the user if missing, set who they are and give them exactly one license."""
    RELEASE = "release"
    """Take away every license and re-mark the user, only while they carry `ifExternalId`."""
    DELETE = "delete"
    """Delete the user, only while they carry `ifExternalId`."""
    LICENSE = "license"
    """Give a person of the directory the role and exactly one license; never create them
    or change whose they are (a license rule's people)."""
    UNLICENSE = "unlicense"
    """Take `license` from a person who holds it; nothing else."""


class BulkAssignment(CamelModel):
    """One user's part of a bulk assignment. Preconditions make each part safe to repeat and
    safe against another manager: `ifExternalIdPrefix` (assign: an existing user must carry
    a mark with this prefix) and `ifExternalId` (release, delete: the user must carry it)."""

    action: BulkAction
    email: Email
    role: UserRole | None = None
    agent_profile: AgentProfile | None = None
    external_id: ExternalId | None = None
    license: Text | None = None
    if_external_id: ExternalId | None = None
    if_external_id_prefix: ExternalId | None = None
    or_unmarked: bool = False
    """With `if_external_id_prefix`, assign also a user who carries no mark at all."""

    @model_validator(mode="after")
    def _fields_fit_the_action(self) -> Self:
        licensing = (BulkAction.ASSIGN, BulkAction.LICENSE)
        if self.action in licensing and (self.role is None or self.license is None):
            raise ValueError(f"{self.action.value} {self.email}: role and license are required")
        if self.action is BulkAction.UNLICENSE and self.license is None:
            raise ValueError(f"unlicense {self.email}: license is required")
        guarded = (BulkAction.RELEASE, BulkAction.DELETE)
        if self.action in guarded and self.if_external_id is None:
            raise ValueError(f"{self.action.value} {self.email}: ifExternalId is required")
        return self

    def identity(self) -> contract.UserBody:
        """The user an assignment declares."""
        return contract.UserBody(
            email=self.email,
            role=self.role,
            agent_profile=self.agent_profile,
            external_id=self.external_id,
        )


BulkStatus = Literal["created", "updated", "deleted", "skipped", "error"]


class BulkAssignmentResult(CamelModel):
    """The outcome of one user's part: `skipped` when its precondition did not hold (someone
    else manages the user now, or the user is gone), `error` with the reason when refused."""

    email: Email
    action: BulkAction
    status: BulkStatus
    description: str | None = None
    previous_external_id: str | None = None
    user: contract.User | None = None


_Outcome = tuple[BulkStatus, contract.User | None, str | None]
"""A part's status, the user it leaves (None: deleted or never made) and why it failed or
was skipped."""

_USERS_AT_ONCE = 4
"""How many users' parts are under way at once: each is a few calls that wait on the
backend, and parts name distinct users, so they need no order among them."""

_TRIES = 3
"""How often an assignment is decided again on a user that changed under it."""

_GONE_OR_TAKEN = "The user is gone or managed by another client now."


def assign_in_bulk(
    client: "ProvisioningClient", tenant_id: str, parts: list[BulkAssignment]
) -> list[BulkAssignmentResult]:
    """Apply each part, in order, against one listing of the tenant's users; every part's
    outcome. A refusal of one user's call is that user's outcome; the tenant gone, the
    backend unreachable or a refused token end the whole."""
    if not parts:
        return []
    book = client.license_book(tenant_id)
    listing = client.listed_users(tenant_id, book=book)
    listed = {email_key(found.user.email): found for found in listing}
    calls = _Calls(client, tenant_id, book)
    new = [
        part
        for part in parts
        if part.action is BulkAction.ASSIGN and email_key(part.email) not in listed
    ]
    made = dict(
        zip(
            (email_key(part.email) for part in new),
            client.create_new_users(tenant_id, [part.identity() for part in new]),
            strict=True,
        )
    )

    def outcome(part: BulkAssignment) -> BulkAssignmentResult:
        found = listed.get(email_key(part.email))
        try:
            status, user, why = _apply(calls, part, found, made.get(email_key(part.email)))
        except NotFoundError:
            status, user, why = "skipped", None, _GONE_OR_TAKEN
        except ApiError as refused:
            if refused.status >= 500 or refused.status in (401, 403):
                raise
            status, user, why = "error", found.user if found else None, refused.reason
        return BulkAssignmentResult(
            email=part.email,
            action=part.action,
            status=status,
            description=why,
            previous_external_id=found.user.external_id if found else None,
            user=user,
        )

    with ThreadPoolExecutor(_USERS_AT_ONCE) as pool:
        return list(pool.map(outcome, parts))


@dataclass(frozen=True)
class _Calls:
    """The vendor's calls of one bulk: on one tenant, its licenses read once."""

    client: "ProvisioningClient"
    tenant_id: str
    book: LicenseBook

    def listed(self, email: str) -> Listed | None:
        return self.client.listed_user(self.tenant_id, email, self.book)

    def create(self, body: contract.UserBody, salt: str) -> contract.User:
        return self.client.create_user(self.tenant_id, body, salt, self.book)

    def change(
        self, user: contract.User, body: contract.UserBody, version: str | None = None
    ) -> contract.User:
        return self.client.replace_user(self.tenant_id, user.id, body, version, self.book)

    def delete(self, user: contract.User, version: str | None = None) -> None:
        self.client.delete_user(self.tenant_id, user.id, version)

    def license(
        self, user: contract.User, operations: list[contract.LicenseOperation]
    ) -> tuple[contract.User, list[str]]:
        return self.client.change_licenses(self.tenant_id, user, operations, self.book)


def _apply(
    calls: _Calls, part: BulkAssignment, found: Listed | None, made: contract.User | None
) -> _Outcome:
    """The part applied to the user as `found` (`made`: created for it already). An
    assignment whose user changed since (another resource of the stack releasing them in
    the same update, say) is decided again on the user as they are then, as often as
    `_TRIES` allows; a release or delete leaves them to whoever changed them."""
    retried = (BulkAction.ASSIGN, BulkAction.LICENSE)
    for _ in range(_TRIES):
        try:
            if part.action is BulkAction.ASSIGN:
                return _assign(calls, part, found, made)
            if part.action is BulkAction.LICENSE:
                return _license(calls, part, found)
            if part.action is BulkAction.UNLICENSE:
                return _unlicense(calls, part, found)
            return _release(calls, part, found)
        except PreconditionFailedError:
            if part.action not in retried:
                return "skipped", found.user if found else None, _GONE_OR_TAKEN
            found = calls.listed(part.email)
    why = f"User {part.email} kept changing while this ran: run it again."
    return "error", found.user if found else None, why


def _release(calls: _Calls, part: BulkAssignment, found: Listed | None) -> _Outcome:
    """Release or delete the user, while they still carry the caller's mark.

    A release takes the licenses first and re-marks the user after, only while they are
    as it read them then: a release cut off half-way leaves a user who still carries the
    caller's mark and holds no license, which the caller's next read shows as drift. The
    license PATCH has no version to guard it, so a user taken over before it is given
    back what it took."""
    if found is None or found.user.external_id != part.if_external_id:
        return "skipped", found.user if found else None, _GONE_OR_TAKEN
    user = found.user
    if part.action is BulkAction.DELETE:
        calls.delete(user, found.version)
        return "deleted", None, None
    if user.licenses:
        _, failures = calls.license(user, [_remove(held) for held in user.licenses])
        if failures:
            return "error", user, "; ".join(failures)
    now = calls.listed(part.email)
    if now is None:
        return "skipped", None, _GONE_OR_TAKEN
    if now.user.external_id == part.if_external_id:
        marked = identity(now.user).model_copy(update={"external_id": part.external_id})
        try:
            return "updated", calls.change(now.user, marked, now.version), None
        except PreconditionFailedError:
            now = calls.listed(part.email)
    if now is not None:
        taken = [_add(held) for held in user.licenses if held not in now.user.licenses]
        if taken:
            calls.license(now.user, taken)
    return "skipped", now.user if now else None, _GONE_OR_TAKEN


def _assign(
    calls: _Calls, part: BulkAssignment, found: Listed | None, made: contract.User | None
) -> _Outcome:
    """Create (unless `made` already) or change the user so that they hold exactly the
    wanted license."""
    wanted = part.license or ""
    if found is None:
        created = made or calls.create(part.identity(), salt=part.external_id or "")
        status, user, why = _licensed(calls, created, wanted, lambda: calls.delete(created))
        return ("created" if status == "updated" else status), user, why
    user = found.user
    refusal = _ownership_refusal(part, user)
    if refusal is not None:
        return "error", user, refusal
    if identity(user) == part.identity():
        return _licensed(calls, user, wanted, lambda: None)
    changed = calls.change(user, part.identity(), found.version)
    return _licensed(calls, changed, wanted, lambda: calls.change(user, identity(user)))


def _license(calls: _Calls, part: BulkAssignment, found: Listed | None) -> _Outcome:
    """Give a person of the directory the part's role and exactly its license; a person no
    longer in the directory is skipped. A role change comes first: the backend switches a
    license the person holds to the new kind, so they keep access throughout."""
    if found is None:
        return "skipped", None, f"{part.email} is no longer in the org's directory."
    user = found.user
    wanted = identity(user).model_copy(
        update={"role": part.role, "agent_profile": part.agent_profile}
    )
    if identity(user) == wanted:
        return _licensed(calls, user, part.license, lambda: None)
    changed = calls.change(user, wanted, found.version)
    return _licensed(calls, changed, part.license, lambda: calls.change(changed, identity(user)))


def _unlicense(calls: _Calls, part: BulkAssignment, found: Listed | None) -> _Outcome:
    """Take the part's license from the person, if they still hold it."""
    if found is None or part.license not in found.user.licenses:
        return "skipped", found.user if found else None, "They no longer hold the license."
    user, failures = calls.license(found.user, [_remove(part.license or "")])
    if failures:
        return "error", found.user, "; ".join(failures)
    return "updated", user, None


def _ownership_refusal(part: BulkAssignment, user: contract.User) -> str | None:
    """Why the part may not take the user (`ifExternalIdPrefix`, `orUnmarked`); None if it
    may."""
    prefix, mark = part.if_external_id_prefix, user.external_id
    if prefix is None or (mark or "").startswith(prefix):
        return None
    if mark:
        return f"User {part.email} carries another client's mark '{mark}'."
    if part.or_unmarked:
        return None
    return (
        f"User {part.email} already exists (id {user.id}) and is not managed by this client: "
        "adopt it explicitly."
    )


def _licensed(
    calls: _Calls, user: contract.User, wanted: str | None, undo: Callable[[], object]
) -> _Outcome:
    """`user` holding exactly `wanted` (None: no license), in one license PATCH; when it is
    refused, `undo` puts back what the part changed before, and the part fails with the
    reasons, so that nothing is half-applied."""
    keep = [wanted] if wanted else []
    if user.licenses == keep:
        return "updated", user, None
    operations = [_add(kept) for kept in keep if kept not in user.licenses]
    operations += [_remove(held) for held in user.licenses if held not in keep]
    licensed, failures = calls.license(user, operations)
    if not failures:
        return "updated", licensed, None
    undo()
    return "error", None, "; ".join(failures)


def _add(license_id: str) -> contract.LicenseOperation:
    return contract.LicenseOperation(id=license_id, operation="add")


def _remove(license_id: str) -> contract.LicenseOperation:
    return contract.LicenseOperation(id=license_id, operation="remove")

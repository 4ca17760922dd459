"""One user's part of a bulk assignment: create or update the user with exactly one
license, or release or delete them while they still carry the caller's mark."""

from datetime import date

from ccprovider import contract, rules
from ccprovider.backend.service.common import USER, now
from ccprovider.backend.service.users import (
    delete_user_record,
    kept_profile,
    license_offer,
    look_alike_problem,
    no_such_license,
    remember_look,
    user_view,
)
from ccprovider.backend.storage import Record, Transaction
from ccprovider.contract import BulkAction

_Outcome = tuple[contract.BulkStatus, Record | None, str | None]
"""A part's status, the user it leaves (None: deleted) and why it failed or was skipped."""


def bulk_part(
    tx: Transaction, tenant_id: str, part: contract.BulkAssignment, today: date
) -> contract.BulkAssignmentResult:
    """Apply one user's part; a part that cannot apply changes nothing and says why."""
    record = tx.find(USER, tenant_id, part.email)
    previous = record.body.get("external_id") if record else None
    status, user, why = (
        _assign(tx, tenant_id, part, record, today)
        if part.action is BulkAction.ASSIGN
        else _release(tx, part, record)
    )
    return contract.BulkAssignmentResult(
        email=part.email,
        action=part.action,
        status=status,
        description=why,
        previous_external_id=previous,
        user=user_view(user) if user else None,
    )


def _release(tx: Transaction, part: contract.BulkAssignment, record: Record | None) -> _Outcome:
    """Release or delete the user, while they still carry the caller's mark."""
    if record is None or record.body.get("external_id") != part.if_external_id:
        return "skipped", record, "The user is gone or managed by another client now."
    if part.action is BulkAction.DELETE:
        delete_user_record(tx, record)
        return "deleted", None, None
    body = {**record.body, "external_id": part.external_id, "licenses": []}
    return "updated", tx.update(record, body, now(tx), key=record.key, ref=None), None


def _assign(
    tx: Transaction,
    tenant_id: str,
    part: contract.BulkAssignment,
    record: Record | None,
    today: date,
) -> _Outcome:
    """Create or update the user so that they hold exactly the wanted license."""
    prefix = part.if_external_id_prefix
    mark = record.body.get("external_id") if record else None
    if record is not None and prefix is not None and not (mark or "").startswith(prefix):
        if mark:
            return "error", record, f"User {part.email} carries another client's mark '{mark}'."
        if not part.or_unmarked:
            return (
                "error",
                record,
                f"User {part.email} already exists (id {record.id}) and is not managed by "
                "this client: adopt it explicitly.",
            )
    identity = part.identity()
    wanted = part.license or ""
    offer = license_offer(tx, tenant_id, wanted)
    if offer is None:
        problem: str | None = no_such_license(wanted)
    elif record is not None and record.body["licenses"] == [wanted]:
        problem = rules.license_fit_problem(identity, wanted, offer[0])  # the role may change
    else:
        problem = rules.license_addition_problem(identity, wanted, *offer, today)
    if problem is not None:
        return "error", record, problem
    stored = {**identity.model_dump(mode="json"), "licenses": [wanted], **kept_profile(record)}
    ref = wanted.partition(":")[0]
    if record is None:
        problem = look_alike_problem(tx, tenant_id, part.email)
        if problem is not None:
            return "error", None, problem
        created = tx.insert(USER, tenant_id, stored, now(tx), key=part.email, ref=ref)
        remember_look(tx, created)
        return "created", created, None
    return "updated", tx.update(record, stored, now(tx), key=record.key, ref=ref), None

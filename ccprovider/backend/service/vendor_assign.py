"""Adding and removing licenses named by the vendor's ids, for the license PATCH and for
people created or updated with their licenses: through the simulator's own operations
and rules (`apply_license_operations`), with failures in the vendor's words and codes."""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ccprovider import rules
from ccprovider.backend.errors import BackendError
from ccprovider.backend.service.common import now
from ccprovider.backend.service.license_types import assignable_license, license_label
from ccprovider.backend.service.licenses import apply_license_operations
from ccprovider.backend.service.users import identity_of, license_offer
from ccprovider.backend.storage import Record, Transaction
from ccprovider.contract import (
    ErrorDetail,
    LicenseOperation,
    LicenseOperationKind,
    LicenseOperationResult,
)
from ccprovider.vendor_contract import LicenseRequest

NOT_RECOGNIZED = 400000
"""The vendor's errorCode for a license it does not know (or that no person can hold)."""
ONE_OF_A_KIND = 400413
"""The vendor's errorCode for a license a person cannot hold beside one they hold: here,
a license of a second subscription."""


@dataclass(frozen=True)
class Assigned:
    """A person after their license operations, and why each that failed did."""

    record: Record
    failures: list[ErrorDetail]


def assign_licenses(
    tx: Transaction, record: Record, requests: Sequence[LicenseRequest]
) -> Assigned:
    """Apply license operations to a person: each license must be one a person of their
    organisation can hold (else errorCode 400000); the rest apply as the simulator's PATCH
    does, so a switch of subscription is one step and a second subscription's license
    beside the first is refused (400413). When none applies, the person is unchanged."""
    tenant_id = record.tenant_id
    failures: list[ErrorDetail] = []
    operations: list[LicenseOperation] = []
    for requested in requests:
        try:
            stored = assignable_license(tx, tenant_id, requested.id)
        except BackendError as refused:
            failures.append(ErrorDetail(description=refused.message, error_code=NOT_RECOGNIZED))
            continue
        operations.append(LicenseOperation(id=stored, operation=requested.operation))
    if operations:
        named = {op.id for op in operations} | set(record.body["licenses"])
        labels = {stored: license_label(tx, tenant_id, stored) for stored in named}
        applied = apply_license_operations(tx, record, operations)
        record = applied.record
        failures += [
            _failure(tx, record, result, labels) for result in applied.results if result.description
        ]
    return Assigned(record, failures)


def _failure(
    tx: Transaction,
    person: Record,
    result: LicenseOperationResult,
    labels: Mapping[str, str],
) -> ErrorDetail:
    """A failed operation in the vendor's words; an addition refused only because the
    person holds another subscription's license carries the vendor's code for that."""
    text = _in_vendor_words(result.description or "", labels)
    code = None
    if result.operation is LicenseOperationKind.ADD and _refused_for_holding(tx, person, result.id):
        code = ONE_OF_A_KIND
    return ErrorDetail(description=text, error_code=code)


def _refused_for_holding(tx: Transaction, person: Record, stored_id: str) -> bool:
    """Whether the person could take license `stored_id` but for the one they hold."""
    offer = license_offer(tx, person.tenant_id, stored_id)
    if offer is None or not person.body["licenses"]:
        return False
    today = now(tx).date()
    return rules.license_addition_problem(identity_of(person), stored_id, *offer, today) is None


def _in_vendor_words(text: str, labels: Mapping[str, str]) -> str:
    """`text` with the simulation's license ids replaced by how the vendor's clients know
    those licenses (`license_label`)."""
    pattern = re.compile("|".join(re.escape(stored) for stored in labels))
    return pattern.sub(lambda found: labels[found.group(0)], text)

"""Licenses as the vendor's routes show and assign them: an organisation's licenses, one
license with the people holding it, and the license PATCH (`assign_licenses`)."""

from dataclasses import dataclass

from ccprovider.backend.errors import BadRequestError, NotFoundError
from ccprovider.backend.service.common import (
    SUBSCRIPTION,
    USER,
    Area,
    PageOf,
    paged,
    tenant_record,
)
from ccprovider.backend.service.license_types import (
    held_vendor_id,
    license_view,
    offered_license,
    subscription_licenses,
)
from ccprovider.backend.service.licenses import consumed_licenses
from ccprovider.backend.service.people import person_record
from ccprovider.backend.service.users import display_name
from ccprovider.backend.service.vendor_assign import assign_licenses
from ccprovider.backend.storage import Record, Transaction
from ccprovider.backend.vendor_ids import Kind, decode, org_id, person_id
from ccprovider.domain import email_key
from ccprovider.vendor_contract import (
    AssignedUser,
    LicensesPatch,
    LicensesPatchResult,
    LicenseWithUsers,
    VendorLicense,
)


@dataclass(frozen=True)
class VendorPatchOutcome:
    """The person's licenses after a license PATCH, and whether every operation applied."""

    result: LicensesPatchResult
    complete: bool


def _patched_person(tx: Transaction, tenant_id: str, patch: LicensesPatch) -> Record:
    """The person a license PATCH names, by personId or e-mail, in its organisation."""
    if patch.person_id is not None:
        record = person_record(tx, tenant_id, decode(Kind.PEOPLE, patch.person_id))
        if patch.email is not None and email_key(patch.email) != record.key:
            raise BadRequestError(
                f"personId {patch.person_id} is not {patch.email}.",
                "Name the person by email or personId, or by both of the same person.",
            )
        return record
    email = str(patch.email)
    found = tx.find(USER, tenant_id, email_key(email))
    if found is None:
        raise NotFoundError(f"Person {email} was not found in organization {org_id(tenant_id)}.")
    return found


def _assigned_user(record: Record) -> AssignedUser:
    return AssignedUser(
        id=person_id(record.id), display_name=display_name(record), email=record.body["email"]
    )


class VendorLicenseService(Area):
    """An organisation's licenses, their holders, and assigning them to people."""

    def list_vendor_licenses(self, tenant_id: str) -> list[VendorLicense]:
        """Every license of every subscription of the tenant."""
        with self.store.read() as tx:
            tenant_record(tx, tenant_id)
            return [
                lic
                for subscription in tx.page(SUBSCRIPTION, tenant_id)
                for lic in subscription_licenses(tx, subscription)
            ]

    def get_vendor_license(
        self, vendor_id: str, holders: tuple[int, int] | None
    ) -> tuple[LicenseWithUsers, int | None]:
        """A license, with one page of its holders when `holders` (after a cursor, at most
        a limit) is given; and the cursor of the next page, if one follows."""
        with self.store.read() as tx:
            offered = offered_license(tx, vendor_id)
            stored = offered.stored_id
            consumed = consumed_licenses(tx, offered.subscription)[stored] if stored else 0
            found = license_view(offered, consumed).model_dump()
            if holders is None:
                return LicenseWithUsers(**found), None
            after, limit = holders
            page: PageOf[AssignedUser] = PageOf([], None)
            if stored is not None:
                sub = offered.subscription
                holding = [
                    user
                    for user in tx.page(USER, sub.tenant_id, after=after, ref=sub.id)
                    if stored in user.body["licenses"]
                ]
                page = paged(holding[: limit + 1], limit, _assigned_user)
            return LicenseWithUsers(**found, users=page.items), page.next_cursor

    def patch_vendor_licenses(self, tenant_id: str, patch: LicensesPatch) -> VendorPatchOutcome:
        """Apply a license PATCH to one person of the tenant; 400 with the vendor's error
        body when nothing applies, a partial success is `complete=False` (206)."""
        with self.store.write() as tx:
            tenant_record(tx, tenant_id)
            assigned = assign_licenses(tx, _patched_person(tx, tenant_id, patch), patch.licenses)
            if assigned.failures and len(assigned.failures) == len(patch.licenses):
                raise BadRequestError("License assignment failed.", *assigned.failures)
            record = assigned.record
            result = LicensesPatchResult(
                org_id=org_id(tenant_id),
                person_id=person_id(record.id),
                email=record.body["email"],
                licenses=[held_vendor_id(tx, tenant_id, held) for held in record.body["licenses"]],
                errors=assigned.failures or None,
            )
            return VendorPatchOutcome(result, complete=not assigned.failures)

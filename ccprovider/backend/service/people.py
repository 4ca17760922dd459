"""People, as the vendor's people and SCIM routes see the tenant's users: with the names
those routes add, their contact-center role, and the licenses they hold by vendor id.

A person is created, changed and deleted through the same steps as a user of the
simulator's routes (`create_user_record`, `replace_user_record`, `delete_user_record`),
and licensed through the same operations as the license PATCH, all in one transaction:
a person whose licenses cannot all be given is not created or changed at all.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from ccprovider import contract
from ccprovider.backend.errors import BadRequestError, NotFoundError
from ccprovider.backend.service.common import (
    USER,
    Area,
    PageOf,
    check_version,
    child_record,
    page_of,
    tenant_record,
)
from ccprovider.backend.service.license_types import held_vendor_id, offered_license
from ccprovider.backend.service.users import (
    DIRECTORY_ATTRIBUTES,
    PROFILE,
    create_user_record,
    delete_user_record,
    display_name,
    identity_of,
    replace_user_record,
)
from ccprovider.backend.service.vendor_assign import assign_licenses
from ccprovider.backend.storage import Record, Transaction
from ccprovider.backend.vendor_ids import Kind, canonical, org_id, person_id
from ccprovider.contract import LicenseOperationKind
from ccprovider.domain import AgentProfile, LicenseKind, RoleAndProfile, UserRole, email_key
from ccprovider.vendor_contract import LicenseRequest

_ROLE_OF_KIND = {
    LicenseKind.ADMIN: RoleAndProfile(role=UserRole.ADMIN),
    LicenseKind.SUPERVISOR: RoleAndProfile(role=UserRole.SUPERVISOR),
    LicenseKind.STANDARD_AGENT: RoleAndProfile(
        role=UserRole.AGENT, agent_profile=AgentProfile.STANDARD
    ),
    LicenseKind.PREMIUM_AGENT: RoleAndProfile(
        role=UserRole.AGENT, agent_profile=AgentProfile.PREMIUM
    ),
}
"""The role and profile each kind of contact-center license fits."""

NO_ROLE = (
    'Say the person\'s contact-center role: send "contactCenter": {"role": "agent", '
    '"agentProfile": "standard"} (or admin, supervisor, a premium agent), or one '
    "contact-center license."
)


@dataclass(frozen=True)
class PersonState:
    """A user as the vendor's routes show them."""

    user_id: str
    tenant_id: str
    identity: contract.UserBody
    profile: Mapping[str, Any]
    """The names the vendor's routes gave (`displayName`, `firstName`, `lastName`) and the
    directory's attributes SCIM gave (`DIRECTORY_ATTRIBUTES`)."""
    display_name: str
    licenses: list[str]
    """The vendor ids of the licenses they hold."""
    created: datetime
    updated: datetime
    version: int


@dataclass(frozen=True)
class PersonChange:
    """What a create or an update through the vendor's routes asks for."""

    email: str
    role: RoleAndProfile | None
    """None: as it is (a new person: the role their licenses fit)."""
    external_id: str | None
    profile: dict[str, Any] = field(default_factory=dict)
    directory: bool = False
    """Whether `profile` says the directory's attributes too (SCIM); else the person keeps
    theirs (the people routes, which set names only)."""
    licenses: list[str] | None = None
    """The vendor ids of the licenses to hold, exactly; None: as they are."""


def _directory_kept(change: PersonChange, current: PersonState) -> dict[str, Any]:
    """The profile a change leaves: the directory's attributes stay unless it says them."""
    if change.directory:
        return change.profile
    kept = {k: v for k, v in current.profile.items() if k in DIRECTORY_ATTRIBUTES}
    return {**kept, **change.profile}


def person_state(tx: Transaction, record: Record) -> PersonState:
    """A stored user as the vendor's routes show them."""
    return PersonState(
        user_id=record.id,
        tenant_id=record.tenant_id,
        identity=identity_of(record),
        profile=dict(record.body.get(PROFILE, {})),
        display_name=display_name(record),
        licenses=[held_vendor_id(tx, record.tenant_id, h) for h in record.body["licenses"]],
        created=record.created_at,
        updated=record.updated_at,
        version=record.version,
    )


def person_record(tx: Transaction, tenant_id: str, user_id: str) -> Record:
    """A person of the tenant; 404 naming both by their vendor ids otherwise."""
    try:
        return child_record(tx, USER, tenant_id, user_id)
    except NotFoundError:
        raise NotFoundError(
            f"Person {person_id(user_id)} was not found in organization {org_id(tenant_id)}."
        ) from None


def _matching(tx: Transaction, tenant_id: str, attribute: str, value: str) -> list[Record]:
    """The tenant's people whose `attribute` (`userName`, `externalId` or `id`) is `value`."""
    if attribute == "userName":
        found = tx.find(USER, tenant_id, email_key(value))
        return [found] if found else []
    if attribute == "id":
        record = tx.get(USER, value)
        return [record] if record and record.tenant_id == tenant_id else []
    return [r for r in tx.page(USER, tenant_id) if r.body.get("external_id") == value]


def _role_of_licenses(tx: Transaction, vendor_ids: list[str]) -> RoleAndProfile:
    """The role a new person's licenses fit; 400 unless they name one kind of license a
    person holds."""
    kinds = {offered_license(tx, v).type.kind for v in vendor_ids} - {None}
    if len(kinds) != 1:
        raise BadRequestError("The person's contact-center role is not given.", NO_ROLE)
    return _ROLE_OF_KIND[next(k for k in kinds if k is not None)]


def _hold_exactly(tx: Transaction, record: Record, wanted: list[str]) -> Record:
    """Give a person exactly the licenses `wanted` (vendor ids), in one step; 400 naming
    every license that cannot be given or taken, and nothing changes."""
    held = {held_vendor_id(tx, record.tenant_id, h) for h in record.body["licenses"]}
    wanting = [canonical(Kind.LICENSE, v) for v in wanted]
    requests = [
        LicenseRequest(id=v, operation=LicenseOperationKind.REMOVE)
        for v in sorted(held - set(wanting))
    ] + [LicenseRequest(id=v) for v in dict.fromkeys(wanting) if v not in held]
    if not requests:
        return record
    assigned = assign_licenses(tx, record, requests)
    if assigned.failures:
        raise BadRequestError("License assignment failed.", *assigned.failures)
    return assigned.record


def _identity(change: PersonChange, role: RoleAndProfile) -> contract.UserBody:
    return contract.UserBody(
        email=change.email,
        role=role.role,
        agent_profile=role.agent_profile,
        external_id=change.external_id,
    )


class PeopleService(Area):
    """Find, create, change and delete people; the vendor's routes show them."""

    def person_tenant(self, user_id: str) -> str:
        """The tenant of a person; 404 when there is no such person."""
        with self.store.read() as tx:
            record = tx.get(USER, user_id)
            if record is None:
                raise NotFoundError(f"Person {person_id(user_id)} was not found.")
            return record.tenant_id

    def get_person(self, tenant_id: str, user_id: str) -> PersonState:
        with self.store.read() as tx:
            return person_state(tx, person_record(tx, tenant_id, user_id))

    def list_people(
        self, tenant_id: str, email: str | None, user_ids: list[str] | None, after: int, limit: int
    ) -> PageOf[PersonState]:
        """The people among `user_ids`, the person with `email` (both: the one of those
        ids with that address), or without either a page of everyone."""
        with self.store.read() as tx:
            tenant_record(tx, tenant_id)
            if email is None and user_ids is None:
                view = partial(person_state, tx)
                return page_of(tx, USER, tenant_id, after=after, limit=limit, view=view)
            key = email_key(email) if email is not None else None
            if user_ids is not None:
                found = [tx.get(USER, user_id) for user_id in user_ids]
            else:
                found = [tx.find(USER, tenant_id, str(key))]
            shown = [
                person_state(tx, r)
                for r in found
                if r is not None and r.tenant_id == tenant_id and key in (None, r.key)
            ]
            return PageOf(shown, None)

    def search_people(
        self, tenant_id: str, match: tuple[str, str] | None, start_index: int, count: int
    ) -> tuple[int, list[PersonState]]:
        """How many people `match` (an attribute, `userName`, `externalId` or `id`, and the
        value it equals; None: everyone), and `count` of them from the `start_index`th
        (1-based)."""
        with self.store.read() as tx:
            tenant_record(tx, tenant_id)
            if match is None:
                total = tx.count(USER, tenant_id)
                records = tx.page(USER, tenant_id, limit=start_index - 1 + count)
            else:
                records = _matching(tx, tenant_id, *match)
                total = len(records)
            shown = records[start_index - 1 : start_index - 1 + count]
            return total, [person_state(tx, r) for r in shown]

    def create_person(
        self, tenant_id: str, change: PersonChange, request_key: str | None = None
    ) -> tuple[PersonState, bool]:
        """Create a person with their licenses, or nothing (a retry of the same request gets
        the same person, as they are now); the person, and whether this call created them."""
        with self.store.write() as tx:
            tenant_record(tx, tenant_id)
            new = tx.find(USER, tenant_id, email_key(change.email)) is None
            role = change.role or _role_of_licenses(tx, change.licenses or [])
            record = create_user_record(
                tx,
                tenant_id,
                _identity(change, role),
                request_key=request_key,
                profile=change.profile,
            )
            if change.licenses is not None:
                record = _hold_exactly(tx, record, change.licenses)
            return person_state(tx, record), new

    def update_person(
        self,
        tenant_id: str,
        user_id: str,
        change: Callable[[PersonState], PersonChange],
        if_match: int | None = None,
    ) -> PersonState:
        """Change a person as `change` says, given them as they are now: their names, their
        role (which switches their license to the fitting kind of the same subscription)
        and, when given, the licenses they hold. All of it or nothing."""
        with self.store.write() as tx:
            record = person_record(tx, tenant_id, user_id)
            check_version(record, if_match)
            current = person_state(tx, record)
            wanted = change(current)
            if email_key(wanted.email) != record.key:
                raise BadRequestError(
                    f"The e-mail address of {record.key} cannot change.",
                    "Create a person for the new address and delete the old one.",
                )
            role = wanted.role or RoleAndProfile(
                role=current.identity.role, agent_profile=current.identity.agent_profile
            )
            profile = _directory_kept(wanted, current)
            record = replace_user_record(tx, record, _identity(wanted, role), profile)
            if wanted.licenses is not None:
                record = _hold_exactly(tx, record, wanted.licenses)
            return person_state(tx, record)

    def delete_person(self, tenant_id: str, user_id: str, if_match: int | None = None) -> None:
        with self.store.write() as tx:
            record = person_record(tx, tenant_id, user_id)
            check_version(record, if_match)
            delete_user_record(tx, record)

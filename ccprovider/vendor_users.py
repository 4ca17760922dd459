"""A tenant's users as ccprovider sees them, read through the vendor's API: who they are
and whose they are (`externalId`) from SCIM, the licenses they hold from people, each
license named as the declaration names it: its subscription and its kind.

The vendor's license ids are opaque, so the client learns them from the organisation's
license list (`LicenseBook`) rather than by decoding them.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from ccprovider import contract
from ccprovider.directory import DirectoryPerson
from ccprovider.scim_contract import (
    CONTACT_CENTER_SCHEMA,
    PATCH_SCHEMA,
    USER_SCHEMA,
    ScimPatch,
    ScimPatchOperation,
    ScimUser,
    ScimUserBody,
)
from ccprovider.vendor_contract import HELD_LICENSES, VendorLicense

_KIND_OF_NAME = {name: kind for kind, (_code, name) in HELD_LICENSES.items()}


@dataclass(frozen=True)
class LicenseBook:
    """The licenses people of one organisation can hold: each vendor id and the id the
    provider gives the same license (`contract.license_id`: subscription and kind)."""

    to_vendor: dict[str, str]
    from_vendor: dict[str, str]
    names: dict[str, str] = field(default_factory=dict)
    """How a message names each license: its name and subscription, by vendor id."""

    @classmethod
    def of(
        cls, licenses: Iterable[VendorLicense], subscriptions: Iterable[contract.Subscription]
    ) -> "LicenseBook":
        """The book of an organisation's licenses and subscriptions; a license of a type no
        person holds, or of a subscription not listed, is left out."""
        sub_ids = {s.external_id: s.id for s in subscriptions}
        held = [
            lic for lic in licenses if lic.name in _KIND_OF_NAME and lic.subscription_id in sub_ids
        ]
        pairs = {
            contract.license_id(sub_ids[lic.subscription_id], _KIND_OF_NAME[lic.name]): lic.id
            for lic in held
        }
        names = {lic.id: f"{lic.name} of subscription {lic.subscription_id}" for lic in held}
        return cls(pairs, {vendor: ours for ours, vendor in pairs.items()}, names)

    def readable(self, text: str) -> str:
        """`text` naming each license it names by vendor id by its name and subscription
        instead: the vendor's ids are long, opaque and the same to a reader."""
        for vendor_id, name in self.names.items():
            text = re.sub(rf"{re.escape(vendor_id)}( \([^)]*\))?", name, text)
        return text

    def ours(self, vendor_ids: Iterable[str]) -> list[str]:
        """The licenses of `vendor_ids` that the book knows, as the provider names them."""
        return [self.from_vendor[v] for v in vendor_ids if v in self.from_vendor]


@dataclass(frozen=True)
class Listed:
    """A user as a listing found them, their version then (SCIM's ETag), for a change
    that applies only while they are still so, and what the directory says of them."""

    user: contract.User
    version: str
    person: DirectoryPerson

    @classmethod
    def of(cls, tenant_id: str, scim: ScimUser, licenses: list[str]) -> "Listed":
        """The SCIM user as listed, holding `licenses` (as the provider names them)."""
        user = provider_user(tenant_id, scim, licenses)
        return cls(user, scim.meta.version, DirectoryPerson.of(scim))


def identity(user: contract.User) -> contract.UserBody:
    """Who the user is and whose they are, apart from their licenses."""
    return contract.UserBody.model_validate(
        user.model_dump(include=set(contract.UserBody.model_fields))
    )


def scim_body(body: contract.UserBody) -> ScimUserBody:
    """A user as SCIM creates or replaces them, with their contact-center role."""
    return ScimUserBody.model_validate(
        {
            "schemas": [USER_SCHEMA, CONTACT_CENTER_SCHEMA],
            "userName": body.email,
            "externalId": body.external_id,
            CONTACT_CENTER_SCHEMA: {"role": body.role, "agentProfile": body.agent_profile},
        }
    )


def scim_patch(body: contract.UserBody) -> ScimPatch:
    """The SCIM PATCH that makes a user `body`: their contact-center role and their mark
    (removed when None), nothing else."""
    role = {"role": body.role, "agentProfile": body.agent_profile}
    mark = (
        ScimPatchOperation(op="remove", path="externalId")
        if body.external_id is None
        else ScimPatchOperation(op="replace", path="externalId", value=body.external_id)
    )
    return ScimPatch(
        schemas=[PATCH_SCHEMA],
        operations=[ScimPatchOperation(op="replace", value={CONTACT_CENTER_SCHEMA: role}), mark],
    )


def provider_user(tenant_id: str, scim: ScimUser, licenses: list[str]) -> contract.User:
    """The user SCIM shows, holding `licenses` (as the provider names them)."""
    role = scim.contact_center
    return contract.User(
        id=scim.id,
        tenant_id=tenant_id,
        email=scim.user_name,
        role=role.role,
        agent_profile=role.agent_profile,
        external_id=scim.external_id,
        licenses=licenses,
        subscription_id=_subscription_of(licenses),
        created_at=datetime.fromisoformat(scim.meta.created),
        updated_at=datetime.fromisoformat(scim.meta.last_modified),
    )


def holding(user: contract.User, licenses: list[str]) -> contract.User:
    """The user after a license change: holding exactly `licenses`."""
    return user.model_copy(
        update={"licenses": licenses, "subscription_id": _subscription_of(licenses)}
    )


def _subscription_of(licenses: list[str]) -> str | None:
    """The subscription of a user holding `licenses`: the first's, as a user holds at most
    one subscription's license."""
    return licenses[0].partition(":")[0] if licenses else None

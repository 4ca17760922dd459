"""The `Tenant` resource: one customer tenant in the provisioning backend."""

from collections.abc import Mapping
from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import CheckFailure

from ccprovider import contract, rules
from ccprovider.api_errors import NotFoundError
from ccprovider.bulk_assign import BulkAction, BulkAssignment
from ccprovider.domain import Telephony, TenantSettings
from ccprovider.resources.base import ApiResource, ObjectProvider, engine_values
from ccprovider.resources.inputs import DeclaredInputs
from ccprovider.resources.ownership import (
    marked_by_stack,
    owner_of,
    released,
    remarked,
    salt,
    stack_mark,
)


class TenantInputs(TenantSettings, DeclaredInputs):
    """A tenant's declared settings and its telephony option; each changes in place."""

    natural_key: ClassVar[tuple[str, ...]] = ("name",)

    telephony: Telephony


def _body(props: dict[str, Any], managed: bool = True) -> contract.TenantBody:
    """The tenant as declared, marked as this state's unless `managed` is False."""
    settings = {f: props[f] for f in TenantSettings.model_fields}
    return contract.TenantBody.model_validate(
        {**settings, "managed_by": (owner_of(props) or None) if managed else None}
    )


class TenantProvider(ObjectProvider[contract.Tenant]):
    """CRUD of a tenant through the provisioning API."""

    inputs_model = TenantInputs
    kind = "Tenant"

    def label(self, props: Mapping[str, Any]) -> str:
        return f"Tenant '{props['name']}'"

    def live_failures(self, olds: dict[str, Any], inputs: dict[str, Any]) -> list[CheckFailure]:
        """A tenant's option is that of its subscriptions in force, perhaps outside this
        stack: declaring another one is a tenant-wide change that goes through vendor support.
        Asked only when the option changes or an existing tenant is adopted."""
        declared = inputs["telephony"]
        if olds.get("telephony") in (None, declared) and not inputs["adopt"]:
            return []
        name = olds.get("name") or inputs["name"]
        live = self.client.find_tenant(name)
        if live is None or live.telephony is None:
            return []
        violation = rules.telephony_change_violation(
            f"Tenant {name}", live.telephony, Telephony(declared)
        )
        return [CheckFailure("telephony", str(violation))] if violation else []

    def create_new(self, props: dict[str, Any]) -> contract.Tenant:
        return self.client.create_tenant(_body(props), salt=salt(props))

    def find_existing(self, props: dict[str, Any]) -> contract.Tenant | None:
        return self.client.find_tenant(props["name"])

    def converge(
        self, obj: contract.Tenant, props: dict[str, Any], adopted: bool
    ) -> contract.Tenant:
        return self.client.replace_tenant(obj.id, _body(props)) if adopted else obj

    def fetch(self, id_: str, _props: dict[str, Any]) -> contract.Tenant | None:
        return self.client.get_tenant(id_)

    def outputs(self, obj: contract.Tenant, props: dict[str, Any]) -> dict[str, Any]:
        settings = obj.model_dump(mode="json", include=set(TenantSettings.model_fields))
        return {
            **settings,
            "telephony": (obj.telephony or props["telephony"]),
            **engine_values(props),
            "tenant_id": obj.id,
            "created_at": obj.created_at.isoformat(),
        }

    def replace(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> contract.Tenant:
        """Change the settings; for a new owner, also mark the users released under the old
        one as the new one's (each resource marks its own objects)."""
        tenant = self.client.replace_tenant(id_, _body(news))
        if remarked(olds, news):
            users = self.client.list_users(id_)
            parts = released([u for u in users if u.external_id == stack_mark(olds)], news)
            if parts:
                self.client.bulk_assign(id_, parts)
        return tenant

    def put_unmanaged(self, id_: str, props: dict[str, Any]) -> None:
        self.client.replace_tenant(id_, _body(props, managed=False))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Delete the users this stack left behind, then the tenant unless adopted."""
        try:
            self._delete_users_left_behind(id_, props)
        except NotFoundError:
            return  # the tenant is gone already
        super().delete(id_, props)

    def remove(self, id_: str, _props: dict[str, Any]) -> None:
        self.client.delete_tenant(id_)

    def _delete_users_left_behind(self, tenant_id: str, props: dict[str, Any]) -> None:
        """Delete the users that carry this stack's mark and hold no license: released by
        the stack's teams, or created by an `up` killed before it licensed and recorded
        them. A user a resource holds has a license; adopted users were handed back
        unmarked, and stay."""
        left = [
            BulkAssignment(
                action=BulkAction.DELETE, email=user.email, if_external_id=user.external_id
            )
            for user in self.client.list_users(tenant_id)
            if marked_by_stack(user, props) and not user.licenses
        ]
        if left:
            self.client.bulk_assign(tenant_id, left)


class Tenant(ApiResource, provider=TenantProvider):
    """A contact-center tenant; outputs the backend's tenant id and creation time."""

    tenant_id: pulumi.Output[str]
    created_at: pulumi.Output[str]

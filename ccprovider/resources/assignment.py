"""The `LicenseAssignment` resource: one admin's or agent's mapping to a subscription.

Remapping a user to another subscription is an in-place update: one license PATCH that
adds the new subscription's license and removes the old one, so the user never goes
without access. Deleting the assignment removes the license, and the user only if this
stack created them: it never removes what it does not own.
"""

from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    UpdateResult,
)

from ccprovider import contract
from ccprovider.contract import license_id
from ccprovider.domain import SubscriptionId, SubscriptionStatus, UserIdentity
from ccprovider.resources.base import (
    ADOPTED,
    ApiProvider,
    ApiResource,
    ProviderError,
    diff_inputs,
    engine_values,
    is_unknown,
    read_result,
    salt,
    stack_mark,
    validate_inputs,
)
from ccprovider.rules import license_kind


class AssignmentInputs(UserIdentity):
    """Who the user is and which subscription (external id and backend id) maps them."""

    tenant_id: str
    subscription: SubscriptionId
    subscription_id: str
    adopt: bool = False


DIFF_FIELDS = ("tenant_id", "email", "role", "agent_profile", "subscription", "subscription_id")
REPLACE_FIELDS = ("tenant_id", "email")


def _identity(props: dict[str, Any]) -> contract.UserBody:
    """The user as declared, marked as this assignment's."""
    fields = {f: props.get(f) for f in contract.UserBody.model_fields}
    return contract.UserBody.model_validate({**fields, "external_id": _mark(props)})


def _mark(props: dict[str, Any]) -> str:
    """The mark (`externalId`) of the user this assignment manages."""
    return f"{stack_mark(props)}user:{props['email']}"


def _license(props: dict[str, Any]) -> str:
    identity = _identity(props)
    return license_id(props["subscription_id"], license_kind(identity.role, identity.agent_profile))


def _outputs(user: contract.User, props: dict[str, Any]) -> dict[str, Any]:
    """Inputs as the backend holds them, and whether the user was adopted: nothing more,
    as the engine writes every resource's state again at each step of an update (the
    user's id is the resource's id, and the license follows from the inputs)."""
    identity = user.model_dump(mode="json", include={"email", "role", "agent_profile"})
    return {
        **{k: v for k, v in identity.items() if v is not None},
        "tenant_id": user.tenant_id,
        "subscription": props["subscription"],
        "subscription_id": user.subscription_id,
        **engine_values(props),
    }


def _created_user(props: dict[str, Any]) -> bool:
    """Whether this stack created (or took over) the user, so that it may delete them.
    States written before `adopted` was recorded for assignments say `created_user`."""
    return bool(props.get("created_user", not props.get(ADOPTED, False)))


def _held_elsewhere_in_stack(user: contract.User, props: dict[str, Any]) -> bool:
    """Whether another resource of this stack (a team) holds or released the user."""
    mark = user.external_id or ""
    return mark.startswith(stack_mark(props)) and mark != _mark(props)


class LicenseAssignmentProvider(ApiProvider):
    """Maps a user to a subscription through the vendor's license PATCH."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs, failures = validate_inputs(AssignmentInputs, news)
        if not failures and not any(is_unknown(v) for v in inputs.values()):
            failures += self._subscription_failures(inputs)
        return CheckResult(inputs, failures)

    def _subscription_failures(self, inputs: dict[str, Any]) -> list[CheckFailure]:
        """The live subscription must give access now: not expired, cancelled or gone."""
        tenant_id, email = inputs["tenant_id"], inputs["email"]
        sub_id = inputs["subscription_id"]
        live = self.shared_read(
            ("subscription", tenant_id, sub_id),
            lambda: self.client.get_subscription(tenant_id, sub_id),
        )
        if live is not None and live.status is SubscriptionStatus.ACTIVE:
            return []
        state = f"is {live.status.value}" if live else "no longer exists in the backend"
        active = [
            s.external_id
            for s in self.client.list_subscriptions(tenant_id)
            if s.status is SubscriptionStatus.ACTIVE
        ]
        moves = ", ".join(active) or "none: add an active subscription first"
        return [
            CheckFailure(
                "subscription",
                f"{email} is mapped to subscription {inputs['subscription']}, which {state}: "
                f"the user would lose access. Fix: map {email} to an active subscription "
                f"({moves}).",
            )
        ]

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return diff_inputs(olds, news, DIFF_FIELDS, REPLACE_FIELDS)

    def create(self, props: dict[str, Any]) -> CreateResult:
        tenant_id, identity = props["tenant_id"], _identity(props)
        user, adopted = self.create_or_adopt(
            f"User {identity.email}",
            props.get("adopt", False),
            lambda: self.client.create_user(tenant_id, identity, salt=salt(props)),
            lambda: self.client.find_user(tenant_id, identity.email),
            ours=lambda existing: (existing.external_id or "").startswith(stack_mark(props)),
        )
        if user.external_id != identity.external_id:  # an existing user: make it this one
            user = self.client.replace_user(tenant_id, user.id, identity)
        user = self._map(tenant_id, user, _license(props))
        return CreateResult(user.id, _outputs(user, {**props, ADOPTED: adopted}))

    def _map(self, tenant_id: str, user: contract.User, wanted: str) -> contract.User:
        """Give the user `wanted` and take away any other license, in one atomic PATCH."""
        if user.licenses == [wanted]:
            return user
        operations = [contract.LicenseOperation(id=wanted, operation="add")]
        operations += [
            contract.LicenseOperation(id=held, operation="remove")
            for held in user.licenses
            if held != wanted
        ]
        patch = contract.LicensePatch(email=user.email, licenses=operations)
        result, complete = self.client.patch_licenses(tenant_id, patch)
        if not complete:
            failed = "; ".join(r.description or r.id for r in result.licenses if r.status != "ok")
            raise ProviderError(f"Mapping {user.email} to license {wanted} failed: {failed}")
        return result.user

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        user = self.client.get_user(props["tenant_id"], id_)
        if user is None:
            return read_result(id_, None, DIFF_FIELDS)
        live = dict(props)
        if user.subscription_id != props.get("subscription_id"):
            mapped = (
                self.client.get_subscription(props["tenant_id"], user.subscription_id)
                if user.subscription_id
                else None
            )
            live["subscription"] = mapped.external_id if mapped else ""
        return read_result(id_, _outputs(user, live), DIFF_FIELDS)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        tenant_id, identity = news["tenant_id"], _identity(news)
        user = self.client.get_user(tenant_id, id_)
        if user is None:
            raise ProviderError(
                f"User {identity.email} was removed from the backend outside this stack; "
                "run `pulumi refresh`, then `pulumi up` to create it again."
            )
        if _identity(olds) != identity:
            user = self.client.replace_user(tenant_id, id_, identity)
        user = self._map(tenant_id, user, _license(news))
        return UpdateResult(_outputs(user, {**news, ADOPTED: not _created_user(olds)}))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        tenant_id = props["tenant_id"]
        user = self.client.get_user(tenant_id, id_)
        if user is None or _held_elsewhere_in_stack(user, props):
            return  # gone, or a team of this stack took the user over in this update
        if _created_user(props):
            self.client.delete_user(tenant_id, id_)
            return
        # An adopted user stays; only the license this assignment gave goes.
        owned = _license(props)
        if owned in user.licenses:
            operation = contract.LicenseOperation(id=owned, operation="remove")
            patch = contract.LicensePatch(email=user.email, licenses=[operation])
            result, complete = self.client.patch_licenses(tenant_id, patch)
            if not complete:
                reasons = "; ".join(r.description or r.id for r in result.licenses)
                raise ProviderError(f"Removing {owned} from {user.email} failed: {reasons}")


@dataclass(frozen=True)
class LicenseAssignmentArgs:
    """Arguments of a `LicenseAssignment`: the user, and the subscription that maps them."""

    tenant_id: pulumi.Input[str]
    user: UserIdentity
    subscription: str
    subscription_id: pulumi.Input[str]
    adopt: bool = False


class LicenseAssignment(ApiResource, module="ccprovider", name="LicenseAssignment"):
    """One user's mapping to a subscription; the resource's id is the user's backend id."""

    email: pulumi.Output[str]
    subscription: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        args: LicenseAssignmentArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        inputs = {
            **args.user.model_dump(mode="json", include={"email", "role", "agent_profile"}),
            "tenant_id": args.tenant_id,
            "subscription": args.subscription,
            "subscription_id": args.subscription_id,
            "adopt": args.adopt,
        }
        super().__init__(LicenseAssignmentProvider(), resource_name, inputs, (), opts)

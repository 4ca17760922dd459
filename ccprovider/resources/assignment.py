"""The `LicenseAssignment` resource: one admin's or agent's mapping to a subscription.

Remapping a user to another subscription is an in-place update: one license PATCH that
adds the new subscription's license and removes the old one, so the user never goes
without access. Deleting the assignment releases the user: the license goes, the account
stays (an adopted one handed back unmarked); with `delete_users`, an account this stack
created is deleted. It never removes what it does not own.
"""

from typing import Any, ClassVar

from pulumi.dynamic import CheckFailure, ReadResult, UpdateResult

from ccprovider import contract
from ccprovider.api_errors import NotFoundError
from ccprovider.contract import license_id
from ccprovider.domain import Email, SubscriptionId, UserIdentity
from ccprovider.resources.base import ADOPTED, ApiResource, ObjectProvider, engine_values, let_go
from ccprovider.resources.failures import ProviderError
from ccprovider.resources.inputs import DeclaredInputs, Replace
from ccprovider.resources.ownership import managing_stack, mark_owner, salt, stack_mark
from ccprovider.rules import license_kind


class AssignmentInputs(UserIdentity, DeclaredInputs):
    """Who the user is and which subscription (external id and backend id) maps them; another
    tenant or e-mail is another user."""

    natural_key: ClassVar[tuple[str, ...]] = ("tenant_id", "email")

    tenant_id: Replace[str]
    email: Replace[Email]
    subscription: SubscriptionId
    subscription_id: str
    delete_users: bool = False
    """Delete the account this stack created when the user leaves, not only release it."""


_IDENTITY = set(contract.UserBody.model_fields)
"""What a user is apart from their licenses."""


def _identity(props: dict[str, Any]) -> contract.UserBody:
    """The user as declared, marked as this assignment's."""
    fields = {f: props.get(f) for f in _IDENTITY}
    return contract.UserBody.model_validate({**fields, "external_id": _mark(props)})


def _mark(props: dict[str, Any]) -> str:
    """The mark (`externalId`) of the user this assignment manages."""
    return f"{stack_mark(props)}user:{props['email']}"


def _license(props: dict[str, Any]) -> str:
    identity = _identity(props)
    return license_id(props["subscription_id"], license_kind(identity.role, identity.agent_profile))


def _created_user(props: dict[str, Any]) -> bool:
    """Whether this stack created (or took over) the user, so that it may delete them.
    States written before `adopted` was recorded for assignments say `created_user`."""
    return bool(props.get("created_user", not props.get(ADOPTED, False)))


class LicenseAssignmentProvider(ObjectProvider[contract.User]):
    """Maps a user to a subscription through the vendor's license PATCH."""

    inputs_model = AssignmentInputs
    kind = "User"

    def live_failures(self, _olds: dict[str, Any], inputs: dict[str, Any]) -> list[CheckFailure]:
        """The live subscription must give access now: not expired, cancelled or gone."""
        tenant_id, email = inputs["tenant_id"], inputs["email"]
        reason = self.no_access_reason(tenant_id, inputs["subscription_id"])
        if reason is None:
            return []
        moves = ", ".join(self.active_subscriptions(tenant_id))
        return [
            CheckFailure(
                "subscription",
                f"{email} is mapped to subscription {inputs['subscription']}, which {reason}: "
                f"the user would lose access. Fix: map {email} to an active subscription "
                f"({moves or 'none: add an active subscription first'}).",
            )
        ]

    def create_new(self, props: dict[str, Any]) -> contract.User:
        return self.client.create_user(props["tenant_id"], _identity(props), salt=salt(props))

    def find_existing(self, props: dict[str, Any]) -> contract.User | None:
        return self.client.find_user(props["tenant_id"], props["email"])

    def manager(self, existing: contract.User) -> str | None:
        return mark_owner(existing.external_id)

    def existing_at_check(self, props: dict[str, Any]) -> contract.User | None:
        """The user as one read of the tenant's users shows them: thousands of checks share
        it (a user this run creates is its own, whatever the read says)."""
        return self.tenant_users(props["tenant_id"]).get(props["email"])

    def converge(self, obj: contract.User, props: dict[str, Any], adopted: bool) -> contract.User:
        """Make an existing user this one, then give them their subscription's license.
        A create's answer may replay an earlier create of this user, released since (an
        `up` killed, then a destroy that stopped): the license PATCH answers the user as
        they are now, so a mark that is still not this assignment's is put right then."""
        del adopted
        tenant_id, identity = props["tenant_id"], _identity(props)
        if obj.external_id != identity.external_id:
            obj = self.client.replace_user(tenant_id, obj.id, identity)
        user = self._map(tenant_id, obj, _license(props))
        if user.external_id != identity.external_id:
            user = self.client.replace_user(tenant_id, user.id, identity)
        return user

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
        return self._patch(tenant_id, user, operations, f"Mapping {user.email} to {wanted}")

    def _patch(
        self,
        tenant_id: str,
        user: contract.User,
        operations: list[contract.LicenseOperation],
        what: str,
    ) -> contract.User:
        """Apply license operations to the user; any that fails is the user's error."""
        changed, failures = self.client.change_licenses(tenant_id, user, operations)
        if failures:
            raise ProviderError(f"{what} failed: {'; '.join(failures)}")
        return changed

    def fetch(self, id_: str, props: dict[str, Any]) -> contract.User | None:
        return self.client.get_user(props["tenant_id"], id_)

    def outputs(self, obj: contract.User, props: dict[str, Any]) -> dict[str, Any]:
        """Inputs as the backend holds them, and whether the user was adopted: nothing more,
        as the engine writes every resource's state again at each step of an update (the
        user's id is the resource's id, and the license follows from the inputs)."""
        identity = obj.model_dump(mode="json", include={"email", "role", "agent_profile"})
        return {
            **{k: v for k, v in identity.items() if v is not None},
            "tenant_id": obj.tenant_id,
            "subscription": props["subscription"],
            "subscription_id": obj.subscription_id,
            "delete_users": props.get("delete_users", False),
            **engine_values(props),
        }

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The live user, naming the subscription they are mapped to now; gone for this
        stack when another stack took them over (they carry its mark). One read of the
        tenant's users serves every assignment: the project refreshes before each command."""
        try:
            user = self.tenant_users(props["tenant_id"]).get(props["email"])
        except NotFoundError:
            user = None  # the tenant is gone, and its users with it
        if user is None or user.id != id_ or managing_stack(user, props) is not None:
            return self.read_result(id_, None)
        live = dict(props)
        if user.subscription_id != props.get("subscription_id"):
            mapped = (
                self.client.get_subscription(props["tenant_id"], user.subscription_id)
                if user.subscription_id
                else None
            )
            live["subscription"] = mapped.external_id if mapped else ""
        return self.read_result(id_, self.outputs(user, live))

    def replace(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> contract.User:
        tenant_id, identity = news["tenant_id"], _identity(news)
        user = self.client.get_user(tenant_id, id_)
        if user is None:
            raise ProviderError(
                f"User {identity.email} was removed from the backend outside this stack; "
                "run `pulumi refresh`, then `pulumi up` to create it again."
            )
        # As the user is, not as the old state says: an interrupted destroy may have
        # released them (another mark, no license) since.
        if contract.UserBody.model_validate(user.model_dump(include=_IDENTITY)) != identity:
            user = self.client.replace_user(tenant_id, user.id, identity)
        return self._map(tenant_id, user, _license(news))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Remap in place; whether the user was adopted carries over from the old state."""
        adopted = not _created_user(olds)
        return UpdateResult(self.outputs(self.replace(id_, olds, news), {**news, ADOPTED: adopted}))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Release the user (or delete them, with `deleteUsers`), only while they still carry
        this assignment's mark: a team of this stack may have taken them over in this update."""
        adopted = not _created_user(props)
        part = let_go(props, props["email"], _mark(props), adopted=adopted)
        try:
            [result] = self.client.bulk_assign(props["tenant_id"], [part])
        except NotFoundError:
            return  # the tenant is gone, and its users with it
        if result.status == "error":
            raise ProviderError(f"Releasing {props['email']} failed: {result.description}")


class LicenseAssignment(ApiResource, provider=LicenseAssignmentProvider):
    """One user's mapping to a subscription; the resource's id is the user's backend id."""

"""The `LicenseRuleAssignments` resource: the people one license rule licenses, in bulk.

The program resolves the rule against the org's directory and hands this resource the
people it selects; one resource per rule, so that a plan has one step per changed rule
however many people it moves. The resource only licenses: it never creates or deletes a
person, nor changes whose they are (their `externalId` is the identity provider's). A
person who leaves the rule loses the rule's license, unless they are `handed_over` to
another rule or a declared user of the stack, whose own step switches their license in
one PATCH, so that nobody goes without access in between.
"""

from typing import Any, ClassVar

from pulumi.dynamic import CheckFailure, CreateResult, ReadResult, UpdateResult
from pydantic import Field

from ccprovider.api_errors import NotFoundError
from ccprovider.bulk_assign import BulkAction, BulkAssignment
from ccprovider.contract import license_id
from ccprovider.domain import AgentProfile, Email, SubscriptionId, TeamName, UserRole
from ccprovider.resources.base import ApiResource, DeclaredProvider, engine_values, refused_parts
from ccprovider.resources.inputs import DeclaredInputs, Replace, compared_fields
from ccprovider.rules import license_kind


class RuleInputs(DeclaredInputs):
    """A rule's people (sorted e-mails), the role and profile it gives, and its
    subscription (external id and backend id); another tenant or rule name is another
    resource."""

    natural_key: ClassVar[tuple[str, ...]] = ("tenant_id", "rule")
    not_compared: ClassVar[tuple[str, ...]] = ("handed_over",)

    tenant_id: Replace[str]
    rule: Replace[TeamName]
    role: UserRole
    agent_profile: AgentProfile | None = None
    subscription: SubscriptionId
    subscription_id: str
    members: list[Email]
    handed_over: list[Email] = Field(default_factory=list)
    """People leaving this rule whom another rule or a declared user takes in this update."""


def _license(props: dict[str, Any]) -> str:
    """The license the rule gives, as the provider names it."""
    profile = props.get("agent_profile")
    kind = license_kind(UserRole(props["role"]), AgentProfile(profile) if profile else None)
    return license_id(props["subscription_id"], kind)


def _licensed(props: dict[str, Any], email: str) -> BulkAssignment:
    return BulkAssignment(
        action=BulkAction.LICENSE,
        email=email,
        role=props["role"],
        agent_profile=props.get("agent_profile"),
        license=_license(props),
    )


def _unlicensed(props: dict[str, Any], email: str) -> BulkAssignment:
    return BulkAssignment(action=BulkAction.UNLICENSE, email=email, license=_license(props))


def _outputs(props: dict[str, Any]) -> dict[str, Any]:
    return {**{f: props.get(f) for f in compared_fields(RuleInputs)}, **engine_values(props)}


class LicenseRuleProvider(DeclaredProvider):
    """Licenses a rule's people through the vendor's license PATCH, each on their own."""

    inputs_model = RuleInputs
    kind = "License rule"

    def live_failures(self, _olds: dict[str, Any], inputs: dict[str, Any]) -> list[CheckFailure]:
        """The rule's subscription must give access now."""
        reason = self.no_access_reason(inputs["tenant_id"], inputs["subscription_id"])
        if reason is None or not inputs["members"]:
            return []
        return [
            CheckFailure(
                "subscription",
                f"license rule {inputs['rule']} gives {len(inputs['members']):,} people "
                f"licenses of subscription {inputs['subscription']}, which {reason}: they would "
                "lose access. Fix: point the rule at an active subscription.",
            )
        ]

    def _apply(self, props: dict[str, Any], parts: list[BulkAssignment]) -> None:
        results = self.client.bulk_assign(props["tenant_id"], parts) if parts else []
        error = refused_parts(
            f"License rule {props['rule']}",
            results,
            "people could not be licensed",
            "Fix the rule or these people's directory entries, then run `pulumi up` again: "
            "it converges.",
        )
        if error is not None:
            raise error

    def create(self, props: dict[str, Any]) -> CreateResult:
        self._apply(props, [_licensed(props, e) for e in props["members"]])
        return CreateResult(f"{props['tenant_id']}/rule/{props['rule']}", _outputs(props))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """License the people added, and everyone when what the rule gives changed; take the
        old license from the people who left, unless another takes them over now."""
        same_license = _license(olds) == _license(news) and olds["role"] == news["role"]
        before = set(olds["members"])
        licensed = [e for e in news["members"] if e not in before or not same_license]
        left = before - set(news["members"]) - set(news.get("handed_over") or [])
        parts = [_licensed(news, e) for e in licensed]
        parts += [_unlicensed(olds, e) for e in sorted(left)]
        self._apply(news, parts)
        return UpdateResult(_outputs(news))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """Take the rule's license from its people; the people stay, as they came."""
        try:
            self._apply(props, [_unlicensed(props, e) for e in props["members"]])
        except NotFoundError:
            return  # the tenant is gone, and its people with it

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The rule's people who still hold its license as the rule gives it: one who lost
        it, or holds another, shows as drift that the next `up` puts right."""
        try:
            live = self.tenant_users(props["tenant_id"])
        except NotFoundError:
            return self.read_result(id_, None)
        wanted = _license(props)
        role, profile = props["role"], props.get("agent_profile")
        holding = [
            email
            for email in props["members"]
            if (user := live.get(email)) is not None
            and user.licenses == [wanted]
            and (user.role, user.agent_profile) == (role, profile)
        ]
        return self.read_result(id_, _outputs({**props, "members": holding}))


class LicenseRuleAssignments(ApiResource, provider=LicenseRuleProvider):
    """The people one license rule licenses, in bulk."""

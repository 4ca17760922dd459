"""The `TeamAssignments` resource: one team's license assignments, managed in bulk.

For large tenants: one resource and one batched request per 1,000 users instead of a
resource and two requests per user, with the same rules and diffs as `LicenseAssignment`
(the engine shows each member that is added, changed or removed). Each user's part
applies on its own; users that fail are listed with the backend's reason.

The team marks the users it manages with its own `externalId`, so that a user can move
between teams, or between a team and a single assignment, in one update whichever side
runs first: the receiving side takes over any user this stack marked, and the giving side
only acts on users that still carry its mark. A removed member is released (no license,
marked as this stack's) rather than deleted, for the same reason and because the account
may carry other services; with `delete_users` the accounts it created are deleted instead.
"""

from collections import defaultdict
from typing import Any, ClassVar, Self

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, ReadResult, UpdateResult
from pydantic import model_validator

from ccprovider.api_errors import NotFoundError
from ccprovider.bulk_assign import BulkAction, BulkAssignment, BulkAssignmentResult
from ccprovider.contract import license_id
from ccprovider.domain import (
    AgentProfile,
    Email,
    RoleAndProfile,
    SubscriptionId,
    TeamName,
    UserRole,
)
from ccprovider.resources.base import (
    ApiResource,
    DeclaredProvider,
    engine_values,
    let_go,
    refused_parts,
)
from ccprovider.resources.inputs import (
    ADOPT,
    TAKE_OVER,
    DeclaredInputs,
    Replace,
    compared_fields,
    input_defaults,
    is_unknown,
)
from ccprovider.resources.ownership import mark_owner, ownership_problem, remarked, stack_mark
from ccprovider.rules import license_kind

ADOPTED_USERS = "adopted_users"
"""The output listing members that existed outside this stack and were adopted."""


class TeamMember(RoleAndProfile):
    """One member's role, agent profile and subscription (external id)."""

    subscription: SubscriptionId


class TeamInputs(DeclaredInputs):
    """A team's members, keyed by e-mail, and the backend ids of the subscriptions they use;
    another tenant or team name is another team."""

    natural_key: ClassVar[tuple[str, ...]] = ("tenant_id", "team")

    tenant_id: Replace[str]
    team: Replace[TeamName]
    members: dict[Email, TeamMember]
    subscription_ids: dict[SubscriptionId, str]
    delete_users: bool = False
    """Delete the accounts of members this stack created when they leave, not only release."""

    @model_validator(mode="after")
    def _every_subscription_has_an_id(self) -> Self:
        missing = {m.subscription for m in self.members.values()} - set(self.subscription_ids)
        if missing:
            raise ValueError(f"subscription_ids lacks {', '.join(sorted(missing))}")
        return self


def team_mark(props: dict[str, Any]) -> str:
    """The mark (`externalId`) of the users this team manages."""
    return f"{stack_mark(props)}team:{props['team']}"


def _wanted(props: dict[str, Any], email: str) -> tuple[Any, ...]:
    """What a member should be: identity and the backend id of their subscription."""
    member = props["members"][email]
    sub_id = props["subscription_ids"].get(member["subscription"])
    return member["role"], member.get("agent_profile"), sub_id


def _assign(
    props: dict[str, Any], email: str, held_under: dict[str, Any] | None = None
) -> BulkAssignment:
    """Create or update the member and give them their subscription's fitting license; the
    member may carry a mark of `held_under`'s owner (by default the team's own), the one a
    state had before it had an id."""
    role, profile, sub_id = _wanted(props, email)
    kind = license_kind(UserRole(role), AgentProfile(profile) if profile else None)
    return BulkAssignment(
        action=BulkAction.ASSIGN,
        email=email,
        role=role,
        agent_profile=profile,
        external_id=team_mark(props),
        license=license_id(sub_id, kind),
        # Only members this stack manages; with adopt, unmarked ones too; with adopt and
        # takeOver, any.
        if_external_id_prefix=None
        if props.get(ADOPT) and props.get(TAKE_OVER)
        else stack_mark(held_under or props),
        or_unmarked=bool(props.get(ADOPT)),
    )


def _newly_adopted(results: list[BulkAssignmentResult], *owners: dict[str, Any]) -> set[str]:
    """Members that existed without the mark of any of `owners` (this state, and what it
    was before it had an id) before this request."""
    prefixes = tuple(stack_mark(props) for props in owners)
    return {
        r.email
        for r in results
        if r.action is BulkAction.ASSIGN
        and r.status == "updated"
        and not (r.previous_external_id or "").startswith(prefixes)
    }


def _outputs(props: dict[str, Any], adopted: set[str]) -> dict[str, Any]:
    """The team's inputs (with the defaults of fields added since its state was written),
    and the members it adopted."""
    defaults = input_defaults(TeamInputs)
    return {
        **{f: props.get(f, defaults.get(f)) for f in compared_fields(TeamInputs)},
        **engine_values(props),
        ADOPTED_USERS: sorted(adopted),
    }


class TeamAssignmentsProvider(DeclaredProvider):
    """Assigns a team's users their licenses through the vendor's bulk request."""

    inputs_model = TeamInputs
    kind = "Team"

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        ids = news.get("subscription_ids")
        unknown = [v for v in ids.values() if is_unknown(v)] if isinstance(ids, dict) else []
        if unknown:  # a subscription not created yet: the map as a whole is not known
            news = {**news, "subscription_ids": unknown[0]}
        return super().check(olds, news)

    def live_failures(self, olds: dict[str, Any], inputs: dict[str, Any]) -> list[CheckFailure]:
        """Every subscription the team uses must give access now, one read per subscription;
        and the members it adds must be its to take, as the update would find them."""
        return [*self._access_failures(inputs), *self._ownership_failures(olds, inputs)]

    def _ownership_failures(
        self, olds: dict[str, Any], inputs: dict[str, Any]
    ) -> list[CheckFailure]:
        """The members the team adds that exist and may not be taken (`ownership`): one
        failure naming the first few, in e-mail order, and how many."""
        added = sorted(set(inputs["members"]) - set(olds.get("members") or {}))
        if not added:
            return []
        live = self.tenant_users(inputs["tenant_id"])
        where = self.settings.describe()
        problems = [
            problem
            for email in added
            if email in live
            and (
                problem := ownership_problem(
                    f"User {email}", mark_owner(live[email].external_id), inputs, where
                )
            )
        ]
        if not problems:
            return []
        more = f" ({len(problems) - 1} more member(s) of team {inputs['team']} too)"
        return [CheckFailure("members", problems[0] + (more if len(problems) > 1 else ""))]

    def _access_failures(self, inputs: dict[str, Any]) -> list[CheckFailure]:
        on: dict[str, list[str]] = defaultdict(list)
        for email, member in inputs["members"].items():
            on[member["subscription"]].append(email)
        failures = []
        for external_id, emails in sorted(on.items()):
            sub_id = inputs["subscription_ids"][external_id]
            reason = self.no_access_reason(inputs["tenant_id"], sub_id)
            if reason is None:
                continue
            shown = ", ".join(sorted(emails)[:5]) + (" ..." if len(emails) > 5 else "")
            failures.append(
                CheckFailure(
                    "members",
                    f"{len(emails)} member(s) of team {inputs['team']} ({shown}) are mapped to "
                    f"subscription {external_id}, which {reason}: they would lose access. Fix: "
                    "map them to an active subscription.",
                )
            )
        return failures

    def _apply(
        self, props: dict[str, Any], parts: list[BulkAssignment]
    ) -> list[BulkAssignmentResult]:
        results = self.client.bulk_assign(props["tenant_id"], parts) if parts else []
        error = refused_parts(
            f"Team {props['team']}",
            results,
            "users could not be assigned",
            "Fix these users' declarations (or adopt them; `takeOver: true` takes over users "
            "another stack manages), then run `pulumi up` again: it sends the team's wanted "
            "state and converges.",
        )
        if error is not None:
            raise error
        return results

    def create(self, props: dict[str, Any]) -> CreateResult:
        results = self._apply(props, [_assign(props, e) for e in sorted(props["members"])])
        team_id = f"{props['tenant_id']}/{props['team']}"
        return CreateResult(team_id, _outputs(props, _newly_adopted(results, props)))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Assign the members added or changed, and release those removed; for a new owner
        (`remarked`), assign every member, marked under the old owner, to the new one."""
        adopted = set(olds.get(ADOPTED_USERS) or [])
        moved = remarked(olds, news)
        changed = [
            e
            for e in sorted(news["members"])
            if moved or e not in olds["members"] or _wanted(olds, e) != _wanted(news, e)
        ]
        removed = sorted(set(olds["members"]) - set(news["members"]))
        held_under = olds if moved else news
        parts = [_assign(news, e, held_under if e in olds["members"] else None) for e in changed]
        parts += [
            let_go(news, e, team_mark(olds), adopted=e in adopted, may_delete=False)
            for e in removed
        ]
        results = self._apply(news, parts)
        kept = (adopted - set(removed)) | _newly_adopted(results, news, olds)
        return UpdateResult(_outputs(news, kept))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        adopted = set(props.get(ADOPTED_USERS) or [])
        mark = team_mark(props)
        parts = [let_go(props, e, mark, adopted=e in adopted) for e in sorted(props["members"])]
        self._apply(props, parts)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The members that still carry this team's mark, as they are in the backend."""
        tenant_id = props["tenant_id"]
        try:
            live = list(self.client.list_managed_users(tenant_id, team_mark(props)))
        except NotFoundError:
            return self.read_result(id_, None)
        external = {sub_id: ext for ext, sub_id in props["subscription_ids"].items()}
        members: dict[str, Any] = {}
        for user in live:
            if user.subscription_id and user.subscription_id not in external:
                found = self.client.get_subscription(tenant_id, user.subscription_id)
                external[user.subscription_id] = found.external_id if found else ""
            # Not validated: a member released in the backend holds no subscription ("").
            member = TeamMember.model_construct(
                role=user.role,
                agent_profile=user.agent_profile,
                subscription=external.get(user.subscription_id or "", ""),
            )
            members[user.email] = member.model_dump(mode="json", exclude_none=True)
        adopted = set(props.get(ADOPTED_USERS) or []) & set(members)
        return self.read_result(id_, _outputs({**props, "members": members}, adopted))


class TeamAssignments(ApiResource, provider=TeamAssignmentsProvider):
    """A team's users and their subscriptions, assigned in bulk."""

    adopted_users: pulumi.Output[list[str]]

"""The TeamAssignments provider's hooks, called as the engine calls them, with requests-mock
answering for the backend: checks, the one batched request, and what it sends when."""

from typing import Any

import pytest
import requests_mock
from pulumi.output import Unknown

from ccprovider import contract
from ccprovider.resources import TeamAssignmentsProvider
from ccprovider.resources.failures import ProviderError
from tests.helpers import (
    TENANT_URL,
    answer_users,
    bulk_outcome,
    bulk_parts,
    configured,
    live_subscription,
    live_user,
    page,
    wire,
)

BULK = f"{TENANT_URL}/licenses/users/bulk"
MARK = "proj/dev#team:care"


def members(**subscriptions: str) -> dict[str, Any]:
    """Agents by local part, mapped to the given subscriptions."""
    return {
        f"{local}@acme.example": {"role": "agent", "agent_profile": "standard", "subscription": s}
        for local, s in subscriptions.items()
    }


def team(**subscriptions: str) -> dict[str, Any]:
    return {
        "tenant_id": "t-1",
        "team": "care",
        "members": members(**subscriptions),
        "subscription_ids": {"SUB-1": "id-SUB-1", "SUB-2": "id-SUB-2"},
        "adopt": False,
        "owner": "proj/dev",
    }


def assigned(
    email: str, status: contract.BulkStatus, description: str | None = None
) -> contract.BulkAssignmentResult:
    """The outcome of assigning `email` in a bulk request."""
    return contract.BulkAssignmentResult(
        email=email, action="assign", status=status, description=description
    )


@pytest.fixture
def teams() -> TeamAssignmentsProvider:
    return configured(TeamAssignmentsProvider())


def test_members_on_a_subscription_that_gives_no_access_fail_check_together(
    teams: TeamAssignmentsProvider,
) -> None:
    with requests_mock.Mocker() as mock:
        mock.get(f"{TENANT_URL}/subscriptions/id-SUB-1", json=wire(live_subscription("SUB-1")))
        mock.get(
            f"{TENANT_URL}/subscriptions/id-SUB-2",
            json=wire(live_subscription("SUB-2", status="expired")),
        )
        answer_users(mock)
        result = teams.check({}, team(a1="SUB-1", a2="SUB-2", a3="SUB-2"))

    [failure] = result.failures
    assert failure.property == "members"
    assert "2 member(s) of team care (a2@acme.example, a3@acme.example)" in failure.reason
    assert "subscription SUB-2, which is expired" in failure.reason
    # One read per subscription and one of the tenant's users (SCIM's and people's pages),
    # not one per member.
    assert sorted(r.path for r in mock.request_history) == [
        "/identity/scim/t-1/v2/users",
        "/v1/people",
        "/v1/tenants/t-1/subscriptions/id-sub-1",
        "/v1/tenants/t-1/subscriptions/id-sub-2",
    ]


@pytest.mark.parametrize(
    ("mark", "refusal"),
    [
        ("proj/prod#user:a2@acme.example", "User a2@acme.example is managed by stack proj/prod"),
        (None, "User a2@acme.example already exists in http://backend.test"),
        ("proj/dev#", None),  # released by a resource of this stack: its own to take
    ],
)
def test_a_member_the_team_may_not_take_fails_check(
    teams: TeamAssignmentsProvider, mark: str | None, refusal: str | None
) -> None:
    """The preview refuses what the update's bulk request would refuse for a member."""
    existing = live_user("a2@acme.example", [], external_id=mark)
    with requests_mock.Mocker() as mock:
        mock.get(f"{TENANT_URL}/subscriptions/id-SUB-1", json=wire(live_subscription("SUB-1")))
        answer_users(mock, existing)
        result = teams.check({}, team(a1="SUB-1", a2="SUB-1"))

    reasons = [f.reason for f in result.failures]
    if refusal is None:
        assert reasons == []
    else:
        [reason] = reasons
        assert reason.startswith(refusal), reason


def test_a_member_with_a_profile_that_does_not_fit_the_role_fails_check(
    teams: TeamAssignmentsProvider,
) -> None:
    declared = team(a1="SUB-1")
    declared["members"]["admin@acme.example"] = {
        "role": "admin",
        "agent_profile": "premium",
        "subscription": "SUB-1",
    }

    [failure] = teams.check({}, declared).failures

    assert failure.property == "members"
    assert "agentProfile applies to agents only, not to a admin" in failure.reason


def test_a_member_on_a_subscription_without_an_id_fails_check(
    teams: TeamAssignmentsProvider,
) -> None:
    [failure] = teams.check({}, team(a1="SUB-9")).failures

    assert "subscription_ids lacks SUB-9" in failure.reason


def test_a_subscription_not_created_yet_leaves_the_check_to_later(
    teams: TeamAssignmentsProvider,
) -> None:
    declared = {**team(a1="SUB-1"), "subscription_ids": {"SUB-1": Unknown()}}

    with requests_mock.Mocker() as mock:
        result = teams.check({}, declared)

    assert mock.call_count == 0
    assert result.failures == []
    assert isinstance(result.inputs["subscription_ids"], Unknown)


def test_create_sends_every_member_in_one_request_marked_as_the_team(
    teams: TeamAssignmentsProvider,
) -> None:
    with requests_mock.Mocker() as mock:
        mock.patch(
            BULK,
            json=wire(
                bulk_outcome(
                    assigned("a1@acme.example", "created"), assigned("a2@acme.example", "created")
                )
            ),
        )
        result = teams.create(team(a1="SUB-1", a2="SUB-2"))

    assert mock.call_count == 1
    assert [(p["email"], p["license"], p["externalId"]) for p in bulk_parts(mock)] == [
        ("a1@acme.example", "id-SUB-1:standard-agent", MARK),
        ("a2@acme.example", "id-SUB-2:standard-agent", MARK),
    ]
    assert {p["ifExternalIdPrefix"] for p in bulk_parts(mock)} == {"proj/dev#"}
    assert result.id == "t-1/care"
    assert result.outs is not None
    assert result.outs["adopted_users"] == []


def test_update_sends_only_changed_members_and_releases_removed_ones(
    teams: TeamAssignmentsProvider,
) -> None:
    olds = {**team(a1="SUB-1", a2="SUB-1", a3="SUB-1"), "adopted_users": []}
    news = team(a1="SUB-1", a2="SUB-2", a4="SUB-1")

    with requests_mock.Mocker() as mock:
        mock.patch(BULK, json=wire(bulk_outcome(assigned("a2@acme.example", "updated"))))
        teams.update("t-1/care", olds, news)

    assert [(p["action"], p["email"]) for p in bulk_parts(mock)] == [
        ("assign", "a2@acme.example"),
        ("assign", "a4@acme.example"),
        ("release", "a3@acme.example"),
    ]
    release = bulk_parts(mock)[2]
    assert (release["ifExternalId"], release["externalId"]) == (MARK, "proj/dev#")


def test_failed_members_are_listed_with_the_backends_reason(
    teams: TeamAssignmentsProvider,
) -> None:
    reason = "Subscription SUB-2 cannot give access: it is expired."
    with requests_mock.Mocker() as mock:
        mock.patch(
            BULK,
            status_code=206,
            json=wire(
                bulk_outcome(
                    assigned("a1@acme.example", "created"),
                    assigned("a2@acme.example", "error", reason),
                )
            ),
        )
        with pytest.raises(ProviderError) as error:
            teams.create(team(a1="SUB-1", a2="SUB-2"))

    assert "Team care: 1 of 2 users could not be assigned" in str(error.value)
    assert f"a2@acme.example: {reason}" in str(error.value)


def test_delete_releases_members_and_deletes_created_ones_only_with_delete_users(
    teams: TeamAssignmentsProvider,
) -> None:
    props = {**team(a1="SUB-1", a2="SUB-1"), "adopted_users": ["a2@acme.example"]}

    with requests_mock.Mocker() as mock:
        mock.patch(BULK, json=wire(bulk_outcome()))
        teams.delete("t-1/care", props)
        teams.delete("t-1/care", {**props, "delete_users": True})

    assert [(p["action"], p["email"], p["ifExternalId"]) for p in bulk_parts(mock)] == [
        ("release", "a1@acme.example", MARK),
        ("release", "a2@acme.example", MARK),
        ("delete", "a1@acme.example", MARK),
        ("release", "a2@acme.example", MARK),
    ]
    # A released member this stack created stays marked as the stack's, for the tenant's
    # delete; an adopted one goes back unmarked.
    assert [p.get("externalId") for p in bulk_parts(mock)] == ["proj/dev#", None, None, None]


def test_a_member_leaving_a_team_that_stays_is_released_even_with_delete_users(
    teams: TeamAssignmentsProvider,
) -> None:
    """The update runs beside the receiving side's create: deleting could race with a move."""
    olds = {**team(a1="SUB-1", a2="SUB-1"), "adopted_users": [], "delete_users": True}
    news = {**team(a1="SUB-1"), "delete_users": True}

    with requests_mock.Mocker() as mock:
        mock.patch(BULK, json=wire(bulk_outcome()))
        teams.update("t-1/care", olds, news)

    assert [(p["action"], p["email"]) for p in bulk_parts(mock)] == [("release", "a2@acme.example")]


def test_read_shows_a_member_released_in_the_backend_as_on_no_subscription(
    teams: TeamAssignmentsProvider,
) -> None:
    licensed = live_user("agent1@acme.example", ["id-SUB-1:standard-agent"], external_id=MARK)
    released = live_user("agent2@acme.example", [], id="u-2", external_id=MARK)
    with requests_mock.Mocker() as mock:
        mock.get(f"{TENANT_URL}/licenses/users", json=wire(page(licensed, released)))
        result = teams.read("team-care", team(agent1="SUB-1", agent2="SUB-1"))

    assert result.outs is not None
    assert result.outs["members"] == {
        "agent1@acme.example": {
            "role": "agent",
            "agent_profile": "standard",
            "subscription": "SUB-1",
        },
        "agent2@acme.example": {"role": "agent", "agent_profile": "standard", "subscription": ""},
    }

"""The TeamAssignments provider's hooks, called as the engine calls them, with requests-mock
answering for the backend: checks, the one batched request, and what it sends when."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import requests_mock
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.output import Unknown

from ccprovider.bulk_assign import BulkAssignmentResult, BulkStatus
from ccprovider.client import ProvisioningClient
from ccprovider.contract import UserBody
from ccprovider.resources import TeamAssignmentsProvider
from ccprovider.resources.failures import ProviderError
from tests.helpers import (
    TENANT_URL,
    answer_users,
    configured,
    live_subscription,
    live_user,
    subscription_body,
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
    email: str, status: BulkStatus, description: str | None = None
) -> BulkAssignmentResult:
    """The outcome of assigning `email` in a bulk request."""
    return BulkAssignmentResult(
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
        "/v1/simulator/tenants/t-1/subscriptions/id-sub-1",
        "/v1/simulator/tenants/t-1/subscriptions/id-sub-2",
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


@dataclass(frozen=True)
class Live:
    """A team provider on a real backend, and the team's inputs there (`inputs`)."""

    teams: TeamAssignmentsProvider
    client: ProvisioningClient
    tenant_id: str
    ids: dict[str, str]
    inputs: Callable[..., dict[str, Any]]

    def held(self) -> dict[str, tuple[str | None, list[str]]]:
        """Each user of the tenant: their mark and the subscriptions of their licenses."""
        external = {sub_id: ext for ext, sub_id in self.ids.items()}
        return {
            u.email: (u.external_id, [external[lic.partition(":")[0]] for lic in u.licenses])
            for u in self.client.list_users(self.tenant_id)
        }


@pytest.fixture
def on_backend(
    backend_url: str, client: ProvisioningClient, tenant_id: str, clock_today: date
) -> Live:
    """A team provider of a real backend, its tenant with active SUB-1 and SUB-2 and an
    expired SUB-OLD, and the team's inputs there."""
    provider = TeamAssignmentsProvider()
    provider.configure(ConfigureRequest(Config({"ccprovider:endpoint": backend_url}, "")))
    ids = {
        external_id: client.create_subscription(
            tenant_id, subscription_body(external_id, **terms)
        ).id
        for external_id, terms in {
            "SUB-1": {},
            "SUB-2": {},
            "SUB-OLD": {"start": date(2020, 1, 1), "term_months": 12},
        }.items()
    }

    def inputs(**subscriptions: str) -> dict[str, Any]:
        return {**team(**subscriptions), "tenant_id": tenant_id, "subscription_ids": ids}

    return Live(provider, client, tenant_id, ids, inputs)


def test_create_assigns_every_member_marked_as_the_team(on_backend: Live) -> None:
    result = on_backend.teams.create(on_backend.inputs(a1="SUB-1", a2="SUB-2"))

    assert on_backend.held() == {
        "a1@acme.example": (MARK, ["SUB-1"]),
        "a2@acme.example": (MARK, ["SUB-2"]),
    }
    assert result.id == f"{on_backend.tenant_id}/care"
    assert result.outs is not None
    assert result.outs["adopted_users"] == []


def test_update_changes_only_changed_members_and_releases_removed_ones(on_backend: Live) -> None:
    olds = {**on_backend.inputs(a1="SUB-1", a2="SUB-1", a3="SUB-1"), "adopted_users": []}
    on_backend.teams.create(olds)
    untouched = on_backend.client.find_user(on_backend.tenant_id, "a1@acme.example")
    news = on_backend.inputs(a1="SUB-1", a2="SUB-2", a4="SUB-1")

    on_backend.teams.update("t-1/care", olds, news)

    assert on_backend.held() == {
        "a1@acme.example": (MARK, ["SUB-1"]),
        "a2@acme.example": (MARK, ["SUB-2"]),
        "a3@acme.example": ("proj/dev#", []),  # released, marked as the stack's
        "a4@acme.example": (MARK, ["SUB-1"]),
    }
    assert on_backend.client.find_user(on_backend.tenant_id, "a1@acme.example") == untouched


def test_failed_members_are_listed_with_the_backends_reason_and_the_others_assigned(
    on_backend: Live,
) -> None:
    with pytest.raises(ProviderError) as error:
        on_backend.teams.create(on_backend.inputs(a1="SUB-1", a2="SUB-OLD"))

    assert "Team care: 1 of 2 users could not be assigned; the others were." in str(error.value)
    assert "a2@acme.example: " in str(error.value)
    assert "Subscription SUB-OLD cannot give access: it expired on 2021-01-01" in str(error.value)
    # The refused member is not left behind half-made.
    assert on_backend.held() == {"a1@acme.example": (MARK, ["SUB-1"])}


@pytest.mark.parametrize(
    ("delete_users", "left"),
    [
        # A released member this stack created stays marked as the stack's, for the
        # tenant's delete; an adopted one goes back unmarked.
        (False, {"a1@acme.example": ("proj/dev#", []), "a2@acme.example": (None, [])}),
        (True, {"a2@acme.example": (None, [])}),
    ],
)
def test_delete_releases_members_and_deletes_created_ones_only_with_delete_users(
    on_backend: Live, delete_users: bool, left: dict[str, Any]
) -> None:
    on_backend.client.create_user(
        on_backend.tenant_id,
        UserBody(email="a2@acme.example", role="agent", agent_profile="standard"),
    )
    declared = {**on_backend.inputs(a1="SUB-1", a2="SUB-1"), "adopt": True}
    created = on_backend.teams.create(declared)
    assert created.outs is not None and created.outs["adopted_users"] == ["a2@acme.example"]

    on_backend.teams.delete("t-1/care", {**created.outs, "delete_users": delete_users})

    assert on_backend.held() == left


def test_a_member_leaving_a_team_that_stays_is_released_even_with_delete_users(
    on_backend: Live,
) -> None:
    """The update runs beside the receiving side's create: deleting could race with a move."""
    olds = {**on_backend.inputs(a1="SUB-1", a2="SUB-1"), "adopted_users": [], "delete_users": True}
    on_backend.teams.create(olds)
    news = {**on_backend.inputs(a1="SUB-1"), "delete_users": True}

    on_backend.teams.update("t-1/care", olds, news)

    assert on_backend.held() == {
        "a1@acme.example": (MARK, ["SUB-1"]),
        "a2@acme.example": ("proj/dev#", []),
    }


def test_read_shows_a_member_released_in_the_backend_as_on_no_subscription(
    teams: TeamAssignmentsProvider,
) -> None:
    licensed = live_user("agent1@acme.example", ["id-SUB-1:standard-agent"], external_id=MARK)
    released = live_user("agent2@acme.example", [], id="u-2", external_id=MARK)
    with requests_mock.Mocker() as mock:
        answer_users(mock, licensed, released)
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

"""`ContactCenterArgs` from a program of one's own: values wired from other resources'
outputs, judged at preview with the rest and again once known."""

import asyncio
from datetime import date
from typing import Any, cast

import pulumi
import pytest

from ccprovider.args import ContactCenterArgs, Shape, UserArgs
from ccprovider.contact_center import ContactCenter
from ccprovider.engine_stop import ProgramStopped
from tests.test_program import RecordingMocks

TODAY = date(2026, 6, 1)


def tenant_args(*users: UserArgs, telephony: str = "webex_calling") -> ContactCenterArgs:
    """acme-lib with SUB-1 and SUB-2 on `telephony`, and `users`."""
    sub = {"department": "care", "license_model": "named", "term_months": 36}
    return ContactCenterArgs(
        name="acme-lib",
        offer="flex3",
        telephony="webex_calling",
        subscriptions=[
            {**sub, "id": "SUB-1", "start": "2025-01-01"},  # type: ignore[typeddict-item]
            {**sub, "id": "SUB-2", "start": "2025-06-01", "telephony": telephony},  # type: ignore[typeddict-item]
        ],
        users=list(users),
    )


def directory_address(mocks: RecordingMocks) -> pulumi.Output[str]:
    """An e-mail address another resource of the program outputs (a directory entry)."""
    del mocks
    entry = pulumi.CustomResource("test:index:DirectoryEntry", "alice", {})
    return entry.id.apply(lambda entry_id: f"{entry_id}@acme.example")


def with_mocks() -> RecordingMocks:
    mocks = RecordingMocks()
    pulumi.runtime.set_mocks(mocks, project="ccprovider", stack="test", preview=False)
    return mocks


@pulumi.runtime.test
def test_an_email_wired_from_another_resource_reaches_the_assignment() -> pulumi.Output[None]:
    mocks = with_mocks()
    address = directory_address(mocks)
    center = ContactCenter(
        "lib",
        tenant_args(
            {"email": "admin1@acme.example", "role": "admin", "subscription": "SUB-1"},
            {"email": address, "key": "alice", "role": "admin", "subscription": "SUB-2"},
        ),
        today=TODAY,
    )

    def check(values: list[Any]) -> None:
        checked, *_ = values
        assert checked == "acme-lib"
        alice = mocks.resources["LicenseAssignment:lib-alice"].inputs
        assert (alice["email"], alice["subscription"]) == ("alice-id@acme.example", "SUB-2")

    return pulumi.Output.all(
        center.declaration_checked, *(a.id for a in center.assignments.values())
    ).apply(check)


def test_a_rule_broken_by_the_known_values_stops_the_program_at_once() -> None:
    mocks = with_mocks()

    with pytest.raises(ProgramStopped, match=r"ccprovider:tenant\.subscriptions\[1\]\.telephony"):
        ContactCenter(
            "lib",
            tenant_args(
                {
                    "email": directory_address(mocks),
                    "key": "alice",
                    "role": "admin",
                    "subscription": "SUB-1",
                },
                telephony="vpop",
            ),
            today=TODAY,
        )


def test_a_wired_email_needs_a_key_to_name_its_resource() -> None:
    mocks = with_mocks()

    with pytest.raises(
        ProgramStopped, match=r"users\[0\]\.email is wired .* give the entry a `key`"
    ):
        ContactCenter(
            "lib",
            tenant_args(
                {"email": directory_address(mocks), "role": "admin", "subscription": "SUB-1"}
            ),
            today=TODAY,
        )


def test_a_wired_value_that_breaks_a_rule_once_known_stops_the_update() -> None:
    mocks = RecordingMocks()

    @pulumi.runtime.test
    def declare() -> pulumi.Output[str]:
        pulumi.runtime.set_mocks(mocks, project="ccprovider", stack="test", preview=False)
        twin = pulumi.Output.from_input("admin1@acme.example").apply(str.upper)
        center = ContactCenter(
            "lib",
            tenant_args(
                {"email": "admin1@acme.example", "role": "admin", "subscription": "SUB-1"},
                {"email": twin, "key": "twin", "role": "admin", "subscription": "SUB-1"},
            ),
            today=TODAY,
        )
        return center.declaration_checked

    with pytest.raises(pulumi.RunError, match=r"'admin1@acme\.example' is declared twice"):
        declare()


@pulumi.runtime.test
def test_a_wired_value_reaches_its_resource_only_once_the_declaration_holds() -> pulumi.Output[
    None
]:
    with_mocks()
    shape = Shape({"email": pulumi.Output.from_input("twin@acme.example")})
    shape.gate(_not_known_yet())  # the whole declaration, not judged yet
    restored: pulumi.Output[Any] = shape.restore(shape.declaration)["email"]

    async def known() -> bool:
        return await restored.is_known()

    def check(is_known: bool) -> None:
        assert not is_known  # it waits for the judgement

    judged = cast(pulumi.Output[bool], pulumi.Output.from_input(known()))
    return judged.apply(check)


def _not_known_yet() -> pulumi.Output[Any]:
    """An Output whose value is not known yet, as during a preview."""
    loop = asyncio.get_event_loop()
    value, is_known = loop.create_future(), loop.create_future()
    value.set_result(None)
    is_known.set_result(False)
    return pulumi.Output(set(), value, is_known)

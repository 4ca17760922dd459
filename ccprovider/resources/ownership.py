"""Who manages an object: the mark every object a stack manages carries, and what a stack may
do with an object that carries another mark.

The manager is one state of a stack, `project/stack@<state id>` (`owner_of`): the stack's
name is not enough, because a second state of the same name (a stack initialised again in
another backend instead of imported) would otherwise take over, and then destroy, what the
first one created. A user carries it in `externalId` (`<owner>#user:<email>`,
`<owner>#team:<team>`, `<owner>#` once released); a tenant, a subscription and a partner
in `managedBy`. It also salts the idempotency keys of the stack's creates, so that a second
state's create is never answered with the first one's object. A state written before
states had an id has the stack's name alone as its owner, until its next update marks its
objects again (`remarked`).
"""

from collections.abc import Iterable, Mapping
from typing import Any

from ccprovider import contract
from ccprovider.bulk_assign import BulkAction, BulkAssignment
from ccprovider.resources.inputs import ADOPT, OWNER, STATE, TAKE_OVER, is_unknown


def owner_of(props: Mapping[str, Any]) -> str | None:
    """The state that manages the resource; None while its id is not known yet: a state
    whose identity is still to be created owns nothing."""
    stack = str(props.get(OWNER) or "")
    if STATE not in props:
        return stack  # a state written before states had an id
    state = props[STATE]
    return None if is_unknown(state) or not state else f"{stack}@{state}"


def remarked(olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
    """Whether the resource's objects must carry another owner's mark: the state got its id
    since its last update (or a new one, if its identity was replaced)."""
    if STATE not in news:
        return False
    return STATE not in olds or (not is_unknown(news[STATE]) and news[STATE] != olds[STATE])


def salt(props: Mapping[str, Any]) -> str:
    """The idempotency salt of a resource's creates: its owner."""
    return owner_of(props) or ""


def stack_mark(props: Mapping[str, Any]) -> str:
    """The mark (a user's `externalId`) of users the stack manages but no resource holds;
    also the prefix of every user mark of the stack's resources, which may take such users
    over. Only asked once the owner is known (a create, an update, a delete)."""
    return f"{salt(props)}#"


def released(users: Iterable[contract.User], props: Mapping[str, Any]) -> list[BulkAssignment]:
    """The bulk parts that release each of `users` (no license, marked as the stack's but
    held by none of its resources), each only while it carries the mark it carries now."""
    return [
        BulkAssignment(
            action=BulkAction.RELEASE,
            email=user.email,
            external_id=stack_mark(props),
            if_external_id=user.external_id,
        )
        for user in users
    ]


def mark_owner(mark: str | None) -> str | None:
    """The owner a user's mark names (the part before `#`); None for a user no stack marked."""
    owner, separator, _ = (mark or "").partition("#")
    return owner if separator else None


def marked_by_stack(user: contract.User, props: Mapping[str, Any]) -> bool:
    """Whether this state manages (or released) the user."""
    owner = owner_of(props)
    return owner is not None and mark_owner(user.external_id) == owner


def managing_stack(user: contract.User, props: Mapping[str, Any]) -> str | None:
    """The other state whose mark the user carries, if any."""
    owner = mark_owner(user.external_id)
    return owner if owner is not None and owner != owner_of(props) else None


def describe_owner(other: str, props: Mapping[str, Any]) -> str:
    """Another owner in messages: "another state of stack p/s" when it has this stack's name,
    else "stack p/s" (its state's id means nothing to a reader)."""
    stack = other.partition("@")[0]
    if stack == str(props.get(OWNER) or ""):
        return f"another state of stack {stack}"
    return f"stack {stack}"


MOVING_A_STACK = "import that stack's state (README: moving a stack)"
"""The fix for a second state of a stack: move the state, do not start another."""


def ownership_problem(
    label: str, manager: str | None, props: Mapping[str, Any], where: str
) -> str | None:
    """Why the stack may not create or take over `label`, which exists in `where` managed by
    `manager` (None: by no stack); None when it may: it is this state's own (an earlier run
    created it), unmanaged and adopted, or managed elsewhere and taken over."""
    owner = owner_of(props)
    if manager is not None and manager == owner:
        return None
    if manager is not None and not (props.get(ADOPT) and props.get(TAKE_OVER)):
        other = describe_owner(manager, props)
        fix = (
            f"{MOVING_A_STACK}, or set `adopt: true` and `takeOver: true` in ccprovider:tenant "
            "to take it over"
            if other.startswith("another state")
            else "declare it in one of the two stacks only, or set `adopt: true` and "
            f"`takeOver: true` in ccprovider:tenant to take it over from {other}"
        )
        return f"{label} is managed by {other}. Fix: {fix}."
    if manager is None and not props.get(ADOPT):
        return (
            f"{label} already exists in {where} and this stack does not manage it. Set "
            "`adopt: true` in ccprovider:tenant to manage it from this stack, or remove it "
            "from the backend."
        )
    return None

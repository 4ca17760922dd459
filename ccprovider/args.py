"""`ContactCenterArgs`: what a `ContactCenter` declares, from a Pulumi program of one's own.

The arguments are the keys of a stack's `ccprovider:tenant` (in snake_case here; the stack
file's camelCase works too), so the program and a stack file are judged by one validator,
`parse_tenant_spec`, with the same messages. Where a program wires a value from another
resource (a user's or an approver's e-mail, a partner's org, a department, a purchase
order) it may pass a Pulumi Input: the declaration is validated at preview with each value
not known yet standing in as a placeholder, and again, whole, once the values are known.
"""

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, Required, Self, TypedDict

import pulumi


@dataclass(frozen=True)
class Connection:
    """A tenant's own backend, for a program that manages tenants on several: its endpoint
    (empty: an embedded backend on `backend_file`) and its token, which stays a secret in
    the state. Without one, a tenant uses the stack config's `ccprovider:*` settings."""

    endpoint: str = ""
    token: pulumi.Input[str] | None = None
    backend_file: str | None = None

    def inputs(self) -> dict[str, Any]:
        """The connection as every resource of the tenant takes it."""
        token = pulumi.Output.secret(self.token) if self.token is not None else None
        return {"endpoint": self.endpoint, "token": token, "backend_file": self.backend_file}


class SubscriptionArgs(TypedDict, total=False):
    """One subscription, as `subscriptions` entries of a stack file declare it."""

    id: Required[str]
    department: Required[pulumi.Input[str]]
    license_model: Required[str]
    start: Required[str]
    term_months: Required[int]
    offer: str
    telephony: str
    entitlements: Mapping[str, int]
    billing: Mapping[str, pulumi.Input[str]]


class UserArgs(TypedDict, total=False):
    """One user; `key` names its resource, needed when the e-mail is wired from another
    resource (a resource's name must be known when it is declared)."""

    email: Required[pulumi.Input[str]]
    role: Required[str]
    subscription: Required[str]
    agent_profile: str
    team: str
    key: NotRequired[str]


class PartnerArgs(TypedDict, total=False):
    """One partner organisation; `key` names its resource when `org` is wired."""

    org: Required[pulumi.Input[str]]
    access: Required[str]
    approved_by: pulumi.Input[str]
    key: NotRequired[str]


_KEYED = ("users", "partners")
"""The declaration's lists whose entries may name their resource by `key`."""


class ContactCenterArgs:
    """A tenant as a program declares it (see the module's docstring); `connection` gives
    the tenant a backend of its own instead of the stack config's."""

    declaration: dict[str, Any]
    """The declaration, as `parse_tenant_spec` reads it, without the entries' `key`s."""
    connection: Connection | None
    keys: dict[tuple[str, int], str]
    """The `key` of each users or partners entry that has one, by list and index."""

    def __init__(
        self,
        *,
        name: str,
        offer: str,
        telephony: str,
        subscriptions: Sequence[SubscriptionArgs] = (),
        users: Sequence[UserArgs] = (),
        partners: Sequence[PartnerArgs] = (),
        hybrid: bool = False,
        adopt: bool = False,
        take_over: bool = False,
        delete_users: bool = False,
        remap_warning_days: int = 30,
        connection: Connection | None = None,
    ) -> None:
        declaration = {
            "name": name,
            "offer": offer,
            "telephony": telephony,
            "subscriptions": [dict(s) for s in subscriptions],
            "users": [dict(u) for u in users],
            "partners": [dict(p) for p in partners],
            "hybrid": hybrid,
            "adopt": adopt,
            "take_over": take_over,
            "delete_users": delete_users,
            "remap_warning_days": remap_warning_days,
        }
        self._set(declaration, connection)

    @classmethod
    def from_declaration(
        cls, declaration: Mapping[str, Any], connection: Connection | None = None
    ) -> Self:
        """The arguments of the mapping a stack's `ccprovider:tenant` holds."""
        args = cls.__new__(cls)
        args._set(dict(declaration), connection)
        return args

    def _set(self, declaration: dict[str, Any], connection: Connection | None) -> None:
        """Keep the declaration without the entries' `key`s, which name resources only."""
        self.keys = {}
        for listed in _KEYED:
            entries = declaration.get(listed)
            if not isinstance(entries, list):
                continue
            declaration[listed] = [self._unkeyed(listed, i, e) for i, e in enumerate(entries)]
        self.declaration = declaration
        self.connection = connection

    def _unkeyed(self, listed: str, index: int, entry: Any) -> Any:
        if isinstance(entry, Mapping) and "key" in entry:
            self.keys[listed, index] = str(entry["key"])
            return {k: v for k, v in entry.items() if k != "key"}
        return entry


class Shape:
    """The declaration with a placeholder for each value not known yet (a Pulumi Input that
    is not a plain value), so that it can be validated now; `restore` puts the Inputs back
    into what the resources take."""

    _EMAIL_KEYS = frozenset({"email", "approved_by", "approvedBy"})

    def __init__(self, declaration: Mapping[str, Any]) -> None:
        self._inputs: dict[str, Any] = {}
        self._by_id: dict[int, str] = {}
        self.declaration = self._shaped(declaration, "")

    @property
    def pending(self) -> bool:
        """Whether some value is not known yet."""
        return bool(self._inputs)

    def _shaped(self, value: Any, key: str) -> Any:
        if isinstance(value, Mapping):
            return {k: self._shaped(v, str(k)) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._shaped(v, key) for v in value]
        if isinstance(value, pulumi.Output):
            return self._placeholder(value, key)
        return value

    def _placeholder(self, value: pulumi.Output[Any], key: str) -> str:
        """A stand-in that passes the field's validation and is unique, but the same for
        one Input wired twice (an admin's e-mail that also approves a partner)."""
        known = self._by_id.get(id(value))
        if known is not None:
            return known
        # Random, so that no value a user wrote can be taken for one.
        mark = secrets.token_hex(6)
        if key in self._EMAIL_KEYS:
            stand_in = f"pending-{mark}@pending.example"
        elif key == "org":
            stand_in = f"pending-{mark}"
        else:
            stand_in = f"pending value {mark}"
        self._inputs[stand_in] = value
        self._by_id[id(value)] = stand_in
        return stand_in

    def restore(self, value: Any) -> Any:
        """`value` (a resource's inputs) with each placeholder replaced by its Input."""
        if isinstance(value, Mapping):
            return {self._inputs.get(k, k): self.restore(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.restore(v) for v in value]
        if isinstance(value, str):
            return self._inputs.get(value, value)
        return value

    def gate(self, checked: pulumi.Output[Any]) -> None:
        """Let each Input reach its resource only once `checked` (the whole declaration,
        judged with the known values) resolved: a value that breaks a rule stops there."""
        self._inputs = {
            stand_in: pulumi.Output.all(checked, value).apply(lambda both: both[1])
            for stand_in, value in self._inputs.items()
        }

    def is_placeholder(self, value: Any) -> bool:
        return isinstance(value, str) and value in self._inputs

    def known(self, declaration: Mapping[str, Any]) -> pulumi.Output[Any]:
        """The declaration once every Input in it is known."""
        return pulumi.Output.from_input(declaration)

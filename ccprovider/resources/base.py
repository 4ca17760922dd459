"""What every ccprovider dynamic provider shares, and the generic provider and resource that a
resource's inputs model and a few vendor-specific hooks are turned into.

Nothing per-stack is set at construction time: a provider instance is pickled into the
state by reference to its class, and reads endpoint and token when the engine configures it.
"""

import functools
import inspect
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)
from pydantic import BaseModel

from ccprovider import contract, rules
from ccprovider.api_errors import ConflictError
from ccprovider.bulk_assign import BulkAction, BulkAssignment, BulkAssignmentResult
from ccprovider.client import ProvisioningClient
from ccprovider.connection import ConnectionSettings, connect
from ccprovider.domain import SubscriptionStatus
from ccprovider.resources.failures import (
    ProviderError,
    report_provider_errors_as_one_line,
    reported,
)
from ccprovider.resources.inputs import (
    ADOPT,
    CONNECTION,
    OWNER,
    STATE,
    TAKE_OVER,
    DeclaredInputs,
    diff_inputs,
    is_unknown,
    not_known_yet,
    read_result,
    validate_inputs,
)
from ccprovider.resources.ownership import owner_of, ownership_problem, remarked, stack_mark

T = TypeVar("T")
Obj = TypeVar("Obj", bound=contract.Stored)
_SHARED_READ_SECONDS = 30.0
_HOOKS = ("check", "diff", "create", "read", "update", "delete")

report_provider_errors_as_one_line()

ADOPTED = "adopted"
"""The output saying that the stack adopted the object rather than created it."""


def engine_values(props: Mapping[str, Any]) -> dict[str, Any]:
    """The engine keys of `props` and whether the object was adopted, for a hook's outputs.
    An adopted object is released, never deleted, when the stack lets go of it."""
    own = {CONNECTION: props[CONNECTION]} if props.get(CONNECTION) else {}
    state = {STATE: props[STATE]} if STATE in props else {}
    return {
        ADOPT: props.get(ADOPT, False),
        TAKE_OVER: props.get(TAKE_OVER, False),
        OWNER: props.get(OWNER),
        **state,
        ADOPTED: props.get(ADOPTED, False),
        **own,
    }


def let_go(
    props: Mapping[str, Any], email: str, mark: str, *, adopted: bool, may_delete: bool = True
) -> BulkAssignment:
    """What happens to a user a resource held under `mark` when the declaration drops them:
    released (no license; an adopted user goes back unmarked, one this stack created stays
    marked as the stack's, for the tenant's delete to remove), or, when the tenant says
    `deleteUsers` and the caller `may_delete`, deleted if this stack created them. Only
    while they still carry `mark`, so a user another resource took over is left alone.

    Only a delete step may delete: the engine runs those after every create and update,
    so a user moving to another resource of the stack has been taken over by then. An
    update running beside the receiving side's create must only release."""
    if may_delete and props.get("delete_users") and not adopted:
        return BulkAssignment(action=BulkAction.DELETE, email=email, if_external_id=mark)
    return BulkAssignment(
        action=BulkAction.RELEASE,
        email=email,
        external_id=None if adopted else stack_mark(props),
        if_external_id=mark,
    )


LISTED_FAILURES = 20
"""How many refused people a bulk resource's error names; the rest are counted."""


def refused_parts(
    what: str, results: list[BulkAssignmentResult], done: str, fix: str
) -> ProviderError | None:
    """The error of a bulk resource (`what`: "Team care") naming each person the backend
    refused, with its reason, and `fix`; None if it refused nobody. `done` says what the
    others were: "users could not be assigned"."""
    failed = [r for r in results if r.status == "error"]
    if not failed:
        return None
    lines = [f"{r.email}: {r.description}" for r in failed[:LISTED_FAILURES]]
    if len(failed) > LISTED_FAILURES:
        lines.append(f"... and {len(failed) - LISTED_FAILURES} more")
    return ProviderError(
        f"{what}: {len(failed)} of {len(results)} {done}; the others were.\n  "
        + "\n  ".join(lines)
        + f"\n{fix}"
    )


def describe_users(users: list[contract.User], shown: int = 5) -> str:
    """Users in a message: how many, and the first few by e-mail, in e-mail order."""
    names = ", ".join(sorted(u.email for u in users)[:shown])
    more = f" and {len(users) - shown} more" if len(users) > shown else ""
    return f"{len(users)} user(s) ({names}{more})"


def _failing_resource(provider: "ApiProvider", args: tuple[Any, ...]) -> tuple[str, str]:
    """The resource a failing hook of `provider` was called for (its props are the hook's
    last mapping argument) and the backend it talks to, for the failure's message."""
    props = next((a for a in reversed(args) if isinstance(a, Mapping)), {})
    configured = hasattr(provider, "_settings")
    return provider.label(props), provider.settings.describe() if configured else "the backend"


_OWN_CONNECTION: ContextVar[Mapping[str, Any] | None] = ContextVar("connection", default=None)
"""The connection of the resource whose hook runs on this thread, if it has its own."""


def _on_own_connection(hook: Callable[..., Any]) -> Callable[..., Any]:
    """`hook`, run with the connection its resource's props name (the last mapping
    argument), so that `settings` and `client` reach that resource's backend."""

    @functools.wraps(hook)
    def run(self: Any, *args: Any) -> Any:
        props = next((a for a in reversed(args) if isinstance(a, Mapping)), {})
        token = _OWN_CONNECTION.set(props.get(CONNECTION) or None)
        try:
            return hook(self, *args)
        finally:
            _OWN_CONNECTION.reset(token)

    return run


class ApiProvider(ResourceProvider):
    """A dynamic provider backed by the provisioning API: settings read in `configure`, a
    lazily built thread-safe client, and reads shared by the hooks of one run."""

    serialize_as_secret_always = False
    """The pickled provider holds no secrets (it is a reference to this class), so keep it plain."""

    kind: ClassVar[str]
    """What the resource is called in messages, for example "Subscription"."""
    _settings: ConnectionSettings
    _clients: dict[ConnectionSettings, ProvisioningClient]
    _client_lock: threading.Lock
    _reads: dict[tuple[str, ...], tuple[float, Any]]
    _reads_lock: threading.Lock

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Every hook a provider defines fails with one line a user can act on."""
        super().__init_subclass__(**kwargs)
        for name in _HOOKS:
            if name in cls.__dict__:
                hook = reported(cls.__dict__[name], _failing_resource)
                setattr(cls, name, _on_own_connection(hook))

    def label(self, props: Mapping[str, Any]) -> str:
        """The resource in messages; its kind alone here."""
        del props
        return self.kind

    def configure(self, req: ConfigureRequest) -> None:
        """Read endpoint, token and embedded backend file from the stack config."""
        self._settings = ConnectionSettings.from_config(req.config)
        self._clients = {}
        self._client_lock = threading.Lock()
        self._reads = {}
        self._reads_lock = threading.Lock()

    def shared_read(self, key: tuple[str, ...], load: Callable[[], T]) -> T:
        """A backend read shared by the hooks of one run for a few seconds: thousands of
        users share a few subscriptions, so their checks ask once, not once each. (A
        status that changes within those seconds is seen by the next run, and the backend
        refuses a license on a subscription that gives no access regardless.)"""
        now = time.monotonic()
        key = (self.settings.describe(), *key)  # another tenant's backend reads its own
        with self._reads_lock:
            hit = self._reads.get(key)
        if hit is not None and now - hit[0] < _SHARED_READ_SECONDS:
            value: T = hit[1]
            return value
        value = load()
        with self._reads_lock:
            self._reads[key] = (now, value)
        return value

    @property
    def settings(self) -> ConnectionSettings:
        """Where the running hook's resource lives: its tenant's own connection, if it has
        one, else the stack config's."""
        own = _OWN_CONNECTION.get()
        if not own:
            return self._settings
        return ConnectionSettings(
            endpoint=str(own.get("endpoint") or "").strip(),
            token=own.get("token") or None,
            backend_file=Path(own.get("backend_file") or self._settings.backend_file),
        )

    @property
    def client(self) -> ProvisioningClient:
        """The API client of `settings`, built on first use; the engine calls hooks on
        several threads."""
        settings = self.settings
        with self._client_lock:
            client = self._clients.get(settings)
            if client is None:
                client = self._clients[settings] = connect(settings)
            return client

    def provisioning_today(self) -> date:
        """The provisioning system's date, read once per run: date rules follow its clock."""
        return self.shared_read(("today",), self.client.today)

    def no_access_reason(self, tenant_id: str, sub_id: str) -> str | None:
        """Why users mapped to the live subscription `sub_id` would have no access, read once
        per run for every user on it; None when it gives access."""
        live = self.shared_read(
            ("subscription", tenant_id, sub_id),
            lambda: self.client.get_subscription(tenant_id, sub_id),
        )
        if live is None:
            return "no longer exists in the backend"
        problem = rules.status_problem(live, live.status)
        return None if problem is None else f"is {live.status.value} (it {problem})"

    def tenant_users(self, tenant_id: str) -> dict[str, contract.User]:
        """The tenant's users by e-mail, read once per run for every resource that asks (a
        check of each of thousands of users would otherwise ask once each)."""
        return self.shared_read(
            ("users", tenant_id),
            lambda: {u.email: u for u in self.client.list_users(tenant_id)},
        )

    def active_subscriptions(self, tenant_id: str) -> list[str]:
        """The external ids of the tenant's live subscriptions that give access now."""
        return [
            s.external_id
            for s in self.client.list_subscriptions(tenant_id)
            if s.status is SubscriptionStatus.ACTIVE
        ]


class DeclaredProvider(ApiProvider):
    """A provider whose `check` and `diff` follow from its inputs model; `live_failures` adds
    the rules only the live backend can judge."""

    inputs_model: ClassVar[type[DeclaredInputs]]

    def label(self, props: Mapping[str, Any]) -> str:
        """The resource in messages: its kind and the last field of its natural key."""
        value = props.get(self.inputs_model.natural_key[-1])
        return f"{self.kind} {'(not known yet)' if is_unknown(value) else value}"

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs, failures = validate_inputs(self.inputs_model, news)
        # A state whose id is not known yet is a new one: the live rules still hold for it.
        if not failures and not not_known_yet({k: v for k, v in inputs.items() if k != STATE}):
            failures += self.live_failures(olds, inputs)
        return CheckResult(inputs, failures)

    def live_failures(self, _olds: dict[str, Any], _inputs: dict[str, Any]) -> list[CheckFailure]:
        """The rules the validated, fully known inputs break in the live backend; none here."""
        return []

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """The declared fields' diff; a new connection (a rotated token, a moved endpoint)
        is an in-place update, so that the outputs, which refresh and delete use, hold it,
        and so is a new owner (`remarked`): the update marks the objects as its."""
        result = diff_inputs(self.inputs_model, olds, news)
        moved = news.get(CONNECTION) or None
        connected = not_known_yet(moved) or moved == (olds.get(CONNECTION) or None)
        if result.changes or (connected and not remarked(olds, news)):
            return result
        return DiffResult(changes=True, replaces=[], delete_before_replace=False)

    def read_result(self, id_: str, outs: dict[str, Any] | None) -> ReadResult:
        """The live outputs and matching inputs, or nothing when the object is gone."""
        return read_result(self.inputs_model, id_, outs)


class ObjectProvider(DeclaredProvider, ABC, Generic[Obj]):
    """A provider of one API object per resource. Create-or-adopt, read, update and
    delete-or-release follow from the hooks below, which say how to reach the object."""

    @abstractmethod
    def create_new(self, props: dict[str, Any]) -> Obj:
        """Create the object; a retry with the same inputs returns the same object."""

    @abstractmethod
    def find_existing(self, props: dict[str, Any]) -> Obj | None:
        """The object holding the inputs' natural key, if any."""

    @abstractmethod
    def fetch(self, id_: str, props: dict[str, Any]) -> Obj | None:
        """The live object, or None when it is gone."""

    @abstractmethod
    def outputs(self, obj: Obj, props: dict[str, Any]) -> dict[str, Any]:
        """All inputs as the backend holds them, plus the computed values."""

    @abstractmethod
    def replace(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> Obj:
        """Make the live object what `news` declares."""

    def remove(self, id_: str, props: dict[str, Any]) -> None:
        """Delete the object from the backend; what `delete` does unless the object was
        adopted. A provider with a `delete` of its own needs none."""
        raise NotImplementedError(f"{type(self).__name__} deletes its objects in `delete`")

    def converge(self, obj: Obj, props: dict[str, Any], adopted: bool) -> Obj:
        """Make a just created or taken over object what `props` declares; as it is here."""
        del props, adopted
        return obj

    def release(self, id_: str, props: dict[str, Any]) -> None:
        """What `delete` does for an adopted object: hand it back unmanaged, unless another
        stack took it over since."""
        live = self.fetch(id_, props)
        if live is not None and self.manager(live) == owner_of(props):
            self.put_unmanaged(id_, props)

    def put_unmanaged(self, id_: str, props: dict[str, Any]) -> None:
        """Store the object as `props` declare it, without a manager's mark; nothing here."""
        del id_, props

    def manager(self, existing: Obj) -> str | None:
        """The owner whose mark an existing object carries (`ownership`); None: no stack's.
        A tenant, a subscription and a partner carry it in `managedBy`."""
        return existing.managed_by if isinstance(existing, contract.Managed) else None

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate; and for a create, refuse at preview what the create would refuse: an
        object that already holds the natural key and that this state may not take."""
        result = super().check(olds, news)
        inputs = result.inputs
        key = [inputs.get(f) for f in self.inputs_model.natural_key]
        if olds or result.failures or not_known_yet([*key, inputs.get(CONNECTION)]):
            return result
        existing = self.existing_at_check(inputs)
        problem = existing and self._ownership_problem(existing, inputs)
        if problem:
            result.failures.append(CheckFailure(self.inputs_model.natural_key[-1], problem))
        return result

    def existing_at_check(self, props: dict[str, Any]) -> Obj | None:
        """The object holding the natural key, as `check` sees it (`find_existing` here)."""
        return self.find_existing(props)

    def _ownership_problem(self, existing: Obj, props: dict[str, Any]) -> str | None:
        where = self.settings.describe()
        return ownership_problem(self.label(props), self.manager(existing), props, where)

    def create(self, props: dict[str, Any]) -> CreateResult:
        obj, adopted = self._create_or_adopt(props)
        obj = self.converge(obj, props, adopted)
        return CreateResult(obj.id, self.outputs(obj, {**props, ADOPTED: adopted}))

    def _create_or_adopt(self, props: dict[str, Any]) -> tuple[Obj, bool]:
        """Create the object. The create's idempotency key makes a retry, or a rerun after
        this process was killed, return the object this state created before (while it is
        still this state's). When another object holds the natural key, take it over if it
        is this state's (another of its resources let it go), adopt it if the stack opted in
        and no other stack manages it (or `takeOver` says to), and refuse otherwise. Return
        the object and whether it was adopted."""
        try:
            return self.create_new(props), False
        except ConflictError:
            existing = self.find_existing(props)
            if existing is None:
                raise  # a conflict with a vendor rule, not with an existing object
        problem = self._ownership_problem(existing, props)
        if problem:
            raise ProviderError(problem)
        manager = self.manager(existing)
        return existing, manager is None or manager != owner_of(props)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        obj = self.fetch(id_, props)
        return self.read_result(id_, self.outputs(obj, props) if obj else None)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Replace the live object; whether it was adopted carries over from the old state,
        so that an adopted object stays released, never deleted, after any update."""
        obj = self.replace(id_, olds, news)
        return UpdateResult(self.outputs(obj, {**news, ADOPTED: olds.get(ADOPTED, False)}))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        if props.get(ADOPTED):  # an adopted object is released, not deleted
            self.release(id_, props)
        else:
            self.remove(id_, props)


def _plain(value: Any) -> Any:
    """A declared value as the engine stores it: models as JSON-ready data without nulls,
    enums as their values; Pulumi Inputs pass through for the engine to resolve."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


class ApiResource(Resource):
    """A dynamic resource of ccprovider, declared by its provider's inputs model: construct
    it with a mapping of those fields (plain values or Pulumi Inputs). Every input is also an
    output attribute of the resource; the computed outputs are the `pulumi.Output`
    attributes a resource class declares, registered up front (as None)."""

    provider: ClassVar[type[DeclaredProvider]]
    computed: ClassVar[tuple[str, ...]]

    def __init_subclass__(cls, provider: type[DeclaredProvider], **kwargs: Any) -> None:
        """Register the resource type `dynamic/ccprovider:<class name>` and its provider."""
        super().__init_subclass__(module="ccprovider", name=cls.__name__, **kwargs)
        cls.provider = provider
        fields = provider.inputs_model.model_fields
        declared = inspect.get_annotations(cls)
        cls.computed = tuple(name for name in declared if name not in fields)

    def __init__(
        self,
        resource_name: str,
        inputs: Mapping[str, pulumi.Input[Any]],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        model = self.provider.inputs_model
        problems = []
        unexpected = sorted(set(inputs) - set(model.model_fields) - {CONNECTION, STATE})
        if unexpected:
            problems.append(f"unknown input(s) {', '.join(unexpected)}")
        missing = [
            name
            for name, field in model.model_fields.items()
            if field.is_required() and name not in inputs
        ]
        if missing:
            problems.append(f"missing input(s) {', '.join(missing)}")
        if problems:
            raise TypeError(
                f"{type(self).__name__} '{resource_name}': {'; '.join(problems)}. "
                f"Its inputs are: {', '.join(model.model_fields)}."
            )
        owner = f"{pulumi.get_project()}/{pulumi.get_stack()}"
        props = {
            **{name: _plain(value) for name, value in inputs.items()},
            OWNER: owner,
            **dict.fromkeys(self.computed),
        }
        super().__init__(self.provider(), resource_name, props, opts)

    def live(self, *fields: str) -> pulumi.Output[dict[str, Any]]:
        """Fields of the resource (inputs or computed) as the backend last reported them."""
        return pulumi.Output.all(**{f: getattr(self, f) for f in fields})

"""What every ccprovider dynamic provider shares: settings read in `configure`, a lazily built
thread-safe client, field-by-field input validation that tolerates unknown values, and diffs.

Nothing per-stack is set at construction time: a provider instance is pickled into the
state by reference to its class, and reads endpoint and token when the engine configures it.
"""

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from typing import Any, TypeVar

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    ConfigureRequest,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
)
from pulumi.output import Unknown
from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from ccprovider.client import ApiError, ProvisioningClient
from ccprovider.connection import ConnectionSettings, connect

T = TypeVar("T")
_SHARED_READ_SECONDS = 30.0


class ProviderError(Exception):
    """A failure of a hook that the user can act on; the engine shows its message."""


def is_unknown(value: Any) -> bool:
    """True for a value the engine does not know yet (during preview, or before a replace)."""
    return isinstance(value, Unknown)


class ApiProvider(ResourceProvider):
    """A dynamic provider backed by the provisioning API."""

    serialize_as_secret_always = False
    """The pickled provider holds no secrets (it is a reference to this class), so keep it plain."""

    _settings: ConnectionSettings
    _client: ProvisioningClient | None
    _client_lock: threading.Lock
    _reads: dict[tuple[str, ...], tuple[float, Any]]
    _reads_lock: threading.Lock

    def configure(self, req: ConfigureRequest) -> None:
        """Read endpoint, token and embedded backend file from the stack config."""
        self._settings = ConnectionSettings.from_config(req.config)
        self._client = None
        self._client_lock = threading.Lock()
        self._reads = {}
        self._reads_lock = threading.Lock()

    def shared_read(self, key: tuple[str, ...], load: Callable[[], T]) -> T:
        """A backend read shared by the hooks of one run for a few seconds: thousands of
        users share a few subscriptions, so their checks ask once, not once each. (A
        status that changes within those seconds is seen by the next run, and the backend
        refuses a license on a subscription that gives no access regardless.)"""
        now = time.monotonic()
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
    def client(self) -> ProvisioningClient:
        """The API client, built on first use; the engine calls hooks on several threads."""
        with self._client_lock:
            if self._client is None:
                self._client = connect(self._settings)
            return self._client

    def create_or_adopt(
        self,
        what: str,
        adopt: bool,
        create: Callable[[], T],
        find: Callable[[], T | None],
        ours: Callable[[T], bool] = lambda _existing: False,
    ) -> tuple[T, bool]:
        """Create the object. The create's idempotency key makes a retry, or a rerun after
        this process was killed, return the object this stack created before. When another
        object holds the natural key (409), take it over if it is `ours` (another resource
        of this stack let it go), adopt it if the stack opted in, and refuse otherwise.
        Return the object and whether it was adopted."""
        try:
            return create(), False
        except ApiError as error:
            if error.status != 409:
                raise
            existing = find()
            if existing is None:
                raise  # a conflict with a vendor rule, not with an existing object
        if ours(existing):
            return existing, False
        if not adopt:
            raise ProviderError(
                f"{what} already exists in {self._settings.describe()} and this stack does not "
                "manage it. Set `adopt: true` in ccprovider:tenant to manage it from this stack, "
                "or remove it from the backend."
            )
        return existing, True


def read_result(id_: str, outs: dict[str, Any] | None, input_fields: Iterable[str]) -> ReadResult:
    """What `read` returns: the live outputs and the inputs that match them, or nothing when
    the object is gone, so that `refresh` shows drift and drops removed objects."""
    if outs is None:
        return ReadResult(None, {})
    return ReadResult(id_, outs, {f: outs.get(f) for f in (*input_fields, *ENGINE_KEYS)})


OWNER = "owner"
"""The input naming the project and stack that manage a resource; it salts the idempotency
keys of their creates, so that another stack (or person) sending an identical create is
never mistaken for them. It is not compared in diffs."""
ENGINE_KEYS = (OWNER, "adopt")
ADOPTED = "adopted"
"""The output saying that the stack adopted the object rather than created it."""
"""Inputs every resource has besides its own fields; `read` keeps them as they were."""


def engine_values(props: Mapping[str, Any]) -> dict[str, Any]:
    """The engine keys of `props` and whether the object was adopted, for a hook's outputs.
    An adopted object is released, never deleted, when the stack lets go of it."""
    return {
        "adopt": props.get("adopt", False),
        OWNER: props.get(OWNER),
        ADOPTED: props.get(ADOPTED, False),
    }


def salt(props: Mapping[str, Any]) -> str:
    """The idempotency salt of a resource's creates: its owner."""
    return str(props.get(OWNER) or "")


def stack_mark(props: Mapping[str, Any]) -> str:
    """The mark (a user's `externalId`) of users this stack manages but no resource holds;
    also the prefix of every mark of this stack's resources, which may take such users over."""
    return f"{salt(props)}#"


class ApiResource(Resource):
    """A dynamic resource of ccprovider: its inputs and owner, plus its computed outputs
    registered up front (as None) so that they are typed attributes of the resource."""

    def __init__(
        self,
        provider: ApiProvider,
        name: str,
        inputs: dict[str, Any],
        outputs: Iterable[str],
        opts: pulumi.ResourceOptions | None,
    ) -> None:
        owner = f"{pulumi.get_project()}/{pulumi.get_stack()}"
        props = {**inputs, OWNER: owner, **dict.fromkeys(outputs)}
        super().__init__(provider, name, props, opts)


@cache
def _field_model(model: type[BaseModel], name: str) -> type[BaseModel]:
    """A model of `model`'s field `name` alone, to validate it without the others."""
    field = model.model_fields[name]
    fields: dict[str, Any] = {name: (field.annotation, field)}
    config = ConfigDict(populate_by_name=True)
    return create_model(f"{model.__name__}_{name}", __config__=config, **fields)


def _validate_field(model: type[BaseModel], name: str, value: Any) -> Any:
    """The field's value validated, normalized and dumped as JSON-ready data."""
    single = _field_model(model, name)
    # Nulls are left out, as the engine leaves them out of the state: no diff between them.
    return single.model_validate({name: value}).model_dump(mode="json", exclude_none=True).get(name)


def _reason(error: ValidationError) -> str:
    return "; ".join(e["msg"] for e in error.errors())


def validate_inputs(
    model: type[BaseModel], news: Mapping[str, Any]
) -> tuple[dict[str, Any], list[CheckFailure]]:
    """Normalize the model's fields in `news` one by one, as JSON-ready values.

    Unknown values pass through untouched (the rule that needs them runs once they are
    known); keys that are not fields of the model, such as output placeholders, are dropped.
    Cross-field rules of the model run only when every field is known.
    """
    inputs: dict[str, Any] = {}
    failures: list[CheckFailure] = []
    for name, field in model.model_fields.items():
        value = news.get(name)
        if is_unknown(value):
            inputs[name] = value
        elif value is None:
            if field.is_required():
                failures.append(CheckFailure(name, f"'{name}' is required"))
            else:
                inputs[name] = _validate_field(
                    model, name, field.get_default(call_default_factory=True)
                )
        else:
            try:
                inputs[name] = _validate_field(model, name, value)
            except ValidationError as error:
                failures.append(CheckFailure(name, f"'{name}' is invalid: {_reason(error)}"))
    if not failures and not any(is_unknown(v) for v in inputs.values()):
        try:
            model.model_validate(inputs)
        except ValidationError as error:
            failures.append(CheckFailure("", _reason(error)))
    if OWNER in news:
        inputs[OWNER] = news[OWNER]
    return inputs, failures


def diff_inputs(
    olds: Mapping[str, Any],
    news: Mapping[str, Any],
    fields: Iterable[str],
    replace_fields: Iterable[str] = (),
) -> DiffResult:
    """Compare checked inputs with the old outputs; unknown new values count as changes."""
    changed = [f for f in fields if is_unknown(news.get(f)) or olds.get(f) != news.get(f)]
    replaces = [f for f in changed if f in set(replace_fields)]
    return DiffResult(changes=bool(changed), replaces=replaces)

"""What every ccprovider dynamic provider shares: settings read in `configure`, a lazily built
thread-safe client, field-by-field input validation that tolerates unknown values, and diffs.

Nothing per-stack is set at construction time: a provider instance is pickled into the
state by reference to its class, and reads endpoint and token when the engine configures it.
"""

import threading
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from pulumi.dynamic import CheckFailure, ConfigureRequest, DiffResult, ResourceProvider
from pulumi.output import Unknown
from pydantic import BaseModel, ValidationError, create_model

from ccprovider.client import ProvisioningClient
from ccprovider.connection import ConnectionSettings, connect


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

    def configure(self, req: ConfigureRequest) -> None:
        """Read endpoint, token and embedded backend file from the stack config."""
        self._settings = ConnectionSettings.from_config(req.config)
        self._client = None
        self._client_lock = threading.Lock()

    @property
    def client(self) -> ProvisioningClient:
        """The API client, built on first use; the engine calls hooks on several threads."""
        with self._client_lock:
            if self._client is None:
                self._client = connect(self._settings)
            return self._client


@cache
def _field_model(model: type[BaseModel], name: str) -> type[BaseModel]:
    """A model of `model`'s field `name` alone, to validate it without the others."""
    field = model.model_fields[name]
    fields: dict[str, Any] = {name: (field.annotation, field)}
    return create_model(f"{model.__name__}_{name}", **fields)


def _validate_field(model: type[BaseModel], name: str, value: Any) -> Any:
    """The field's value validated, normalized and dumped as JSON-ready data."""
    single = _field_model(model, name)
    return single.model_validate({name: value}).model_dump(mode="json")[name]


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

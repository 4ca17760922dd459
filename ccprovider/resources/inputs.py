"""A resource's inputs model is its declaration: what `check` validates, what `diff` compares,
which changes replace the object, and what `read` reports as the live inputs.

Mark a field `Replace[...]` when changing it means another object (a new order, another
user), not an update of this one. Values the engine does not know yet (during preview)
pass validation untouched and count as changes.
"""

from collections.abc import Mapping
from functools import cache
from typing import Annotated, Any, ClassVar, TypeVar

from pulumi.dynamic import CheckFailure, DiffResult, ReadResult
from pulumi.output import Unknown
from pydantic import BaseModel, ConfigDict, ValidationError, create_model

T = TypeVar("T")


class _ReplaceOnChange:
    """Field metadata: a change of this field replaces the object."""


Replace = Annotated[T, _ReplaceOnChange()]
"""A field whose change replaces the object rather than updating it in place."""

OWNER = "owner"
"""The input naming the project and stack that manage a resource. It is not compared in
diffs."""
STATE = "state"
"""The input naming the state of that stack (its `StateIdentity`): with OWNER, the manager
whose mark the resource's objects carry and whose salt its creates' idempotency keys carry
(`ccprovider.resources.ownership`), so that another stack, another state of the same stack
or a person sending an identical create is never mistaken for them. A change of it marks
the objects again; a state written before states had an id has none."""
ADOPT = "adopt"
TAKE_OVER = "take_over"
CONNECTION = "connection"
"""The input naming the backend of a resource whose tenant has one of its own (endpoint,
token, embedded backend file), instead of the stack config's. It is not compared, and it
stays in the outputs (a secret there) so that refresh and delete reach the same backend."""


class DeclaredInputs(BaseModel):
    """Base of every resource's inputs model: the declared fields, plus whether to adopt an
    existing object with the same natural key instead of failing on it."""

    natural_key: ClassVar[tuple[str, ...]] = ()
    """The fields that identify the object in the backend (unique there)."""
    not_compared: ClassVar[tuple[str, ...]] = ()
    """Fields that only say how this run applies a change, which a diff does not compare
    (besides `adopt` and `take_over`)."""

    adopt: bool = False
    take_over: bool = False
    """With `adopt`, take over also an object that another stack manages (its mark says so).
    Only a create reads it; it is not compared."""


ENGINE_KEYS = (OWNER, STATE, ADOPT, TAKE_OVER, CONNECTION)
"""Inputs every resource has besides its own fields; they are not compared in diffs."""


def is_unknown(value: Any) -> bool:
    """True for a value the engine does not know yet (during preview, or before a replace)."""
    return isinstance(value, Unknown)


def not_known_yet(value: Any) -> bool:
    """True when `value`, or any value inside it (a connection's token), is not known yet:
    the backend cannot be asked about it."""
    if isinstance(value, Mapping):
        return any(not_known_yet(v) for v in value.values())
    if isinstance(value, list):
        return any(not_known_yet(v) for v in value)
    return is_unknown(value)


def compared_fields(model: type[DeclaredInputs]) -> tuple[str, ...]:
    """The fields a diff compares: every declared field but `adopt` and `take_over`, which
    only say how a create treats an existing object, and the model's `not_compared`."""
    skipped = (ADOPT, TAKE_OVER, *model.not_compared)
    return tuple(name for name in model.model_fields if name not in skipped)


def replace_fields(model: type[DeclaredInputs]) -> frozenset[str]:
    """The fields marked `Replace[...]`."""
    return frozenset(
        name
        for name, field in model.model_fields.items()
        if any(isinstance(m, _ReplaceOnChange) for m in field.metadata)
    )


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
    for passed in (OWNER, STATE, CONNECTION):
        if passed in news:
            inputs[passed] = news[passed]
    return inputs, failures


@cache
def input_defaults(model: type[DeclaredInputs]) -> dict[str, Any]:
    """The JSON-ready default of every optional field."""
    return {
        name: _validate_field(model, name, field.get_default(call_default_factory=True))
        for name, field in model.model_fields.items()
        if not field.is_required()
    }


def diff_inputs(
    model: type[DeclaredInputs], olds: Mapping[str, Any], news: Mapping[str, Any]
) -> DiffResult:
    """Compare checked inputs with the old outputs; unknown new values count as changes.
    A field missing from the old state (written before the field existed) had its default.
    A replacement that keeps the natural key must delete the old object first, since the
    backend holds one object per key."""
    defaults = input_defaults(model)
    changed = [
        f
        for f in compared_fields(model)
        if is_unknown(news.get(f)) or olds.get(f, defaults.get(f)) != news.get(f)
    ]
    replaces = [f for f in changed if f in replace_fields(model)]
    same_key = bool(model.natural_key) and not any(f in changed for f in model.natural_key)
    return DiffResult(
        changes=bool(changed), replaces=replaces, delete_before_replace=bool(replaces) and same_key
    )


def read_result(model: type[DeclaredInputs], id_: str, outs: dict[str, Any] | None) -> ReadResult:
    """What `read` returns: the live outputs and the inputs that match them, or nothing when
    the object is gone, so that `refresh` shows drift and drops removed objects."""
    if outs is None:
        return ReadResult(None, {})
    inputs = {f: outs.get(f) for f in compared_fields(model)}
    # Engine keys as the outputs hold them; a state written before a key existed has none.
    inputs.update({f: outs[f] for f in ENGINE_KEYS if f in outs})
    return ReadResult(id_, outs, inputs)

"""SCIM's two small languages, as far as the simulation needs them: a search `filter`
(one attribute `eq` one value) and the operations of a PATCH (RFC 7644, 3.4.2.2 and 3.5.2),
applied to a user's attributes as a JSON document."""

import copy
import json
import re
from collections.abc import Sequence
from typing import Any

from ccprovider.backend.errors import BadRequestError
from ccprovider.scim_contract import (
    CONTACT_CENTER_SCHEMA,
    ENTERPRISE_SCHEMA,
    USER_SCHEMA,
    ScimPatchOperation,
)

_FILTER = re.compile(r'^\s*(?P<attribute>[A-Za-z][\w.:]*)\s+eq\s+"(?P<value>(?:[^"\\]|\\.)*)"\s*$')
_SEARCHABLE = {name.lower(): name for name in ("userName", "externalId", "id")}
_SUPPORTED = 'use userName eq "...", externalId eq "..." or id eq "..."'


def parse_filter(text: str) -> tuple[str, str]:
    """The attribute (`userName`, `externalId` or `id`) and value a filter asks to equal;
    400 naming the filter and what is supported otherwise. Names match in any case."""
    found = _FILTER.match(text)
    name = found["attribute"].lower().removeprefix(USER_SCHEMA.lower() + ":") if found else ""
    if found is None or name not in _SEARCHABLE:
        raise BadRequestError(
            f"The filter {text!r} is not supported.", f"Filter users: {_SUPPORTED}."
        )
    try:
        value = json.loads(f'"{found["value"]}"')
    except json.JSONDecodeError:
        raise BadRequestError(f"The filter {text!r} holds an invalid escape.") from None
    return _SEARCHABLE[name], str(value)


def _steps(path: str) -> list[str]:
    """The attribute names a PATCH path walks: `name.givenName` is two; a schema URN before
    an attribute names the schema (the core one: nothing more)."""
    if "[" in path:
        raise BadRequestError(
            f"The PATCH path {path!r} filters values, which this simulation does not support.",
            "Replace the whole attribute instead.",
        )
    lowered = path.lower()
    for schema in (USER_SCHEMA, ENTERPRISE_SCHEMA, CONTACT_CENTER_SCHEMA):
        if lowered == schema.lower():
            return [schema]
        if lowered.startswith(schema.lower() + ":"):
            rest = path[len(schema) + 1 :].split(".")
            return rest if schema == USER_SCHEMA else [schema, *rest]
    return path.split(".")


def _key(container: dict[str, Any], name: str) -> str:
    """The key of `container` that `name` names (SCIM attribute names ignore case)."""
    return next((k for k in container if k.lower() == name.lower()), name)


def _container(document: dict[str, Any], steps: list[str]) -> dict[str, Any]:
    """The object that holds the last step's attribute, made where missing."""
    container = document
    for step in steps[:-1]:
        key = _key(container, step)
        if not isinstance(container.get(key), dict):
            container[key] = {}
        container = container[key]
    return container


def _put(document: dict[str, Any], steps: list[str], value: Any) -> None:
    """Add or replace an attribute; a complex one keeps the sub-attributes not given."""
    container = _container(document, steps)
    key = _key(container, steps[-1])
    if isinstance(value, dict) and isinstance(container.get(key), dict):
        for name, sub_value in value.items():
            _put(container[key], [name], sub_value)
    else:
        container[key] = value


def apply_patch(
    document: dict[str, Any], operations: Sequence[ScimPatchOperation]
) -> dict[str, Any]:
    """`document` after the operations, in order; 400 for one that cannot apply."""
    patched = copy.deepcopy(document)
    for operation in operations:
        if operation.path is None:
            if operation.op == "remove" or not isinstance(operation.value, dict):
                raise BadRequestError(
                    f"A PATCH {operation.op} without a path needs an object of attributes.",
                    "Give the path of the attribute, or an object of attributes as the value.",
                )
            for name, value in operation.value.items():
                _put(patched, _steps(name), value)
        elif operation.op == "remove":
            steps = _steps(operation.path)
            container = _container(patched, steps)
            container.pop(_key(container, steps[-1]), None)
        else:
            _put(patched, _steps(operation.path), operation.value)
    return patched

"""How two tenant declarations differ, as a reviewer reads a change: the items of each list
matched by their key (subscriptions by `id`, users by `email`, partners by `org`, license
rules by `name`) and shown
as added, removed or changed, a changed one by the fields that change. Matched by
position, removing one agent and adding another would read as a change of address."""

from collections.abc import Iterable, Mapping
from typing import Any

ITEM_KEYS = {"subscriptions": "id", "users": "email", "partners": "org", "licenseRules": "name"}
"""The field that names an item of each list of a declaration."""

_ABSENT = object()
"""A value a declaration does not give."""


def declaration_diff(
    old: Mapping[str, Any], new: Mapping[str, Any], old_label: str, new_label: str
) -> str:
    """The changes from `old` to `new`, a line each under two lines naming them (as a
    unified diff does); empty when there are none."""
    lines = [
        line
        for key, changes in declaration_changes(old, new)
        for line in ([f"{key}:", *(f"  {c}" for c in changes)] if key in ITEM_KEYS else changes)
    ]
    if not lines:
        return ""
    return "".join(f"{line}\n" for line in (f"--- {old_label}", f"+++ {new_label}", *lines))


def declaration_changes(
    old: Mapping[str, Any], new: Mapping[str, Any]
) -> list[tuple[str, list[str]]]:
    """Each top-level key whose value changes from `old` to `new`, with its changes: a list's
    items by their key (`changed SUB-1: termMonths: 12 -> 24`), other values by path."""
    found = []
    for key in _union(old, new):
        before, after = old.get(key, _ABSENT), new.get(key, _ABSENT)
        if key in ITEM_KEYS and _is_list(before) and _is_list(after):
            changes = _item_changes(_items(before), _items(after), ITEM_KEYS[key])
        else:
            changes = _changes(before, after, key)
        if changes:
            found.append((key, changes))
    return found


def _is_list(value: Any) -> bool:
    return value is _ABSENT or isinstance(value, list)


def _items(value: Any) -> list[Any]:
    return [] if value is _ABSENT else list(value)


def _item_changes(old: list[Any], new: list[Any], key: str) -> list[str]:
    """A line per item removed, changed or added, named by its `key`."""
    before, after = _by_key(old, key), _by_key(new, key)
    lines = []
    for label, item in before.items():
        if label not in after:
            lines.append(f"removed {label}: {_shown(_without(item, key))}")
        elif changes := _changes(item, after[label]):
            lines.append(f"changed {label}: {'; '.join(changes)}")
    lines += [
        f"added   {label}: {_shown(_without(item, key))}"
        for label, item in after.items()
        if label not in before
    ]
    return lines


def _by_key(items: list[Any], key: str) -> dict[str, Any]:
    """The items by their key; one without a key by its place in the list (`[2]`, as
    config paths count), a repeated key with its place added."""
    labelled: dict[str, Any] = {}
    for index, item in enumerate(items):
        name = str(item[key]) if isinstance(item, Mapping) and key in item else f"[{index}]"
        labelled[name if name not in labelled else f"{name} [{index}]"] = item
    return labelled


def _without(item: Any, key: str) -> Any:
    return {k: v for k, v in item.items() if k != key} if isinstance(item, Mapping) else item


def _changes(old: Any, new: Any, path: str = "") -> list[str]:
    """`path: old -> new` for each value that differs; mappings field by field, so that
    key order is no difference and a nested field is named by its dotted path."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        return [
            change
            for key in _union(old, new)
            for change in _changes(
                old.get(key, _ABSENT), new.get(key, _ABSENT), f"{path}.{key}" if path else key
            )
        ]
    if old == new:
        return []
    change = f"{_shown(old)} -> {_shown(new)}"
    return [f"{path}: {change}" if path else change]


def _union(old: Iterable[str], new: Iterable[str]) -> list[str]:
    """The keys of both, in `old`'s order and then `new`'s."""
    keys = list(old)
    return keys + [key for key in new if key not in keys]


def _shown(value: Any) -> str:
    """A value on one line, in YAML's flow style; `(not set)` for none given."""
    if value is _ABSENT:
        return "(not set)"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_shown(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    return str(value) if value != "" else '""'

"""What was true on a past day, from the versions the store keeps of each object.

An object counts on days before it was provisioned as it was at the end of its first day
(a subscription ordered from last January and provisioned today, or a user created and
licensed today, covered last January), unless an object of the same key was deleted
before that day; from then on, as it was at the end of each day, until the day it was
deleted.
"""

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta

from ccprovider.backend.storage import Version

History = list[Version]
"""One object's versions, oldest first."""


def histories(
    versions: Iterable[Version], key: Callable[[Version], str]
) -> dict[str, list[History]]:
    """The objects of each key (an external id, an e-mail), oldest first, each as its
    versions: a key deleted and provisioned again has several objects."""
    by_id: dict[str, History] = {}
    for version in versions:
        by_id.setdefault(version.id, []).append(version)
    by_key: dict[str, list[History]] = {}
    for history in by_id.values():
        by_key.setdefault(key(history[0]), []).append(history)
    return by_key


def version_on(objects: list[History], day: date) -> tuple[History, Version] | None:
    """The object of one key in effect on `day`, and its version at the end of that day
    (an object deleted that day still counts); None when there was none. Of the versions
    begun by the end of the day the last recorded wins, so that changes made after the
    clock was set back within that day count in the order they were made."""
    start, end = _bounds(day)
    live = [h for h in objects if h[-1].valid_to is None or h[-1].valid_to > start]
    begun = [(h, v) for h in live for v in h if v.valid_from < end]
    if begun:
        return begun[-1]
    if live and len(live) == len(objects):  # provisioned later, and nothing of it ended before
        first = live[0]
        _, first_day_end = _bounds(first[0].valid_from.astimezone(UTC).date())
        return first, [v for v in first if v.valid_from < first_day_end][-1]
    return None


def _bounds(day: date) -> tuple[datetime, datetime]:
    """The first moment of `day` and of the next day, in UTC (the provisioning clock's)."""
    start = datetime.combine(day, time.min, UTC)
    return start, start + timedelta(days=1)


def versions_until(history: History, version: Version) -> History:
    """The versions of one object up to and including `version`."""
    return history[: history.index(version) + 1]

"""License rules read back from a tenant as it is, for `ccprovider export --rules`.

The people the directory brought who hold the same license (subscription, role and
profile) become one rule when an attribute tells them apart: a value of it (or a group)
that every one of them has and nobody else in the directory has. Such rules never
overlap, so their order does not matter. People whose attributes tell nothing stay
declared one by one, and a note says why.
"""

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ccprovider.directory import DirectoryPerson

_ATTRIBUTES = ("division", "department", "organization", "cost_center", "title", "manager")
"""The attributes tried, broadest first; then a group the people share."""
_CAMEL = {"cost_center": "costCenter"}


@dataclass(frozen=True)
class Held:
    """The license a person holds, as a declaration names it."""

    subscription: str
    role: str
    agent_profile: str | None


@dataclass
class Inferred:
    """The rules found, the people they license, and why the others are declared one by
    one."""

    rules: list[dict[str, Any]] = field(default_factory=list)
    licensed: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)

    def covers(self, email: str) -> bool:
        """Whether a rule licenses the person, who needs no declaration of their own."""
        return email in self.licensed


def infer_rules(people: Iterable[DirectoryPerson], holding: Mapping[str, Held]) -> Inferred:
    """Rules for the licensed people of `people` (`holding`: each one's license)."""
    directory = list(people)
    groups: dict[Held, list[DirectoryPerson]] = defaultdict(list)
    for person in directory:
        if person.email in holding:
            groups[holding[person.email]].append(person)
    inferred = Inferred()
    for held, members in sorted(groups.items(), key=lambda g: (-len(g[1]), str(g[0]))):
        emails = {p.email for p in members}
        others = [p for p in directory if p.email not in emails]
        match = _telling_match(members, others)
        if match is None:
            inferred.notes.append(
                f"the {len(members):,} people holding {_license(held)} share no attribute value "
                "or group that nobody else in the directory has: declared one by one"
            )
            continue
        rule: dict[str, Any] = {"name": _name(held), "match": match, "role": held.role}
        if held.agent_profile:
            rule["agentProfile"] = held.agent_profile
        rule["subscription"] = held.subscription
        inferred.rules.append(rule)
        inferred.licensed |= emails
    return inferred


def _telling_match(
    members: list[DirectoryPerson], others: list[DirectoryPerson]
) -> dict[str, Any] | None:
    """A match that selects exactly `members` among `members + others`, or None."""
    for attribute in _ATTRIBUTES:
        values = {p.attribute(attribute) for p in members}
        if None in values:
            continue
        if any(p.attribute(attribute) in values for p in others):
            continue
        chosen = sorted(v for v in values if v is not None)
        key = _CAMEL.get(attribute, attribute)
        return {key: chosen[0] if len(chosen) == 1 else chosen}
    shared = set.intersection(*(set(p.groups) for p in members))
    for group in sorted(shared):
        if not any(group in p.groups for p in others):
            return {"group": group}
    return None


def _license(held: Held) -> str:
    kind = f"{held.agent_profile} {held.role}" if held.agent_profile else held.role
    return f"a {kind} license of {held.subscription}"


def _name(held: Held) -> str:
    """A rule's name: its role, profile and subscription, as a slug."""
    words = [held.agent_profile or "", held.role, held.subscription]
    slug = re.sub(r"[^a-z0-9]+", "-", "-".join(w for w in words if w).lower())
    return slug.strip("-")[:63]

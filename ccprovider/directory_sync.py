"""`ccprovider directory load`: the identity provider's sync, played from a CSV file of
the org's people. It creates the people the org lacks, updates what the directory says of
those it has, and deactivates the people it brought earlier who are no longer in the
file; a person as the file says already is left alone, so loading a file twice changes
nothing the second time. It goes through SCIM's bulk route, 100 people to a request.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ccprovider.client import ProvisioningClient
from ccprovider.csvfile import CsvShape, read_csv
from ccprovider.directory import DIRECTORY_MARK, DirectoryPerson
from ccprovider.domain import AgentProfile, RoleAndProfile, UserRole, email_key
from ccprovider.scim_contract import (
    ENTERPRISE_SCHEMA,
    PATCH_SCHEMA,
    ScimBulkOperation,
    ScimBulkOperationResult,
    ScimPatch,
    ScimPatchOperation,
)
from ccprovider.vendor_users import Listed

NEW_PERSON_ROLE = RoleAndProfile(role=UserRole.AGENT, agent_profile=AgentProfile.STANDARD)
"""The contact-center role a person comes in with, until a license rule gives theirs."""
_DIRECTORY_KEYS = ("displayName", "name", "title", "groups", ENTERPRISE_SCHEMA)
"""The SCIM attributes the directory says, beside `active`."""
_LISTED_FAILURES = 20


class _Row(DirectoryPerson):
    """One line of a directory file: a person, `groups` separated by semicolons and
    `active` left empty for true."""

    groups: str | None = None  # type: ignore[assignment]
    active: bool | None = None  # type: ignore[assignment]

    def person(self) -> DirectoryPerson:
        groups = tuple(g.strip() for g in (self.groups or "").split(";") if g.strip())
        fields = self.model_dump(exclude={"groups", "active"})
        return DirectoryPerson(**fields, groups=groups, active=self.active is not False)


_COLUMNS = tuple(_Row.model_fields[name].alias or name for name in _Row.model_fields)
_FILE = CsvShape(
    what="people",
    model=_Row,
    columns=_COLUMNS,
    optional=_COLUMNS[1:],
    key=lambda row: email_key(row.email),
    key_name="the e-mail address",
    repeat_fix="write each person once",
)


def read_directory_csv(path: Path) -> list[DirectoryPerson]:
    """The people of a directory file (columns: email, then any of displayName, givenName,
    familyName, title, department, costCenter, organization, division, manager, groups,
    active); every problem names the file and the line."""
    return [row.person() for _line, row in read_csv(path, _FILE)]


@dataclass
class SyncResult:
    """What a load did, person by person counted, and each refusal with its reason."""

    created: int = 0
    updated: int = 0
    deactivated: int = 0
    unchanged: int = 0
    failures: list[str] = field(default_factory=list)

    def summary(self, tenant: str) -> str:
        done = (
            f"loaded the directory into tenant {tenant}: {self.created:,} created, "
            f"{self.updated:,} updated, {self.deactivated:,} deactivated, "
            f"{self.unchanged:,} unchanged"
        )
        if not self.failures:
            return done
        shown = self.failures[:_LISTED_FAILURES]
        more = len(self.failures) - len(shown)
        lines = [f"{len(self.failures):,} not loaded:", *shown]
        lines += [f"... and {more:,} more"] if more else []
        return "\n  ".join([done + f"; {lines[0]}", *lines[1:]])


def _update(person: DirectoryPerson) -> ScimPatch:
    """The PATCH that makes the person's directory attributes exactly `person`'s, leaving
    their role and whose they are."""
    wanted = person.scim(NEW_PERSON_ROLE).model_dump(mode="json", by_alias=True, exclude_none=True)
    said = {k: wanted[k] for k in _DIRECTORY_KEYS if k in wanted}
    operations = [ScimPatchOperation(op="remove", path=k) for k in _DIRECTORY_KEYS]
    operations.append(ScimPatchOperation(op="replace", value={**said, "active": person.active}))
    return ScimPatch(schemas=[PATCH_SCHEMA], operations=operations)


def _deactivation() -> ScimPatch:
    return ScimPatch(
        schemas=[PATCH_SCHEMA],
        operations=[ScimPatchOperation(op="replace", path="active", value=False)],
    )


_Change = tuple[str, str, ScimBulkOperation]
"""What a change counts as (`created`, `updated`, `deactivated`), whom, and the operation."""


def _operations(
    people: list[DirectoryPerson], listed: dict[str, Listed]
) -> tuple[list[_Change], int]:
    """Each change the load makes, and how many people it leaves as they are."""
    changes: list[_Change] = []
    unchanged = 0
    in_file = set()
    for person in people:
        key = email_key(person.email)
        in_file.add(key)
        found = listed.get(key)
        if found is None:
            data = person.scim(NEW_PERSON_ROLE).model_dump(
                mode="json", by_alias=True, exclude_none=True
            )
            operation = _bulk("POST", "/Users", data, bulk_id=person.email)
            changes.append(("created", person.email, operation))
        elif found.person != person:
            data = _update(person).model_dump(mode="json", by_alias=True)
            operation = _bulk("PATCH", f"/Users/{found.user.id}", data)
            changes.append(("updated", person.email, operation))
        else:
            unchanged += 1
    for key, found in listed.items():
        brought = (found.user.external_id or "").startswith(DIRECTORY_MARK)
        if key not in in_file and brought and found.person.active:
            data = _deactivation().model_dump(mode="json", by_alias=True)
            operation = _bulk("PATCH", f"/Users/{found.user.id}", data)
            changes.append(("deactivated", found.user.email, operation))
    return changes, unchanged


def _bulk(
    method: str, path: str, data: dict[str, Any], bulk_id: str | None = None
) -> ScimBulkOperation:
    return ScimBulkOperation.model_validate(
        {"method": method, "path": path, "data": data, "bulkId": bulk_id}
    )


def sync_directory(
    client: ProvisioningClient,
    tenant_id: str,
    people: list[DirectoryPerson],
    progress: Callable[[int, int], None] = lambda _done, _total: None,
) -> SyncResult:
    """Make the tenant's people what `people` says (see the module); `progress` hears how
    many of the changes are done, after each request."""
    listed = {email_key(found.user.email): found for found in client.listed_users(tenant_id)}
    changes, unchanged = _operations(people, listed)
    result = SyncResult(unchanged=unchanged)
    answers: list[ScimBulkOperationResult] = []
    for answered in client.scim_bulk(tenant_id, [operation for *_, operation in changes]):
        answers += answered
        progress(len(answers), len(changes))
    for (counted, email, _operation), answer in zip(changes, answers, strict=True):
        if int(answer.status) < 400:
            setattr(result, counted, getattr(result, counted) + 1)
        else:
            result.failures.append(f"{email}: {_reason(answer)}")
    return result


def _reason(answer: ScimBulkOperationResult) -> str:
    """Why an operation was refused: the vendor's message and what its details add."""
    body = answer.response or {}
    message = str(body.get("message") or f"refused ({answer.status})")
    details = [str(e.get("description")) for e in body.get("errors", [])]
    return " ".join([message, *(d for d in details if d and d != message)])

"""What every area of the service shares: results, the simulated now, lookups of the
tenant and its objects, the idempotent create and the list by key or by page."""

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from ccprovider import rules
from ccprovider.backend.errors import (
    BadRequestError,
    ConflictError,
    NotFoundError,
    PreconditionFailedError,
)
from ccprovider.backend.storage import Record, Store, Transaction
from ccprovider.domain import Subscription

TENANT, SUBSCRIPTION, USER, PARTNER, USAGE = "tenant", "subscription", "user", "partner", "usage"
HISTORY_KINDS = (SUBSCRIPTION, USER)
"""The kinds whose every version the store keeps: billing counts what was true each day."""
USER_LOOK = "user-look"
"""How a user's address reads (its TR39 skeleton, the key), one per user (`ref`): no two
users of a tenant read the same."""
NO_TENANT = ""
"""The tenant id of tenants themselves."""
CLOCK_OFFSET = "clock_offset_seconds"
"""The setting that holds how far the simulated clock is from real time."""

T = TypeVar("T")


@dataclass(frozen=True)
class Versioned(Generic[T]):
    """An object and its version, which the HTTP layer turns into an ETag."""

    value: T
    version: int


@dataclass(frozen=True)
class PageOf(Generic[T]):
    """One page of objects and the cursor of the next page, if there is one."""

    items: list[T]
    next_cursor: int | None


class Area:
    """One area of the backend's operations over a `Store`; every operation runs in one
    store transaction."""

    def __init__(self, store: Store) -> None:
        self.store = store


def now(tx: Transaction) -> datetime:
    """The simulated time: real time moved by the clock's offset."""
    offset = float(tx.get_setting(CLOCK_OFFSET) or 0)
    return datetime.now(UTC) + timedelta(seconds=offset)


def conflict(violation: rules.Violation) -> ConflictError:
    """A vendor rule the request breaks, as a 409 with the fix as its detail."""
    return ConflictError(violation.message, f"Fix: {violation.fix}")


def check_version(record: Record, if_match: int | None) -> None:
    """Refuse with 412 unless `if_match` (when given) is the record's version."""
    if if_match is not None and if_match != record.version:
        raise PreconditionFailedError(
            f'The {record.kind} changed since it was read: its ETag is now "{record.version}".',
            "Read it again and retry the change.",
        )


def tenant_record(tx: Transaction, tenant_id: str) -> Record:
    """The tenant, or 404."""
    record = tx.get(TENANT, tenant_id)
    if record is None:
        raise NotFoundError(f"Tenant '{tenant_id}' was not found.")
    return record


def child_record(tx: Transaction, kind: str, tenant_id: str, object_id: str) -> Record:
    """An object of the tenant, or 404 (also when it belongs to another tenant)."""
    tenant_record(tx, tenant_id)
    record = tx.get(kind, object_id)
    if record is None or record.tenant_id != tenant_id:
        raise NotFoundError(
            f"{kind.capitalize()} '{object_id}' was not found in tenant '{tenant_id}'."
        )
    return record


def record_to_replace(
    tx: Transaction,
    kind: str,
    tenant_id: str,
    object_id: str,
    if_match: int | None,
    *,
    key: str,
    key_name: str,
    fix: str | None = None,
) -> Record:
    """The object a replace addresses, refused when it is not found (404), changed since
    `if_match` (412), or when the replacement's natural key `key` (the field `key_name`)
    differs from its own (400, with `fix` saying what to do instead)."""
    record = child_record(tx, kind, tenant_id, object_id)
    check_version(record, if_match)
    if key != record.key:
        raise BadRequestError(
            f"{key_name} cannot change (it is {record.key}).", *([fix] if fix else [])
        )
    return record


def subscription_from(body: Mapping[str, Any]) -> Subscription:
    """The domain subscription a stored body (or a version of it) holds: its terms, without
    the mark of the client that manages it."""
    fields = Subscription.model_fields
    return Subscription.model_validate({k: v for k, v in body.items() if k in fields})


def subscription_of(record: Record) -> Subscription:
    """The domain subscription a stored one holds."""
    return subscription_from(record.body)


def tenant_subscriptions(tx: Transaction, tenant_id: str) -> list[Subscription]:
    """The tenant's subscriptions in provisioning order (a tenant has only a few)."""
    return [subscription_of(r) for r in tx.page(SUBSCRIPTION, tenant_id)]


CHOSEN_BY_SUBSCRIPTIONS = ("telephony", "license_model")
"""Tenant fields its subscriptions in force decide."""


def chosen_by_subscriptions(tx: Transaction, tenant_id: str) -> dict[str, str]:
    """The telephony option and license model of the tenant's subscriptions in force (the
    oldest's); none when none is in force, so that the next subscription chooses."""
    in_force = rules.subscriptions_in_force(tenant_subscriptions(tx, tenant_id), now(tx).date())
    if not in_force:
        return {}
    oldest = in_force[0]
    return {"telephony": oldest.telephony.value, "license_model": oldest.license_model.value}


@contextmanager
def following_subscriptions_in_force(tx: Transaction, tenant_id: str) -> Iterator[None]:
    """Around a change of the tenant's subscriptions: record on the tenant what its
    subscriptions in force decide afterwards. The tenant's version moves whenever that
    differs from what they decided before, even when the stored record already says so (a
    subscription expired since): subscriptions racing to be the first in force create
    `If-Match` that version, so only one of them chooses."""
    before = chosen_by_subscriptions(tx, tenant_id)
    yield
    after = chosen_by_subscriptions(tx, tenant_id)
    tenant = tenant_record(tx, tenant_id)
    body = {k: v for k, v in tenant.body.items() if k not in CHOSEN_BY_SUBSCRIPTIONS} | after
    if body != tenant.body or after != before:
        tx.update(tenant, body, now(tx), key=tenant.key, ref=None)


def create_once(
    tx: Transaction,
    kind: str,
    tenant: Record | None,
    key: str,
    *,
    request_key: str | None,
    if_match: int | None = None,
    taken: Callable[[Record], ConflictError],
    build: Callable[[], dict[str, Any]],
    still_theirs: Callable[[Record], bool] = lambda _existing: True,
) -> Record:
    """Create an object of `kind` with natural key `key` in `tenant` (None: a tenant itself).

    A retry of the request that created it (the same `request_key`) gets that object back,
    even when a crash lost the stored answer, while `still_theirs(existing)`: an object that
    changed hands since (another client's mark) is refused like any taken key, so a replay
    never hands it back. Otherwise `if_match` must still match the tenant's version and a
    taken key is refused with `taken(existing)`; `build` then checks the vendor's rules and
    returns the body to store, tagged with `request_key`.
    """
    tenant_id = tenant.id if tenant else NO_TENANT
    existing = tx.find(kind, tenant_id, key)
    replay = existing is not None and request_key is not None and existing.created_by == request_key
    if replay and existing is not None and still_theirs(existing):
        return existing
    if tenant is not None:
        check_version(tenant, if_match)
    if existing is not None:
        raise taken(existing)
    return tx.insert(kind, tenant_id, build(), now(tx), key=key, created_by=request_key)


def paged(records: list[Record], limit: int, view: Callable[[Record], T]) -> PageOf[T]:
    """The first `limit` of `records` as a page; one record more means another page follows."""
    shown = records[:limit]
    next_cursor = shown[-1].seq if len(records) > limit else None
    return PageOf([view(r) for r in shown], next_cursor)


def page_of(
    tx: Transaction,
    kind: str,
    tenant_id: str,
    *,
    after: int,
    limit: int,
    view: Callable[[Record], T],
    ref: str | None = None,
) -> PageOf[T]:
    """A page of the tenant's objects of `kind` (with reference `ref`) after cursor `after`."""
    records = tx.page(kind, tenant_id, after=after, limit=limit + 1, ref=ref)
    return paged(records, limit, view)


def find_or_page(
    tx: Transaction,
    kind: str,
    tenant_id: str,
    key: str | None,
    *,
    after: int,
    limit: int,
    view: Callable[[Record], T],
) -> PageOf[T]:
    """The object with natural key `key` (a page of one, or none), or without a key a page
    of all the tenant's objects of `kind`: what every list route answers."""
    if key is None:
        return page_of(tx, kind, tenant_id, after=after, limit=limit, view=view)
    found = tx.find(kind, tenant_id, key)
    return PageOf([view(found)] if found else [], None)

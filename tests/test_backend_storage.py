"""The backend's storage under concurrent writers in several processes."""

import multiprocessing
from datetime import UTC, datetime
from pathlib import Path

from ccprovider.backend.errors import ConflictError
from ccprovider.backend.service import ProvisioningService
from ccprovider.backend.storage import SqliteStore
from ccprovider.contract import TenantBody
from tests.helpers import subscription_body


def _add_subscription(args: tuple[str, str, int]) -> str:
    """In a child process: add one subscription, alternating license models."""
    db, tenant_id, index = args
    service = ProvisioningService(SqliteStore(Path(db)))
    model = "named" if index % 2 else "concurrent"
    try:
        service.create_subscription(
            tenant_id, subscription_body(f"SUB-{index}", license_model=model)
        )
    except ConflictError:
        return "refused"
    return model


def test_racing_processes_never_leave_a_tenant_with_mixed_license_models(tmp_path: Path) -> None:
    db = tmp_path / "backend.sqlite3"
    service = ProvisioningService(SqliteStore(db))
    tenant_id = service.create_tenant(TenantBody(name="acme-dev", offer="flex3")).value.id

    with multiprocessing.get_context("spawn").Pool(4) as pool:
        outcomes = pool.map(_add_subscription, [(str(db), tenant_id, i) for i in range(16)])

    stored = service.list_subscriptions(tenant_id, None, 0, 100).items
    models = {s.license_model.value for s in stored}
    assert len(models) == 1
    [winner] = models
    assert outcomes.count(winner) == len(stored) == 8
    assert outcomes.count("refused") == 8


def test_the_store_keeps_each_version_of_the_kinds_it_is_asked_to(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "backend.sqlite3", history_of=["subscription"])
    created, changed, deleted = (datetime(2026, 5, day, tzinfo=UTC) for day in (1, 10, 20))
    with store.write() as tx:
        record = tx.insert("subscription", "t-1", {"units": 1}, created, key="SUB-1")
        tx.insert("partner", "t-1", {}, created, key="p")  # no history kept
        record = tx.update(record, {"units": 2}, changed, key="SUB-1", ref=None)
        tx.delete(record, deleted)

    with store.read() as tx:
        versions = tx.versions("subscription", "t-1")
        assert tx.versions("partner", "t-1") == []

    assert [(v.body, v.valid_from, v.valid_to) for v in versions] == [
        ({"units": 1}, created, changed),
        ({"units": 2}, changed, deleted),
    ]


def test_objects_stored_before_history_was_kept_get_a_first_version(tmp_path: Path) -> None:
    db = tmp_path / "backend.sqlite3"
    created = datetime(2026, 5, 1, tzinfo=UTC)
    with SqliteStore(db).write() as tx:  # an older backend kept no history
        tx.insert("subscription", "t-1", {"units": 1}, created, key="SUB-1")

    with SqliteStore(db, history_of=["subscription"]).read() as tx:
        [version] = tx.versions("subscription", "t-1")

    assert (version.body, version.valid_from, version.valid_to) == ({"units": 1}, created, None)

"""The backend's storage under concurrent writers in several processes."""

import multiprocessing
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

"""The client raises one error class per kind of refusal, so callers never test statuses."""

import pytest
import requests_mock

from ccprovider import api_errors
from ccprovider.client import ProvisioningClient
from ccprovider.contract import ErrorBody, ErrorDetail

BASE = "http://backend.test"


def vendor_error(message: str) -> dict[str, object]:
    body = ErrorBody(message=message, errors=[ErrorDetail(description=message)], tracking_id="t")
    return body.model_dump(mode="json", by_alias=True)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, api_errors.BadRequestError),
        (401, api_errors.UnauthorizedError),
        (403, api_errors.ForbiddenError),
        (404, api_errors.NotFoundError),
        (409, api_errors.ConflictError),
        (412, api_errors.PreconditionFailedError),
        (422, api_errors.BadRequestError),
        (429, api_errors.RateLimitedError),
        (503, api_errors.ServerError),
        (418, api_errors.ApiError),
    ],
)
def test_each_refusal_raises_its_own_kind(status: int, kind: type[api_errors.ApiError]) -> None:
    client = ProvisioningClient(BASE)
    with requests_mock.Mocker() as mock:
        mock.get(f"{BASE}/v1/simulator/tenants", status_code=status, json=vendor_error("refused"))
        with pytest.raises(api_errors.ApiError) as raised:
            list(client.list_tenants())

    assert type(raised.value) is kind
    assert (raised.value.status, raised.value.message, raised.value.tracking_id) == (
        status,
        "refused",
        "t",
    )


def test_a_missing_object_is_none_and_a_missing_delete_is_false() -> None:
    client = ProvisioningClient(BASE)
    with requests_mock.Mocker() as mock:
        mock.get(f"{BASE}/v1/simulator/tenants/t-1", status_code=404, json=vendor_error("gone"))
        mock.delete(f"{BASE}/v1/simulator/tenants/t-1", status_code=404, json=vendor_error("gone"))

        assert client.get_tenant("t-1") is None
        assert client.delete_tenant("t-1") is False

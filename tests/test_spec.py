"""The stack's tenant declaration: validated whole, every error naming its config path."""

import pytest

from ccprovider.domain import Offer
from ccprovider.spec import SpecError, parse_tenant_spec


def test_a_valid_declaration_is_normalized() -> None:
    spec = parse_tenant_spec({"name": " acme-dev ", "offer": "flex3"})

    assert (spec.name, spec.offer, spec.hybrid) == ("acme-dev", Offer.FLEX3, False)


def test_every_problem_is_reported_with_its_path() -> None:
    with pytest.raises(SpecError) as raised:
        parse_tenant_spec({"name": "Acme!", "offer": "flex4", "hybird": True})

    message = str(raised.value)
    assert "ccprovider:tenant.name: String should match pattern" in message
    assert "ccprovider:tenant.offer: Input should be 'flex' or 'flex3'" in message
    assert "ccprovider:tenant.hybird: Extra inputs are not permitted" in message


def test_a_declaration_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(SpecError, match="ccprovider:tenant must be an object"):
        parse_tenant_spec(["acme-dev"])

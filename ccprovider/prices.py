"""A price list: the unit price of each usage type's overage, in one currency, read from a
small CSV file (`usage_type,unit_price,currency`) that finance keeps."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ccprovider.csvfile import CsvFileError, CsvShape, read_csv
from ccprovider.domain import UsageType

_CENT = Decimal("0.01")


class PriceListError(Exception):
    """A price list cannot price what the report shows; the message names the file, the
    usage type and the fix."""


def _currency_code(value: str) -> str:
    if len(value) != 3 or not value.isascii() or not value.isalpha() or not value.isupper():
        raise ValueError(f"'{value}' is not a currency code: use three capital letters such as EUR")
    return value


class _Price(BaseModel):
    """One line of a price list."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    usage_type: UsageType
    unit_price: Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]
    currency: Annotated[str, AfterValidator(_currency_code)]


_PRICES = CsvShape(
    what="price lists",
    model=_Price,
    columns=("usage_type", "unit_price", "currency"),
    optional=(),
    key=lambda price: price.usage_type,
    key_name="the usage type",
    repeat_fix="write one price per usage type",
)


@dataclass(frozen=True)
class PriceList:
    """Unit prices per usage type in one currency, and the file they came from."""

    source: Path
    currency: str
    unit_prices: dict[UsageType, Decimal]

    def amount(self, usage_type: UsageType, units: int, period: str) -> Decimal:
        """What `units` over the pool of `usage_type` cost, rounded to the cent (half up),
        so that a total is the sum of the amounts shown; none costs nothing, priced or not."""
        price = self.unit_prices.get(usage_type)
        if not units:
            return Decimal(0)
        if price is None:
            raise PriceListError(
                f"{self.source}: no price for {usage_type}, which has {units} units over the "
                f"pool in {period}; add the line {usage_type},<unit price>,{self.currency}"
            )
        return (price * units).quantize(_CENT, rounding=ROUND_HALF_UP)

    def money(self, value: Decimal) -> str:
        """An amount as a page shows it: `1,234.50 EUR`."""
        return f"{value:,.2f} {self.currency}"

    def unit_price(self, usage_type: UsageType) -> str:
        """A unit price as the file writes it, with the currency (`12.50 EUR`); "-" for a
        usage type the list leaves out."""
        price = self.unit_prices.get(usage_type)
        return "-" if price is None else f"{price:,f} {self.currency}"


def read_price_list(path: Path) -> PriceList:
    """The price list in `path`: one line per usage type, all in one currency. Anything
    else is a `CsvFileError` naming the file, the line and the fix."""
    lines = read_csv(path, _PRICES)
    if not lines:
        raise CsvFileError(
            f"{path}: no prices; write one line per usage type under the first line "
            f"{','.join(_PRICES.columns)}"
        )
    first_line, first = lines[0]
    for line, price in lines:
        if price.currency != first.currency:
            raise CsvFileError(
                f"{path}, line {line}: currency {price.currency} differs from "
                f"{first.currency} of line {first_line}; one price list holds one currency"
            )
    return PriceList(
        source=path,
        currency=first.currency,
        unit_prices={price.usage_type: price.unit_price for _, price in lines},
    )

"""The simulated clock that subscription status and access follow."""

from datetime import UTC, datetime, timedelta

from ccprovider import contract
from ccprovider.backend.errors import BadRequestError
from ccprovider.backend.service.common import CLOCK_OFFSET, Area, now

_CLOCK_LIMIT = datetime(2999, 12, 31, tzinfo=UTC)


class ClockService(Area):
    """Reads and moves the simulated time."""

    def clock(self) -> contract.ClockState:
        """The simulated time."""
        with self.store.read() as tx:
            current = now(tx)
        return contract.ClockState(now=current, today=current.date())

    def change_clock(self, change: contract.ClockChange) -> contract.ClockState:
        """Advance the simulated clock by days or set it; time keeps flowing from there."""
        with self.store.write() as tx:
            offset = float(tx.get_setting(CLOCK_OFFSET) or 0)
            if change.now is not None:
                target = change.now if change.now.tzinfo else change.now.replace(tzinfo=UTC)
                offset = (target - datetime.now(UTC)).total_seconds()
            if change.advance_days:
                offset += timedelta(days=change.advance_days).total_seconds()
            if datetime.now(UTC) + timedelta(seconds=offset) > _CLOCK_LIMIT:
                raise BadRequestError(f"The simulated clock stops at {_CLOCK_LIMIT.date()}.")
            tx.set_setting(CLOCK_OFFSET, repr(offset))
            current = now(tx)
        return contract.ClockState(now=current, today=current.date())

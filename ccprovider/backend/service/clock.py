"""The simulated clock that subscription status and access follow.

The clock may go back only as far as the day of the latest change it has recorded: the
store keeps what was true on each day by the clock's stamps, and a change stamped before
one already recorded would rewrite a day that has been billed (history has no order then).
Going back within that day is allowed: changes of one day count in the order they were
made. A database whose history ends earlier may be set to any earlier time (tests replay
past days that way on a fresh database)."""

from datetime import UTC, datetime, timedelta

from ccprovider import contract
from ccprovider.backend.errors import BadRequestError, ConflictError
from ccprovider.backend.service.common import CLOCK_OFFSET, Area, now
from ccprovider.backend.storage import Transaction

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
            moved = datetime.now(UTC) + timedelta(seconds=offset)
            if moved > _CLOCK_LIMIT:
                raise BadRequestError(f"The simulated clock stops at {_CLOCK_LIMIT.date()}.")
            _refuse_rewriting_history(tx, moved)
            tx.set_setting(CLOCK_OFFSET, repr(offset))
            current = now(tx)
        return contract.ClockState(now=current, today=current.date())


def _refuse_rewriting_history(tx: Transaction, moved: datetime) -> None:
    """Refuse (409) a time on a day before the latest change the store has recorded."""
    latest = tx.latest_change()
    if latest is None:
        return
    day, recorded = moved.astimezone(UTC).date(), latest.astimezone(UTC).date()
    if day < recorded:
        raise ConflictError(
            f"The clock cannot go back to {day}: changes are recorded up to {recorded}, and "
            "a change dated earlier would rewrite the history that billing reads.",
            f"Fix: set the clock to {recorded} or later, or replay earlier days on a new database.",
        )

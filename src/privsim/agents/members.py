"""The member population as a struct of numpy arrays: one row per member.

No member is a Python object or a simpy process: a daily tick updates whole
arrays. Rows are never removed (a churned member keeps its row), so the row
count equals the initial base plus every member ever added, and every row is
in exactly one :class:`State`: members are conserved.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Annotated, get_args, get_type_hints

import numpy as np
import numpy.typing as npt


class State(IntEnum):
    """Where a member stands; one int8 per row.

    ``LEAD`` is a contact reached by an acquisition channel who has not added
    a brand account. Leads are counted as a flow per channel and day and are
    never stored as rows, so no row is in this state.
    """

    LEAD = 0
    ADDED = 1  #: added a brand account, no purchase yet
    CUSTOMER = 2  #: has purchased and may buy again
    SILENT = 3  #: dropped out of buying but still reachable; rarely reactivated
    CHURNED = 4  #: blocked or deleted the account, or lifecycle over; irreversible


class ChurnReason(IntEnum):
    """Why a member churned; one int8 per row (NONE while not churned)."""

    NONE = 0
    BLOCKED = 1  #: blocked the account after a contact, from fatigue
    DELETED = 2  #: deleted the account (the account kind's churn hazard)
    LIFECYCLE = 3  #: the need ended (e.g. the child outgrew the product)
    BANNED = 4  #: the platform banned the member's account (its contacts are lost)


#: ``channel`` values of members who came through no acquisition channel.
BASE_CHANNEL = -1  #: the day-0 base and scheduled entries
REFERRAL_CHANNEL = -2  #: invited by a member (referral, fission)
SWAP_CHANNEL = -3  #: joined from a partner brand's pool (brand swap)

#: A day before any simulated day: "never" for last-event columns.
NEVER = np.iinfo(np.int32).min // 2
#: A day after any simulated day: "no end" for end-day columns.
NO_END = np.iinfo(np.int32).max // 2


class Members:
    """The member columns: one annotated attribute per column, rows ``[0, n)`` are members.

    Each column is declared once, as ``name: Annotated[NDArray[dtype], value of a
    fresh row]`` (units are in the names); :data:`COLUMNS` is read from these
    declarations. Arrays are allocated with spare capacity and grow by at
    least a quarter when full; always slice ``[: n]``.
    """

    n: int
    state: Annotated[npt.NDArray[np.int8], State.ADDED]
    churn_reason: Annotated[npt.NDArray[np.int8], ChurnReason.NONE]
    tier: Annotated[npt.NDArray[np.int8], 0]
    account: Annotated[npt.NDArray[np.int32], -1]  # row of the account table
    channel: Annotated[npt.NDArray[np.int16], BASE_CHANNEL]  # acquisition channel, or one of the *_CHANNEL origins
    cohort_month: Annotated[npt.NDArray[np.int16], -1]  # month of joining; -1 = initial base
    joined_day: Annotated[npt.NDArray[np.int32], 0]
    lifecycle_end_day: Annotated[npt.NDArray[np.int32], NO_END]  # churns (LIFECYCLE) at the end of this day
    deletion_day: Annotated[npt.NDArray[np.int32], NO_END]  # deletes the account (DELETED) at the end of this day
    rate_per_day: Annotated[npt.NDArray[np.float32], 0.0]  # latent purchase rate
    dropout_prob: Annotated[npt.NDArray[np.float32], 0.0]  # chance to turn silent after a repeat purchase
    order_value_mean_rmb: Annotated[npt.NDArray[np.float32], 0.0]
    trust: Annotated[npt.NDArray[np.float32], 0.0]
    fatigue: Annotated[npt.NDArray[np.float32], 0.0]
    reference_discount: Annotated[npt.NDArray[np.float32], 0.0]  # discount the member has come to expect
    offer_depth: Annotated[npt.NDArray[np.float32], 0.0]
    offer_from_day: Annotated[npt.NDArray[np.int32], NEVER]  # offer valid from this day ...
    offer_until_day: Annotated[npt.NDArray[np.int32], NEVER]  # ... while day <= this
    offer_is_sale: Annotated[npt.NDArray[np.int8], 0]  # the offer is a dated sale (stockpiling applies)
    wait_until_day: Annotated[npt.NDArray[np.int32], NEVER]  # awaits an announced sale until this day
    stockpile_until_day: Annotated[npt.NDArray[np.int32], NEVER]  # stocked up in a sale until this day
    coupon_value_rmb: Annotated[npt.NDArray[np.float32], 0.0]  # a fixed-value coupon ...
    coupon_threshold_rmb: Annotated[npt.NDArray[np.float32], 0.0]  # ... for orders of at least this value ...
    coupon_until_day: Annotated[npt.NDArray[np.int32], NEVER]  # ... valid while day <= this
    group: Annotated[npt.NDArray[np.int32], -1]  # row of the group table; -1 = in no group
    paid_until_day: Annotated[npt.NDArray[np.int32], NEVER]  # paid membership valid while day <= this
    paid_savings_rmb: Annotated[npt.NDArray[np.float32], 0.0]  # discounts received during the current paid year
    balance_rmb: Annotated[npt.NDArray[np.float32], 0.0]  # stored value the member can spend
    balance_cash_share: Annotated[npt.NDArray[np.float32], 1.0]  # cash paid per RMB of balance (the rest was bonus)
    prefers_phone: Annotated[npt.NDArray[np.int8], 0]  # prefers calls to messages (HAPPIGO-FOLLOWUP)
    purchases: Annotated[npt.NDArray[np.int32], 0]  # lifetime
    spend_rmb: Annotated[npt.NDArray[np.float32], 0.0]  # lifetime, list price
    tier_purchases: Annotated[npt.NDArray[np.int32], 0]  # progress toward tiers (reset on demotion)
    tier_spend_rmb: Annotated[npt.NDArray[np.float32], 0.0]
    tier_since_day: Annotated[npt.NDArray[np.int32], 0]
    first_purchase_day: Annotated[npt.NDArray[np.int32], NEVER]
    quick_second_purchase: Annotated[npt.NDArray[np.int8], 0]  # 2nd purchase soon after the first (sim.ledger)
    last_purchase_day: Annotated[npt.NDArray[np.int32], NEVER]
    last_contact_day: Annotated[npt.NDArray[np.int32], NEVER]
    followed_up_day: Annotated[npt.NDArray[np.int32], NEVER]
    fake: Annotated[npt.NDArray[np.int8], 0]  # a fake invitee or swap joiner: never buys, leaves soon

    def __init__(self, capacity: int) -> None:
        self.n = 0
        self._capacity = max(int(capacity), 16)
        for name, column in COLUMNS.items():
            setattr(self, name, np.full(self._capacity, column.fill, dtype=column.dtype))

    def add(self, count: int) -> slice:
        """Append ``count`` fresh rows; return their slice to fill in."""
        if self.n + count > self._capacity:
            self._grow(max(self.n + count, self._capacity + self._capacity // 4))
        rows = slice(self.n, self.n + count)
        self.n += count
        return rows

    def _grow(self, capacity: int) -> None:
        for name, column in COLUMNS.items():
            old = getattr(self, name)
            new = np.full(capacity, column.fill, dtype=column.dtype)
            new[: self.n] = old[: self.n]
            setattr(self, name, new)
        self._capacity = capacity

    def read_only(self) -> Members:
        """The same rows and columns as views that refuse writes (what a policy may look at)."""
        view = object.__new__(Members)
        view.n, view._capacity = self.n, self._capacity
        for name in COLUMNS:
            column = getattr(self, name).view()
            column.flags.writeable = False
            setattr(view, name, column)
        return view

    def reachable_rows(self) -> np.ndarray:
        """Rows of members an account can still message (added, customer, silent)."""
        return np.flatnonzero(self.state[: self.n] != State.CHURNED)

    def count_by_state(self) -> np.ndarray:
        """Members per State value (index = State)."""
        return np.bincount(self.state[: self.n], minlength=len(State))


@dataclass(frozen=True)
class Column:
    """How a member column is stored: its dtype and the value of a fresh row."""

    dtype: np.dtype[np.generic]
    fill: float


def _declared_columns() -> dict[str, Column]:
    """The ``Annotated[NDArray[dtype], fill]`` attributes of :class:`Members`, in declaration order."""
    columns = {}
    for name, hint in get_type_hints(Members, include_extras=True).items():
        if hasattr(hint, "__metadata__"):
            array, fill = get_args(hint)
            (scalar,) = get_args(get_args(array)[1])
            columns[name] = Column(np.dtype(scalar), fill)
    return columns


#: column name → how it is stored, from the declarations of :class:`Members`.
COLUMNS = _declared_columns()

#: Bytes one row takes across all columns.
BYTES_PER_MEMBER = sum(column.dtype.itemsize for column in COLUMNS.values())

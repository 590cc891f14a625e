"""The member population as a struct of numpy arrays: one row per member.

No member is a Python object or a simpy process: a daily tick updates whole
arrays. Rows are never removed (a churned member keeps its row), so the row
count equals the initial base plus every member ever added, and every row is
in exactly one :class:`State`: members are conserved.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


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

#: column name → (dtype, value of a fresh row). Units are in the names.
COLUMNS: dict[str, tuple[type, float]] = {
    "state": (np.int8, State.ADDED),
    "churn_reason": (np.int8, ChurnReason.NONE),
    "tier": (np.int8, 0),
    "account": (np.int32, -1),  # row of the account table
    "channel": (np.int16, BASE_CHANNEL),  # acquisition channel, or one of the *_CHANNEL origins
    "cohort_month": (np.int16, -1),  # month of joining; -1 = initial base
    "joined_day": (np.int32, 0),
    "lifecycle_end_day": (np.int32, NO_END),  # churns (LIFECYCLE) at the end of this day
    "deletion_day": (np.int32, NO_END),  # deletes the account (DELETED) at the end of this day
    "rate_per_day": (np.float32, 0.0),  # latent purchase rate
    "dropout_prob": (np.float32, 0.0),  # chance to turn silent after a repeat purchase
    "order_value_mean_rmb": (np.float32, 0.0),
    "trust": (np.float32, 0.0),
    "fatigue": (np.float32, 0.0),
    "reference_discount": (np.float32, 0.0),  # discount the member has come to expect
    "offer_depth": (np.float32, 0.0),
    "offer_from_day": (np.int32, NEVER),  # offer valid from this day ...
    "offer_until_day": (np.int32, NEVER),  # ... while day <= this
    "offer_is_sale": (np.int8, 0),  # the offer is a dated sale (stockpiling applies)
    "wait_until_day": (np.int32, NEVER),  # waiting for an announced sale (anticipation) until this day
    "stockpile_until_day": (np.int32, NEVER),  # stocked up in a sale until this day
    "coupon_value_rmb": (np.float32, 0.0),  # a fixed-value coupon ...
    "coupon_threshold_rmb": (np.float32, 0.0),  # ... for orders of at least this value ...
    "coupon_until_day": (np.int32, NEVER),  # ... valid while day <= this
    "group": (np.int32, -1),  # row of the group table; -1 = in no group
    "paid_until_day": (np.int32, NEVER),  # paid membership valid while day <= this
    "paid_savings_rmb": (np.float32, 0.0),  # discounts received during the current paid year
    "balance_rmb": (np.float32, 0.0),  # stored value the member can spend
    "balance_cash_share": (np.float32, 1.0),  # cash paid per RMB of balance (the rest was bonus)
    "prefers_phone": (np.int8, 0),  # prefers calls to messages (HAPPIGO-FOLLOWUP)
    "purchases": (np.int32, 0),  # lifetime
    "spend_rmb": (np.float32, 0.0),  # lifetime, list price
    "tier_purchases": (np.int32, 0),  # progress toward tiers (reset on demotion)
    "tier_spend_rmb": (np.float32, 0.0),
    "tier_since_day": (np.int32, 0),
    "first_purchase_day": (np.int32, NEVER),
    "quick_second_purchase": (np.int8, 0),  # bought again within metrics.QUICK_SECOND_PURCHASE_DAYS of the first
    "last_purchase_day": (np.int32, NEVER),
    "last_contact_day": (np.int32, NEVER),
    "followed_up_day": (np.int32, NEVER),
}

#: Bytes one row takes across all columns.
BYTES_PER_MEMBER = sum(np.dtype(dtype).itemsize for dtype, _ in COLUMNS.values())


class Members:
    """Columns of ``COLUMNS`` as attributes; rows ``[0, n)`` are members.

    Arrays are allocated with spare capacity and grow by at least a quarter
    when full; always slice ``[: n]``.
    """

    def __init__(self, capacity: int) -> None:
        self.n = 0
        self._capacity = max(int(capacity), 16)
        for name, (dtype, fill) in COLUMNS.items():
            setattr(self, name, np.full(self._capacity, fill, dtype=dtype))

    def add(self, count: int) -> slice:
        """Append ``count`` fresh rows; return their slice to fill in."""
        if self.n + count > self._capacity:
            self._grow(max(self.n + count, self._capacity + self._capacity // 4))
        rows = slice(self.n, self.n + count)
        self.n += count
        return rows

    def _grow(self, capacity: int) -> None:
        for name, (dtype, fill) in COLUMNS.items():
            old = getattr(self, name)
            new = np.full(capacity, fill, dtype=dtype)
            new[: self.n] = old[: self.n]
            setattr(self, name, new)
        self._capacity = capacity

    def reachable_rows(self) -> np.ndarray:
        """Rows of members an account can still message (added, customer, silent)."""
        return np.flatnonzero(self.state[: self.n] != State.CHURNED)

    def count_by_state(self) -> np.ndarray:
        """Members per State value (index = State)."""
        return np.bincount(self.state[: self.n], minlength=len(State))

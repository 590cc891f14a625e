"""Contact accounts as a small table: one row per account (a personal WeChat, a WeCom seat, a phone line).

Accounts hold members up to ``members_per_account`` and add at most
``daily_add_cap`` new members a day; pools (the scenario's ``accounts``
entries) are filled in the order listed, so capacity is a resource.
"""

from __future__ import annotations

import numpy as np

from privsim.scenario import Account


class AccountTable:
    """Accounts of all pools; ``pool[k]`` is the index of account k's scenario entry."""

    def __init__(self, pools: tuple[Account, ...]) -> None:
        self.pools = pools
        counts = np.array([p.count for p in pools], dtype=np.int64)
        self.pool = np.repeat(np.arange(len(pools)), counts)
        self.capacity = np.repeat([p.members_per_account for p in pools], counts).astype(np.int64)
        self.daily_add_cap = np.repeat([p.daily_add_cap for p in pools], counts).astype(np.int64)
        self.occupancy = np.zeros(len(self.pool), dtype=np.int64)
        self.added_today = np.zeros(len(self.pool), dtype=np.int64)

    def place_initial(self, n: int) -> np.ndarray:
        """Accounts for ``n`` members of the day-0 base: pools in order, spread evenly within a pool."""
        out = np.empty(n, dtype=np.int32)
        placed = 0
        for p in range(len(self.pools)):
            ids = np.flatnonzero(self.pool == p)
            if len(ids) == 0:
                continue
            k = min(n - placed, int(self.capacity[ids].sum()))
            out[placed : placed + k] = ids[np.arange(k) % len(ids)]
            placed += k
        np.add.at(self.occupancy, out[:placed], 1)
        if placed < n:
            raise ValueError(f"{n} initial members do not fit {placed} account places")
        return out

    def new_day(self) -> None:
        """Reset the daily add counters."""
        self.added_today[:] = 0

    def room_today(self) -> int:
        """New members the accounts can still add today."""
        return int(self._room().sum())

    def _room(self) -> np.ndarray:
        return np.minimum(self.daily_add_cap - self.added_today, self.capacity - self.occupancy).clip(min=0)

    def place_new(self, n: int, daily_cap: bool = True) -> np.ndarray:
        """Accounts for ``n`` members added today: pools in order, first accounts first.

        ``n`` must not exceed ``room_today()`` (or, with ``daily_cap=False``,
        the free places).
        """
        room = self._room() if daily_cap else self.capacity - self.occupancy
        slots = np.repeat(np.arange(len(room)), room)[:n].astype(np.int32)
        counts = np.bincount(slots, minlength=len(room))
        self.added_today += counts
        self.occupancy += counts
        return slots

    def release(self, accounts: np.ndarray) -> None:
        """Free the places of members who churned."""
        self.occupancy -= np.bincount(accounts, minlength=len(self.occupancy))

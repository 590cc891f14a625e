"""Contact accounts as a small table: one row per account (a personal WeChat, a WeCom seat, a phone line).

Accounts hold members up to ``members_per_account`` and add at most
``daily_add_cap`` new members a day; pools (the scenario's ``accounts``
entries) are filled in the order listed unless a routing policy says
otherwise, so capacity is a resource. Adding past the daily cap (only a
routing policy pushes adds that far) risks a platform ban: each excess add
bans the account with the pool's ``ban_prob_per_excess_add``, and a banned
account loses its members and its capacity for good.

Capacity that moves (STEAK-ACCOUNT-BAN). A pool's ``count`` accounts are
open on day 0; each of its ``additions`` opens ``count`` more on its day
(an account of a pool is listed after the pool's earlier ones, so the
first accounts fill first). An added account's cap on day ``d`` ramps up
linearly: ``floor(daily_add_cap x (s + (1 - s) x (d - opened) /
ramp_up_days))`` while ``d - opened < ramp_up_days``, the full cap after
(``s = initial_add_cap_share``; the day-0 accounts have finished their
ramp). The ban rule is unchanged and reads today's (ramped) cap: an add
past it is an excess add, so a young account pushed by ``over_cap_share``
is pushed past a smaller cap. Accounts not yet open have no room and a
cap of 0.

A holding pool (``holding``, an official account) never holds members:
its accounts have no member places; its open accounts' places and
today's caps bound the leads waiting on it (:meth:`holding_room`; the
queue itself is :mod:`privsim.sim.acquisition`'s).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

from privsim.config.operations import Account


class AccountTable:
    """Accounts of all pools; ``pool[k]`` is the index of account k's scenario entry."""

    def __init__(self, pools: tuple[Account, ...], start_date: dt.date) -> None:
        self.pools = pools
        counts = np.array([p.accounts_total() for p in pools], dtype=np.int64)
        self.pool = np.repeat(np.arange(len(pools)), counts)
        #: day each account opens; the day-0 ones as if opened before day 0 and ramped up by then
        self.opened_day = np.concatenate(
            [
                np.repeat(
                    [-p.ramp_up_days - 1, *(a.day_index(start_date) for a in p.additions)],
                    [p.count, *(a.count for a in p.additions)],
                )
                for p in pools
            ]
        ).astype(np.int64)
        holding = np.repeat([p.holding for p in pools], counts)
        self.places = np.repeat([p.members_per_account for p in pools], counts).astype(np.int64)
        self.capacity = np.where((self.opened_day < 0) & ~holding, self.places, 0).astype(np.int64)
        self.full_add_cap = np.repeat([p.daily_add_cap for p in pools], counts).astype(np.int64)
        self.daily_add_cap = self.full_add_cap.copy()
        self.ban_prob = np.repeat([p.ban_prob_per_excess_add for p in pools], counts).astype(float)
        self.occupancy = np.zeros(len(self.pool), dtype=np.int64)
        self.added_today = np.zeros(len(self.pool), dtype=np.int64)
        self.banned = np.zeros(len(self.pool), dtype=bool)
        #: index of the holding pool, or None
        self.holding = next((i for i, p in enumerate(pools) if p.holding), None)
        #: accounts of the holding pool
        self._in_holding_pool = holding
        self._moving = any(p.additions or p.ramp_up_days for p in pools)
        self._ramp_days = np.repeat([p.ramp_up_days for p in pools], counts).astype(np.int64)
        self._initial_share = np.repeat([p.initial_add_cap_share for p in pools], counts)

    def place_initial(self, n: int) -> np.ndarray:
        """Accounts for ``n`` members of the day-0 base: pools in order, spread evenly within a pool."""
        out = np.empty(n, dtype=np.int32)
        placed = 0
        for p in range(len(self.pools)):
            ids = np.flatnonzero((self.pool == p) & (self.capacity > 0))
            if len(ids) == 0:
                continue
            k = min(n - placed, int(self.capacity[ids].sum()))
            out[placed : placed + k] = ids[np.arange(k) % len(ids)]
            placed += k
        np.add.at(self.occupancy, out[:placed], 1)
        if placed < n:
            raise ValueError(f"{n} initial members do not fit {placed} account places")
        return out

    def new_day(self, day: int) -> None:
        """Reset the daily add counters; open the accounts added on ``day`` and ramp up the young ones' caps."""
        self.added_today[:] = 0
        if not self._moving:
            return
        opening = (self.opened_day == day) & ~self._in_holding_pool
        self.capacity[opening] = self.places[opening]
        age = day - self.opened_day
        ramping = (self._ramp_days > 0) & (age >= 0) & (age < self._ramp_days)
        self.daily_add_cap[:] = np.where(age >= 0, self.full_add_cap, 0)
        if ramping.any():
            share = self._initial_share[ramping] + (1.0 - self._initial_share[ramping]) * (
                age[ramping] / self._ramp_days[ramping]
            )
            self.daily_add_cap[ramping] = np.floor(self.full_add_cap[ramping] * share)

    def is_open(self, day: int) -> np.ndarray:
        """Accounts opened by ``day`` and not banned."""
        open_: np.ndarray = (self.opened_day <= day) & ~self.banned
        return open_

    def holding_room(self, day: int, waiting: int) -> int:
        """Leads the holding pool can take today when ``waiting`` leads wait on it already: its open accounts'
        places less ``waiting``, and at most their caps today (0 without a holding pool)."""
        held = self._in_holding_pool & self.is_open(day)
        return max(0, min(int(self.daily_add_cap[held].sum()), int(self.places[held].sum()) - waiting))

    def _room(self, daily_cap: bool, over_cap_share: float) -> np.ndarray:
        free = self.capacity - self.occupancy
        if not daily_cap:
            return free.clip(min=0)
        cap = np.floor(self.daily_add_cap * (1.0 + over_cap_share)).astype(np.int64)
        room: np.ndarray = np.minimum(cap - self.added_today, free).clip(min=0)
        return room

    def room_today(self, over_cap_share: float = 0.0, pools: Sequence[int] | None = None) -> int:
        """New members the accounts (of ``pools``, or all) can still add today, past the cap by ``over_cap_share``."""
        room = self._room(True, over_cap_share)
        return int(room.sum() if pools is None else room[np.isin(self.pool, pools)].sum())

    def place_new(
        self,
        n: int,
        daily_cap: bool = True,
        pool_order: Sequence[int] | None = None,
        over_cap_share: float = 0.0,
    ) -> np.ndarray:
        """Accounts for ``n`` members added today: pools in ``pool_order`` (default: as listed), first accounts first.

        ``n`` must not exceed the room (``room_today(over_cap_share)``, or the
        free places with ``daily_cap=False``).
        """
        room = self._room(daily_cap, over_cap_share)
        order = np.arange(len(self.pools)) if pool_order is None else np.asarray(pool_order)
        ids = np.concatenate([np.flatnonzero(self.pool == p) for p in order]) if len(order) else np.zeros(0, int)
        slots = np.repeat(ids, room[ids])[:n].astype(np.int32)
        counts = np.bincount(slots, minlength=len(room))
        self.added_today += counts
        self.occupancy += counts
        return slots

    def release(self, accounts: np.ndarray) -> None:
        """Free the places of members who churned or moved away."""
        self.occupancy -= np.bincount(accounts, minlength=len(self.occupancy))

    def draw_bans(self, rng: np.random.Generator) -> np.ndarray:
        """Accounts banned today for adding past their daily cap; they lose their capacity for good."""
        excess = np.maximum(self.added_today - self.daily_add_cap, 0)
        p_ban = -np.expm1(excess * np.log1p(-np.minimum(self.ban_prob, 1.0 - 1e-12)))
        banned = np.flatnonzero(~self.banned & (excess > 0) & (rng.random(len(excess)) < p_ban))
        self.banned[banned] = True
        self.capacity[banned] = 0
        return banned

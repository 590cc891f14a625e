"""Groups (WeChat groups of bounded size) and KOCs (customers who host them), as small tables.

A group has a segment (0 ordinary, 1 high-tier), a size cap, and a host:
staff (posting with the strategy's staff activity) or a KOC (posting with
the KOC's activity, which wears off the longer they host the same groups).
Each day a group posts with probability equal to its host's activity; what
a post does to members is in :mod:`privsim.behaviour` terms
(``behaviour.group``) and applied by :mod:`privsim.sim.purchases`.
"""

from __future__ import annotations

import copy
from enum import IntEnum
from typing import TypeVar

import numpy as np
import numpy.typing as npt

ScalarT = TypeVar("ScalarT", bound=np.generic)


class KocStatus(IntEnum):
    """Where a KOC stands; one int8 per KOC."""

    STANDBY = 0  #: recruited, hosting no group
    ACTIVE = 1  #: hosting groups (paid, posting)
    QUIT = 2  #: stopped (quit or churned); irreversible


class GroupTable:
    """Groups as arrays; ``host[g]`` is a KOC index or -1 (staff)."""

    def __init__(self) -> None:
        self.segment = np.zeros(0, dtype=np.int8)
        self.capacity = np.zeros(0, dtype=np.int64)
        self.size = np.zeros(0, dtype=np.int64)
        self.host = np.zeros(0, dtype=np.int64)
        self.staff_activity = 0.0

    def __len__(self) -> int:
        return len(self.segment)

    def read_only(self) -> GroupTable:
        """A copy whose arrays are read-only views of these (what a policy may look at)."""
        view = copy.copy(self)
        view.segment, view.capacity = _read_only(self.segment), _read_only(self.capacity)
        view.size, view.host = _read_only(self.size), _read_only(self.host)
        return view

    def place(self, count: int, segment: int, group_size: int) -> np.ndarray:
        """Group ids for ``count`` new members of ``segment``: fill groups with room, then open new ones."""
        ids = np.flatnonzero((self.segment == segment) & (self.size < self.capacity))
        room = self.capacity[ids] - self.size[ids]
        slots = np.repeat(ids, room)[:count]
        missing = count - len(slots)
        if missing > 0:
            opened = -(-missing // group_size)
            first = len(self)
            self.segment = np.concatenate([self.segment, np.full(opened, segment, dtype=np.int8)])
            self.capacity = np.concatenate([self.capacity, np.full(opened, group_size)])
            self.size = np.concatenate([self.size, np.zeros(opened, dtype=np.int64)])
            self.host = np.concatenate([self.host, np.full(opened, -1)])
            slots = np.concatenate([slots, first + np.arange(missing) // group_size])
        self.size += np.bincount(slots, minlength=len(self))
        return slots

    def leave(self, groups: np.ndarray) -> None:
        """Members of ``groups`` (ids, -1 ignored) left."""
        groups = groups[groups >= 0]
        self.size -= np.bincount(groups, minlength=len(self))

    def posts(self, koc_activity: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Which groups post today (bool per group)."""
        activity = np.where(
            self.host >= 0, koc_activity[np.maximum(self.host, 0)] if len(koc_activity) else 0.0, self.staff_activity
        )
        return rng.random(len(self)) < activity


class KocTable:
    """KOCs as arrays: the member row, status, and what wears their activity down."""

    def __init__(self) -> None:
        self.member = np.zeros(0, dtype=np.int64)
        self.status = np.zeros(0, dtype=np.int8)
        self.level = np.zeros(0)  # activity right after the last award or (re)assignment, in [0, 1]
        self.since_day = np.zeros(0, dtype=np.int64)  # start of the burnout clock (new groups or an award)
        self.hosting_since_day = np.zeros(0, dtype=np.int64)  # day the KOC began hosting their current groups
        self.fee_per_month_rmb = np.zeros(0)

    def __len__(self) -> int:
        return len(self.member)

    def read_only(self) -> KocTable:
        """A copy whose arrays are read-only views of these (what a policy may look at)."""
        view = copy.copy(self)
        view.member, view.status, view.level = _read_only(self.member), _read_only(self.status), _read_only(self.level)
        view.since_day, view.hosting_since_day = _read_only(self.since_day), _read_only(self.hosting_since_day)
        view.fee_per_month_rmb = _read_only(self.fee_per_month_rmb)
        return view

    def add(self, members: np.ndarray, day: int, fee_per_month_rmb: float) -> np.ndarray:
        """Register ``members`` as standby KOCs; return their KOC indices."""
        first = len(self)
        n = len(members)
        self.member = np.concatenate([self.member, members])
        self.status = np.concatenate([self.status, np.full(n, KocStatus.STANDBY, dtype=np.int8)])
        self.level = np.concatenate([self.level, np.ones(n)])
        self.since_day = np.concatenate([self.since_day, np.full(n, day)])
        self.hosting_since_day = np.concatenate([self.hosting_since_day, np.full(n, day)])
        self.fee_per_month_rmb = np.concatenate([self.fee_per_month_rmb, np.full(n, fee_per_month_rmb)])
        return np.arange(first, first + n)

    def activity(self, day: int, half_life_days: float) -> np.ndarray:
        """Posting probability per day of each KOC (0 unless active): level x 0.5 ** (days hosting / half-life)."""
        decay = 0.5 ** ((day - self.since_day) / half_life_days)
        return np.where(self.status == KocStatus.ACTIVE, self.level * decay, 0.0)


def _read_only(array: npt.NDArray[ScalarT]) -> npt.NDArray[ScalarT]:
    view = array.view()
    view.flags.writeable = False
    return view

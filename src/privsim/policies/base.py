"""The one small interface every policy implements.

A policy is what the operator does: which members it contacts, through which
mode, with which offer. It reads the world and returns :class:`Contacts`; how
members respond (purchases, trust, fatigue, blocking) is the behaviour
module's job, applied by the engine.

A policy acts at two moments:

- ``on_event(world, rng)`` on each day returned by ``event_days`` (a
  campaign, a promotion day). The engine schedules these as simpy timed
  events at the start of the day, before the day's purchases.
- ``daily(world, rng)`` in every daily tick, after acquisition and before
  purchases (follow-ups, welcome messages).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from privsim.base import Model

if TYPE_CHECKING:
    from privsim.engine import World


@dataclass(frozen=True)
class Contacts:
    """One batch of contacts made on one day.

    ``members`` are row indices in priority order: personal contacts beyond
    the staff's remaining capacity for the day are dropped from the end.
    Members who are churned are skipped.
    """

    members: np.ndarray
    mode: Literal["broadcast", "personal"]
    offer_depth: float = 0.0  #: share off list price; 0 = no offer
    offer_window_days: int = 0  #: days the offer stays valid, starting today
    service: bool = False  #: a care contact (follow-up, advice): raises trust

    def __post_init__(self) -> None:
        if not 0.0 <= self.offer_depth < 1.0:
            raise ValueError(f"offer_depth must be in [0, 1), got {self.offer_depth}")
        if self.offer_depth > 0 and self.offer_window_days < 1:
            raise ValueError("an offer needs offer_window_days >= 1")


class Policy(Model):
    """Base of every policy spec; subclasses add ``kind: Literal[...]`` and parameters."""

    def event_days(self, horizon_days: int) -> Sequence[int]:
        """Days (0-based) on which ``on_event`` runs."""
        return ()

    def on_event(self, world: World, rng: np.random.Generator) -> list[Contacts]:
        """Contacts made at a timed event."""
        return []

    def daily(self, world: World, rng: np.random.Generator) -> list[Contacts]:
        """Contacts made in the daily tick."""
        return []

    def grants_tier_benefits(self) -> bool:
        """Whether members get their tier's `member_discount` while this policy runs."""
        return False

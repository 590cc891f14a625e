"""``nurture``: care first, segmented offers, tier benefits, shallow discounts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field

from privsim.agents.members import State
from privsim.config.base import Days, Discount, TierRung
from privsim.policies.actions import Action, Contacts
from privsim.policies.base import Policy

if TYPE_CHECKING:
    from privsim.config.scenario_base import ScenarioBase
    from privsim.policies.view import PolicyView


class Nurture(Policy):
    """Build trust: follow up every purchase, welcome every new member, offer little, often to few.

    - Daily, staff make a personal service contact (a follow-up call or
      message) to each customer within `followup_within_days` of each
      purchase, and a welcome contact with a first-order coupon to each newly
      added member. Staff capacity limits them: purchase follow-ups go first,
      higher tiers first, the oldest first (their window closes soonest).
      On offer days the personal offers, made at the start of the day, use
      staff capacity first.
    - Every `offer_every_days`, a shallow offer goes to the segment of
      customers who bought within `active_within_days` and were not contacted
      in the last `rest_days`: personally to tiers at or above
      `personal_offer_min_tier` while staff capacity lasts, by broadcast to
      the rest.
    - Members get their tier's `member_discount` (tier benefits).

    The HAPPIGO follow-up within 7 days, the APPAREL restructure by tiers.
    """

    kind: Literal["nurture"] = Field(description="Policy selector.")
    followup_within_days: Days = Field(
        7, ge=1, description="Days after a purchase or joining within which staff follow up."
    )
    welcome_offer_depth: Discount = Field(
        0.1, description="Share off list price of the first-order coupon in the welcome contact."
    )
    offer_depth: Discount = Field(0.1, description="Share off list price of the periodic offer.")
    offer_every_days: Days = Field(30, ge=1, description="Days between periodic offers.")
    offer_window_days: Days = Field(7, ge=1, description="Days each offer stays valid.")
    active_within_days: Days = Field(
        180, ge=1, description="Periodic offers go to customers who bought within this many days."
    )
    rest_days: Days = Field(14, ge=0, description="Members contacted within this many days are skipped by offers.")
    personal_offer_min_tier: TierRung = Field(
        2, ge=0, description="Tier rung (0 = lowest) from which periodic offers are made personally by staff."
    )
    grant_tier_benefits: bool = Field(True, description="Whether members get their tier's member_discount.")

    def event_days(self, scenario: ScenarioBase) -> Sequence[int]:
        return range(0, scenario.horizon_days, self.offer_every_days)

    def standing_discount(self, view: PolicyView, rows: np.ndarray) -> np.ndarray | None:
        return view.tier_discount(rows) if self.grant_tier_benefits else None

    def daily(self, view: PolicyView, rng: np.random.Generator) -> list[Action]:
        m, day = view.members, view.day
        state = m.state[: m.n]
        last = m.last_purchase_day[: m.n]
        followed = m.followed_up_day[: m.n]
        joined = m.joined_day[: m.n]
        # Follow-ups run before the day's purchases, so a purchase on the day of
        # the last follow-up (last == followed) came after it and is still due.
        after_purchase = np.flatnonzero(
            (state == State.CUSTOMER) & (last >= followed) & (day - last < self.followup_within_days)
        )
        order = np.lexsort((last[after_purchase], -m.tier[after_purchase]))
        welcome = np.flatnonzero(
            (state == State.ADDED) & (followed < joined) & (day - joined < self.followup_within_days)
        )
        welcome = welcome[np.argsort(joined[welcome], kind="stable")]
        return [
            Contacts(after_purchase[order], "personal", service=True),
            Contacts(
                welcome,
                "personal",
                offer_depth=self.welcome_offer_depth,
                offer_window_days=self.followup_within_days,
                service=True,
            ),
        ]

    def on_event(self, view: PolicyView, rng: np.random.Generator) -> list[Action]:
        m, day = view.members, view.day
        segment = np.flatnonzero(
            (m.state[: m.n] == State.CUSTOMER)
            & (day - m.last_purchase_day[: m.n] < self.active_within_days)
            & (day - m.last_contact_day[: m.n] > self.rest_days)
        )
        high = segment[m.tier[segment] >= self.personal_offer_min_tier]
        high = high[np.argsort(-m.tier[high], kind="stable")]
        personal, rest = high[: view.personal_capacity_left], high[view.personal_capacity_left :]
        broadcast = np.union1d(segment[m.tier[segment] < self.personal_offer_min_tier], rest)
        depth, window = self.offer_depth, self.offer_window_days
        return [
            Contacts(personal, "personal", offer_depth=depth, offer_window_days=window, service=True),
            Contacts(broadcast, "broadcast", offer_depth=depth, offer_window_days=window),
        ]

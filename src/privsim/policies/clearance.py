"""``clearance``: frequent deep discounts pushed to everyone by broadcast."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field

from privsim.config.base import Days, Discount
from privsim.policies.actions import Action, Contacts
from privsim.policies.base import Policy

if TYPE_CHECKING:
    from privsim.config.scenario_base import ScenarioBase
    from privsim.policies.view import PolicyView


class Clearance(Policy):
    """Every `every_days` days, broadcast a deep discount to every reachable member.

    The clearance era of the APPAREL case: moments and mass messages selling
    stock at a price advantage, no segmentation, no care, no tier benefits.
    """

    kind: Literal["clearance"] = Field(description="Policy selector.")
    discount_depth: Discount = Field(0.4, description="Share off list price offered in each campaign.")
    every_days: Days = Field(7, ge=1, description="Days between campaigns.")
    first_day: Days = Field(0, ge=0, description="Day (0-based) of the first campaign.")
    offer_window_days: Days = Field(3, ge=1, description="Days each campaign's offer stays valid.")

    def event_days(self, scenario: ScenarioBase) -> Sequence[int]:
        return range(self.first_day, scenario.horizon_days, self.every_days)

    def on_event(self, view: PolicyView, rng: np.random.Generator) -> list[Action]:
        return [
            Contacts(
                view.members.reachable_rows(),
                "broadcast",
                offer_depth=self.discount_depth,
                offer_window_days=self.offer_window_days,
            )
        ]

"""``winback``: offers to members who stopped buying, or to lost high-value customers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field

from privsim.agents.members import State
from privsim.config.base import Count, Days, Discount
from privsim.policies.actions import Action, Contacts
from privsim.policies.base import Policy, segment

if TYPE_CHECKING:
    from privsim.config.scenario_base import ScenarioBase
    from privsim.policies.view import PolicyView


class Winback(Policy):
    """Every `every_days`, offer `offer_depth` to members with `min_purchases`+ purchases and none for `inactive_days`.

    STEAK-LOST-HV's "lost high-value" is `min_purchases: 10, inactive_days:
    180`. The operator only sees purchase history: the targets are both
    members who dropped out (silent: a small chance each offer brings them
    back, behaviour.silent_reactivation_prob_per_offer, DIAPER-ACTIVE) and
    slow buyers who are still active (the offer's price effect). Each offer
    costs contact fatigue.
    """

    kind: Literal["winback"] = Field(description="Policy selector.")
    inactive_days: Days = Field(180, ge=1, description="Days without a purchase that make a member a target.")
    min_purchases: Count = Field(1, ge=1, description="Purchases a target has made (10 = lost high-value).")
    offer_depth: Discount = Field(0.2, description="Share off list price offered.")
    offer_window_days: Days = Field(14, ge=1, description="Days the offer stays valid.")
    every_days: Days = Field(30, ge=1, description="Days between win-back rounds.")
    first_day: Days = Field(0, ge=0, description="Day (0-based) of the first round.")
    mode: Literal["broadcast", "personal"] = Field(
        "personal", description="A personal message or call by staff (capacity-limited), or a broadcast."
    )

    def event_days(self, scenario: ScenarioBase) -> Sequence[int]:
        return range(self.first_day, scenario.horizon_days, self.every_days)

    def on_event(self, view: PolicyView, rng: np.random.Generator) -> list[Action]:
        targets = segment(
            view,
            states=(State.CUSTOMER, State.SILENT),
            min_purchases=self.min_purchases,
            no_purchase_for_days=self.inactive_days,
        )
        spend = view.members.spend_rmb[targets]
        targets = targets[np.argsort(-spend, kind="stable")]  # the most valuable first
        return [Contacts(targets, self.mode, offer_depth=self.offer_depth, offer_window_days=self.offer_window_days)]

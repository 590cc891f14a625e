"""``referral``: ask members to invite friends for a reward (fission)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
from pydantic import Field

from privsim.config.base import Days, TierRung
from privsim.policies.actions import Action, Contacts, Invitations
from privsim.policies.base import Policy, Problem, StrategyLike, segment, tier_rung_problem
from privsim.policies.rewards import RewardSpec

if TYPE_CHECKING:
    from privsim.config.scenario_base import ScenarioBase
    from privsim.policies.view import PolicyView


class Referral(Policy):
    """Every `every_days`, message recent customers of a tier and up, asking them to invite friends for a reward.

    How many friends each asked member invites grows with the reward's value
    and the member's trust; a share of invitees accept; cash-like rewards
    draw more fake invitees, and genuine ones whose purchase rate is
    multiplied by the reward kind's ``quality_<kind>`` (behaviour.referral).
    Genuine invitees join with
    extra trust (they came through a friend). Costs: the reward steps reached
    and the message. DIAPER-FISSION-RULE, DIAPER-FISSION-CAC, MOMCHAIN-GROUP-ENTRY.
    """

    behaviour_sections: ClassVar[tuple[str, ...]] = ("referral",)
    kind: Literal["referral"] = Field(description="Policy selector.")
    every_days: Days = Field(30, ge=1, description="Days between referral campaigns.")
    first_day: Days = Field(0, ge=0, description="Day (0-based) of the first campaign.")
    min_tier: TierRung = Field(1, ge=0, description="Tier rung (0 = lowest) from which customers are asked.")
    bought_within_days: Days = Field(
        180, ge=1, description="Only customers who bought within this many days are asked."
    )
    reward: RewardSpec = Field(RewardSpec(), description="What inviters get.")

    def event_days(self, scenario: ScenarioBase) -> Sequence[int]:
        return range(self.first_day, scenario.horizon_days, self.every_days)

    def check(self, scenario: ScenarioBase, strategy: StrategyLike) -> list[Problem]:
        return tier_rung_problem(("min_tier",), self.min_tier, scenario)

    def on_event(self, view: PolicyView, rng: np.random.Generator) -> list[Action]:
        asked = segment(view, min_tier=self.min_tier, bought_within_days=self.bought_within_days)
        return [Contacts(asked, "broadcast"), Invitations(asked, self.reward.to_reward())]

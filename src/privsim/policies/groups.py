"""``groups``: invite customers into groups of bounded size, hosted by staff, by segment."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
from pydantic import Field

from privsim.config.base import Count, Share, TierRung
from privsim.policies.actions import Action, JoinGroups, StaffPosting
from privsim.policies.base import Policy, Problem, StrategyLike, tier_rung_problem

if TYPE_CHECKING:
    from privsim.config.scenario_base import ScenarioBase
    from privsim.policies.view import PolicyView


class Groups(Policy):
    """Invite each new customer into a group on the day after their first purchase; staff host the groups.

    Members of tier `high_from_tier` and up go to high-tier groups (APPAREL,
    MOMCHAIN run separate super-member groups). A group posts on a day with
    probability `staff_posts_per_day` (or its KOC host's activity, see
    ``koc_programme``); what a post does is behaviour.group: a purchase lift
    that day, a little trust, a little fatigue. Invitees join with
    behaviour.group.join_prob. MOMCHAIN-MEMBERS, MOMCHAIN-GROUP-SHARE.
    """

    behaviour_sections: ClassVar[tuple[str, ...]] = ("group",)
    kind: Literal["groups"] = Field(description="Policy selector.")
    group_size: Count = Field(300, ge=2, description="Members per ordinary group.")
    high_group_size: Count = Field(100, ge=2, description="Members per high-tier group.")
    high_from_tier: TierRung = Field(
        2, ge=0, description="Tier rung (0 = lowest) whose members go to high-tier groups."
    )
    staff_posts_per_day: Share = Field(0.5, description="Chance a staff-hosted group posts on a day.")
    invite_existing_customers: bool = Field(
        True,
        description="Also invite every existing customer on the policy's first day (day 0, or the first day of "
        "its strategy phase).",
    )

    def check(self, scenario: ScenarioBase, strategy: StrategyLike) -> list[Problem]:
        return tier_rung_problem(("high_from_tier",), self.high_from_tier, scenario)

    def daily(self, view: PolicyView, rng: np.random.Generator) -> list[Action]:
        m, n = view.members, view.members.n
        if view.day == view.phase_first_day and self.invite_existing_customers:
            new = np.flatnonzero(m.purchases[:n] > 0)
        else:
            new = np.flatnonzero(m.first_purchase_day[:n] == view.day - 1)
        high = m.tier[new] >= self.high_from_tier
        return [
            StaffPosting(self.staff_posts_per_day),
            JoinGroups(new[~high], 0, self.group_size),
            JoinGroups(new[high], 1, self.high_group_size),
        ]

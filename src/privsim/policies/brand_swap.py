"""``brand_swap``: exchange contact pools with a partner brand on given days."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

import numpy as np
from pydantic import Field

from privsim.config.base import Count, Days, Share
from privsim.policies.actions import Action, SwapPool
from privsim.policies.base import Policy
from privsim.policies.rewards import RewardSpec

if TYPE_CHECKING:
    from privsim.config.scenario_base import ScenarioBase
    from privsim.policies.view import PolicyView


class BrandSwap(Policy):
    """On each of `days`, swap `pool_size` contacts with a partner brand.

    The partner's contacts not already ours (1 - `overlap_share`) either
    join for a pure lottery (behaviour.swap.lottery_join_rate, DIAPER-SWAP-LOTTERY)
    or, with `mechanic: fission`, are invited to a task that needs them to
    join and invite friends for `fission_reward` (DIAPER-SWAP-FISSION). Our
    own members receive the partner's message: one broadcast each (fatigue,
    a chance to block).
    """

    behaviour_sections: ClassVar[tuple[str, ...]] = ("swap",)
    kind: Literal["brand_swap"] = Field(description="Policy selector.")
    days: tuple[Annotated[Days, Field(ge=0)], ...] = Field(min_length=1, description="Days (0-based) of the swaps.")
    pool_size: Count = Field(5000, ge=0, description="Contacts the partner brings to each swap.")
    overlap_share: Share = Field(0.1, description="Share of the partner's contacts who are already our members.")
    mechanic: Literal["lottery", "fission"] = Field("lottery", description="How swapped contacts are drawn in.")
    fission_reward: RewardSpec = Field(RewardSpec(), description="The reward of the fission mechanic.")
    expose_members: bool = Field(True, description="Whether our members receive the partner's message.")

    def event_days(self, scenario: ScenarioBase) -> Sequence[int]:
        return self.days

    def on_event(self, view: PolicyView, rng: np.random.Generator) -> list[Action]:
        reward = self.fission_reward.to_reward() if self.mechanic == "fission" else None
        return [SwapPool(self.pool_size, self.overlap_share, reward, self.expose_members)]

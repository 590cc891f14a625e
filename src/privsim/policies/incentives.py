"""``incentives``: what leads of each channel get for adding an account (gift, sure-win lottery, member coupon)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from privsim.config.incentive import Incentive
from privsim.policies.base import Policy, Problem, StrategyLike

if TYPE_CHECKING:
    from privsim.config.scenario_base import ScenarioBase


class Incentives(Policy):
    """Give the leads of the named channels an incentive to add an account, replacing the channel's own.

    A richer incentive raises the add rate (behaviour.incentive:
    ``1 - (1 - add_rate) x exp(-value / value_scale_rmb)``). Gifts and
    lottery prizes are paid per add (incentive_cost_rmb); a coupon costs
    only when it is used on a first order, as a discount. APPAREL-LEAD-CONV
    (3 % with a small gift → 15 % with a no-minimum member coupon),
    APPAREL-PACKAGE-CARD, STEAK-CARD-ADD.
    """

    behaviour_sections: ClassVar[tuple[str, ...]] = ("incentive",)
    kind: Literal["incentives"] = Field(description="Policy selector.")
    channels: dict[str, Incentive] = Field(
        min_length=1, description="Channel name → incentive (names from the scenario's `channels`)."
    )

    def check(self, scenario: ScenarioBase, strategy: StrategyLike) -> list[Problem]:
        names = [c.name for c in scenario.channels]
        return [
            (("channels", name), name, f"must be one of the channels {names}")
            for name in self.channels
            if name not in names
        ]

    def channel_incentives(self, scenario: ScenarioBase) -> dict[int, Incentive]:
        names = [c.name for c in scenario.channels]
        return {names.index(name): incentive for name, incentive in self.channels.items()}

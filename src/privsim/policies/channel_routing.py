"""``channel_routing``: which account pool new members go to, and where buyers are moved."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field

from privsim.config.base import Days, Factor
from privsim.policies.actions import Action, Move
from privsim.policies.base import Policy, Problem, StrategyLike, pool_problem

if TYPE_CHECKING:
    from privsim.config.scenario_base import ScenarioBase
    from privsim.policies.view import PolicyView


class ChannelRouting(Policy):
    """Route new members to `new_members_to` pools (in order) and move first-time buyers to `buyers_to`.

    STEAK-ROUTING: WeCom for first orders (it scales), personal WeChat for
    repeat buyers (more trust, lower churn, but small daily add caps);
    HAPPIGO-FOLLOWUP: members who prefer calls are moved to `phone_pool`
    after their first order. `over_cap_share` pushes adds past the accounts'
    daily caps, which risks bans (accounts[].ban_prob_per_excess_add,
    STEAK-ACCOUNT-BAN). Moves are adds too: they use the target pool's
    daily room.
    """

    kind: Literal["channel_routing"] = Field(description="Policy selector.")
    new_members_to: tuple[str, ...] = Field(
        min_length=1, description="Account pools new members fill, in this order (names from `accounts`)."
    )
    buyers_to: str | None = Field(None, description="Pool first-time buyers are moved to; null = do not move.")
    move_within_days: Days = Field(7, ge=1, description="Days after the first order within which the move is made.")
    phone_pool: str | None = Field(None, description="Pool members who prefer calls are moved to; null = none.")
    over_cap_share: Factor = Field(
        0.0,
        ge=0.0,
        description="Adds per account per day beyond the daily cap, as a share of the cap (0 = respect it).",
    )

    def check(self, scenario: ScenarioBase, strategy: StrategyLike) -> list[Problem]:
        problems = [
            p for i, name in enumerate(self.new_members_to) for p in pool_problem(("new_members_to", i), name, scenario)
        ]
        return (
            problems
            + pool_problem(("buyers_to",), self.buyers_to, scenario)
            + pool_problem(("phone_pool",), self.phone_pool, scenario)
        )

    def placement_order(self, scenario: ScenarioBase) -> Sequence[int] | None:
        names = [a.name for a in scenario.accounts]
        return [names.index(name) for name in self.new_members_to]

    def push_past_add_cap(self) -> float:
        return self.over_cap_share

    def daily(self, view: PolicyView, rng: np.random.Generator) -> list[Action]:
        m, n, day = view.members, view.members.n, view.day
        names = [a.name for a in view.scenario.accounts]
        new_buyers = (m.first_purchase_day[:n] >= day - self.move_within_days) & (m.first_purchase_day[:n] < day)
        actions: list[Action] = []
        phone = np.zeros(n, dtype=bool)
        if self.phone_pool is not None:
            phone = new_buyers & (m.prefers_phone[:n] > 0)
            actions.append(Move(np.flatnonzero(phone), names.index(self.phone_pool)))
        if self.buyers_to is not None:
            actions.append(Move(np.flatnonzero(new_buyers & ~phone), names.index(self.buyers_to)))
        return actions

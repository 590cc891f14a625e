"""What a policy sees of the world: a read-only view, made afresh each time a policy acts.

The sim passes a :class:`PolicyView` to every hook of a policy (``daily``,
``on_event``, ``standing_discount``). Its member columns and group and KOC
tables are views of the sim's arrays that refuse writes (assigning to one
raises ``ValueError``), so a policy can only change the world through the
actions it returns (:mod:`privsim.policies.actions`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from privsim.agents.groups import GroupTable, KocTable
from privsim.agents.members import Members
from privsim.config.scenario_base import ScenarioBase


@dataclass(frozen=True)
class PolicyView:
    """The day, the scenario, and read-only member columns, groups and KOCs."""

    day: int
    month: int  #: calendar month index of ``day``
    scenario: ScenarioBase
    members: Members
    groups: GroupTable
    kocs: KocTable
    personal_capacity_left: int  #: personal contacts the staff can still make today
    tier_member_discount: npt.NDArray[np.float32]  #: ``member_discount`` of each tier rung
    phase_first_day: int = 0  #: first day of the strategy's phase active today (0 for a strategy without phases)

    def tier_discount(self, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        """The tier ``member_discount`` of ``rows`` (for policies that grant tier benefits)."""
        return self.tier_member_discount[self.members.tier[rows]]

"""Referral rewards as policies specify them ("invite 3 → trial pack, invite 15 → full pack")."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from privsim.config.base import Count, Model, MoneyRmb
from privsim.policies.actions import Reward


class RewardStep(Model):
    """One step of a reward ladder."""

    invites: Count = Field(ge=1, description="Accepted invitations an inviter needs for this step.")
    cost_rmb: MoneyRmb = Field(ge=0.0, description="What the step's reward costs the brand, RMB.")


class RewardSpec(Model):
    """What inviters get: a ladder of steps, each paid once per campaign, and what it is worth to them."""

    kind: Literal["physical", "ecard"] = Field(
        "physical", description="A physical gift (trial/full pack) or a cash-like e-card / red packet (draws fakes)."
    )
    steps: tuple[RewardStep, ...] = Field(
        (RewardStep(invites=3, cost_rmb=30.0), RewardStep(invites=15, cost_rmb=150.0)),
        min_length=1,
        description="Reward ladder, ascending (DIAPER-FISSION-RULE: 3 → trial pack, 15 → full pack).",
    )
    value_rmb: MoneyRmb = Field(
        50.0,
        ge=0.0,
        description="What the reward is worth to a typical inviter (drives how many friends they invite), RMB.",
    )

    @model_validator(mode="after")
    def _ascending(self) -> RewardSpec:
        needed = [s.invites for s in self.steps]
        if needed != sorted(set(needed)):
            raise ValueError(f"steps must need strictly increasing invites, got {needed}")
        return self

    def to_reward(self) -> Reward:
        """This reward as the action record the sim carries out (:class:`~privsim.policies.actions.Reward`)."""
        return Reward(self.kind, tuple((s.invites, s.cost_rmb) for s in self.steps), self.value_rmb)

"""``tier_coupons``: coupons by tier on a monthly member day, and birthday coupons."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
from pydantic import Field

from privsim.config.base import Days, Model, MoneyRmb, TierRung, WholeNumber
from privsim.core.units import MONTHS_PER_YEAR
from privsim.policies.actions import Action, Contacts
from privsim.policies.base import Policy, Problem, StrategyLike, tier_rung_problem

if TYPE_CHECKING:
    from privsim.config.scenario_base import ScenarioBase
    from privsim.policies.view import PolicyView


class TierCoupon(Model):
    """The member-day coupon of one tier."""

    tier: TierRung = Field(ge=0, description="Tier rung (0 = lowest).")
    value_rmb: MoneyRmb = Field(ge=0.0, description="Coupon value, RMB.")
    threshold_rmb: MoneyRmb = Field(0.0, ge=0.0, description="Order value the coupon needs, RMB.")


class TierCoupons(Policy):
    """On each month's `member_day`, send each tier its coupon, valid `valid_days`; a birthday coupon in the
    birthday month.

    Low tiers get a low threshold, high tiers a high one (DIAPER-TIER-COUPON,
    APPAREL-VIP-LINE). A coupon pulls purchases as a discount of value /
    max(threshold, the member's usual order); an order below the threshold
    is raised to it with behaviour.coupon.topup_prob; a redeemed coupon is
    booked as a discount. Members' birthdays are spread evenly over the
    months (by row). Tiers without an entry get no member-day coupon.
    """

    behaviour_sections: ClassVar[tuple[str, ...]] = ("coupon",)
    kind: Literal["tier_coupons"] = Field(description="Policy selector.")
    coupons: tuple[TierCoupon, ...] = Field(min_length=1, description="Member-day coupon per tier.")
    member_day: WholeNumber = Field(8, ge=1, le=28, description="Day of the month of the member day.")
    valid_days: Days = Field(3, ge=1, description="Days a member-day coupon stays valid.")
    birthday_coupon_rmb: MoneyRmb = Field(0.0, ge=0.0, description="Birthday coupon value, RMB (0 = none).")
    birthday_threshold_rmb: MoneyRmb = Field(0.0, ge=0.0, description="Order value the birthday coupon needs, RMB.")

    def check(self, scenario: ScenarioBase, strategy: StrategyLike) -> list[Problem]:
        return [
            p for i, c in enumerate(self.coupons) for p in tier_rung_problem(("coupons", i, "tier"), c.tier, scenario)
        ]

    def event_days(self, scenario: ScenarioBase) -> Sequence[int]:
        months = scenario.month_starts()
        start = np.datetime64(scenario.start_date, "D")
        member_days = (months.astype("datetime64[D]") + self.member_day - 1 - start).astype(int)
        month_starts = (months.astype("datetime64[D]") - start).astype(int)
        return sorted(set(member_days) | set(np.maximum(month_starts, 0)))

    def on_event(self, view: PolicyView, rng: np.random.Generator) -> list[Action]:
        m = view.members
        reachable = m.reachable_rows()
        today = np.datetime64(view.scenario.start_date, "D") + view.day
        day_of_month = int((today - today.astype("datetime64[M]").astype("datetime64[D]")).astype(int)) + 1
        actions: list[Action] = []
        if day_of_month == self.member_day:
            for coupon in self.coupons:
                rows = reachable[m.tier[reachable] == coupon.tier]
                actions.append(
                    Contacts(
                        rows,
                        "broadcast",
                        coupon_value_rmb=coupon.value_rmb,
                        coupon_threshold_rmb=coupon.threshold_rmb,
                        coupon_window_days=self.valid_days,
                    )
                )
        if day_of_month == 1 and self.birthday_coupon_rmb > 0:
            month = int(today.astype("datetime64[M]").astype(int) % MONTHS_PER_YEAR)
            rows = reachable[reachable % MONTHS_PER_YEAR == month]
            actions.append(
                Contacts(
                    rows,
                    "personal",
                    coupon_value_rmb=self.birthday_coupon_rmb,
                    coupon_threshold_rmb=self.birthday_threshold_rmb,
                    coupon_window_days=30,
                    service=True,
                )
            )
        return actions

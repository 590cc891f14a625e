"""``paid_membership``: sell a yearly membership whose benefits are a member price and monthly coupons."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
from pydantic import Field

from privsim.config.base import Days, Discount, MoneyRmb
from privsim.core.units import DAYS_PER_YEAR
from privsim.policies.actions import Action, Contacts, MembershipOffer
from privsim.policies.base import RecentCustomerOffer

if TYPE_CHECKING:
    from privsim.config.scenario_base import ScenarioBase
    from privsim.policies.view import PolicyView


class PaidMembership(RecentCustomerOffer):
    """Every `offer_every_days`, offer a membership for `fee_rmb` to recent customers with `min_purchases`+.

    Benefits: `member_discount` off every order and a coupon of
    `monthly_coupon_rmb` (for orders of `coupon_threshold_rmb`+) each month,
    booked as discounts. A member buys on the savings they expect over the
    period (discount x their yearly spend so far + 12 coupons) against the
    fee, scaled by trust (behaviour.membership), and renews on the savings
    they actually got. Fees are revenue (membership_fees_rmb).
    MOMCHAIN-PAID (199 a year), MOMCHAIN-SUPER-COUNT, -SPEND, -FREQ.
    """

    behaviour_sections: ClassVar[tuple[str, ...]] = ("membership",)
    kind: Literal["paid_membership"] = Field(description="Policy selector.")
    fee_rmb: MoneyRmb = Field(199.0, ge=0.0, description="Membership fee per period, RMB.")
    duration_days: Days = Field(DAYS_PER_YEAR, ge=1, description="Length of a membership period, days.")
    member_discount: Discount = Field(0.05, description="Share off list price for paying members.")
    monthly_coupon_rmb: MoneyRmb = Field(
        20.0, ge=0.0, description="Value of the coupon paying members get each month, RMB."
    )
    coupon_threshold_rmb: MoneyRmb = Field(0.0, ge=0.0, description="Order value the monthly coupon needs, RMB.")

    def event_days(self, scenario: ScenarioBase) -> Sequence[int]:
        coupon_days = range(0, scenario.horizon_days, 30)
        return sorted(set(coupon_days) | set(self.offer_days(scenario)))

    def standing_discount(self, view: PolicyView, rows: np.ndarray) -> np.ndarray | None:
        paying = view.members.paid_until_day[rows] >= view.day
        return np.where(paying, np.float32(self.member_discount), np.float32(0.0))

    def on_event(self, view: PolicyView, rng: np.random.Generator) -> list[Action]:
        m, day = view.members, view.day
        actions: list[Action] = []
        if self.monthly_coupon_rmb > 0 and day % 30 == 0:
            paying = np.flatnonzero(m.paid_until_day[: m.n] >= day)
            actions.append(
                Contacts(
                    paying,
                    "broadcast",
                    coupon_value_rmb=self.monthly_coupon_rmb,
                    coupon_threshold_rmb=self.coupon_threshold_rmb,
                    coupon_window_days=30,
                )
            )
        if day % self.offer_every_days == 0:
            offered = self.offered(view)
            offered = offered[m.paid_until_day[offered] < day]
            years = np.maximum((day - m.joined_day[offered]) / DAYS_PER_YEAR, 0.25)
            yearly_spend = m.spend_rmb[offered] / years * (self.duration_days / DAYS_PER_YEAR)
            savings = self.member_discount * yearly_spend + self.monthly_coupon_rmb * self.duration_days / 30.0
            actions += [
                Contacts(offered, "broadcast"),
                MembershipOffer(offered, self.fee_rmb, self.duration_days, savings),
            ]
        return actions

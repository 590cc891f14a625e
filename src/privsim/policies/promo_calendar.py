"""``promo_calendar``: dated sales (618, 11.11) with a pre-warm, a spike, stockpiling, and fission after."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
from pydantic import Field

from privsim.config.base import Days, Discount, Model, Name, WholeNumber
from privsim.core.units import DAYS_PER_YEAR
from privsim.policies.actions import Action, Contacts, Invitations
from privsim.policies.base import Policy, segment
from privsim.policies.rewards import RewardSpec

if TYPE_CHECKING:
    from privsim.config.scenario_base import ScenarioBase
    from privsim.policies.view import PolicyView


class Sale(Model):
    """One dated sale, repeated every year of the horizon."""

    name: Name = Field(description="Label, e.g. '618' or '11.11'.")
    month: WholeNumber = Field(ge=1, le=12, description="Calendar month the sale starts in.")
    day: WholeNumber = Field(ge=1, le=28, description="Day of the month the sale starts on.")
    days: Days = Field(3, ge=1, description="Length of the sale, days.")
    discount_depth: Discount = Field(0.2, description="Share off list price during the sale.")
    prewarm_days: Days = Field(3, ge=0, description="Days before the sale its offer is announced (DIAPER-PROMO: 2-3).")


class PromoCalendar(Policy):
    """Announce each sale `prewarm_days` ahead to every reachable member; the offer is valid only during the sale.

    Announced members wait for the sale (behaviour.promo.anticipation_suppression:
    purchases pulled into the sale), buy more in it (the discount, the
    reminder, bigger baskets: behaviour.promo.stockpile_share) and less after
    it while they use up their stock (behaviour.promo.stockpile_days). With
    `fission_after`, recent customers are asked to invite friends the day
    after each sale, when spending is weak (DIAPER-PROMO).
    """

    behaviour_sections: ClassVar[tuple[str, ...]] = ("promo",)
    kind: Literal["promo_calendar"] = Field(description="Policy selector.")
    sales: tuple[Sale, ...] = Field(
        (Sale(name="618", month=6, day=18), Sale(name="11.11", month=11, day=11)),
        min_length=1,
        description="The sales of each year.",
    )
    fission_after: bool = Field(False, description="Ask recent customers to invite friends after each sale.")
    fission_reward: RewardSpec = Field(RewardSpec(), description="The reward of the post-sale fission.")

    def _calendar(self, scenario: ScenarioBase) -> dict[int, tuple[str, Sale]]:
        """Day → (what happens, sale): 'announce' on pre-warm start, 'fission' the day after the sale."""
        out: dict[int, tuple[str, Sale]] = {}
        start = scenario.start_date
        for year in range(start.year, start.year + scenario.horizon_days // DAYS_PER_YEAR + 2):
            for sale in self.sales:
                first = (dt.date(year, sale.month, sale.day) - start).days
                out[first - sale.prewarm_days] = ("announce", sale)
                if self.fission_after:
                    out[first + sale.days] = ("fission", sale)
        return out

    def event_days(self, scenario: ScenarioBase) -> Sequence[int]:
        return sorted(self._calendar(scenario))

    def on_event(self, view: PolicyView, rng: np.random.Generator) -> list[Action]:
        what, sale = self._calendar(view.scenario)[view.day]
        if what == "fission":
            asked = segment(view, bought_within_days=30)
            return [Contacts(asked, "broadcast"), Invitations(asked, self.fission_reward.to_reward())]
        return [
            Contacts(
                view.members.reachable_rows(),
                "broadcast",
                offer_depth=sale.discount_depth,
                offer_window_days=sale.days,
                offer_starts_in_days=sale.prewarm_days,
                sale=True,
            )
        ]

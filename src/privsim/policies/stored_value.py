"""``stored_value``: sell prepaid balances with a bonus."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
from pydantic import Field

from privsim.config.base import MIN_RMB, Days, MoneyRmb
from privsim.policies.actions import Action, Contacts, TopUpOffer
from privsim.policies.base import RecentCustomerOffer

if TYPE_CHECKING:
    from privsim.config.scenario_base import ScenarioBase
    from privsim.policies.view import PolicyView


class StoredValue(RecentCustomerOffer):
    """Every `offer_every_days`, offer recent customers to prepay `amount_rmb` and get `bonus_rmb` extra.

    Who prepays depends on the bonus share and trust (behaviour.stored_value);
    a balance pays for orders first, its bonus part booked as a discount;
    while a member holds a balance they are much less likely to drop out
    (behaviour.stored_value.dropout_reduction). Unspent balances are a
    liability (stored_value_liability_rmb). DIAPER-STORED-VALUE.
    """

    behaviour_sections: ClassVar[tuple[str, ...]] = ("stored_value",)
    kind: Literal["stored_value"] = Field(description="Policy selector.")
    amount_rmb: MoneyRmb = Field(1000.0, ge=MIN_RMB, description="Prepayment asked, RMB.")
    bonus_rmb: MoneyRmb = Field(100.0, ge=0.0, description="Extra balance given with it, RMB.")
    offer_every_days: Days = Field(60, ge=1, description="Days between offers.")

    def event_days(self, scenario: ScenarioBase) -> Sequence[int]:
        return self.offer_days(scenario)

    def on_event(self, view: PolicyView, rng: np.random.Generator) -> list[Action]:
        offered = self.offered(view)
        return [Contacts(offered, "broadcast"), TopUpOffer(offered, self.amount_rmb, self.bonus_rmb)]

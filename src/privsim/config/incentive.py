"""What a lead gets for adding a brand account: set on a channel, or by an ``incentives`` policy."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from privsim.config.base import Model, MoneyRmb


class Incentive(Model):
    """What a lead gets for adding a brand account."""

    kind: Literal["none", "gift", "lottery", "coupon"] = Field(
        "none",
        description="A gift or a sure-win lottery prize (paid per add), "
        "or a first-order coupon (a discount when used).",
    )
    value_rmb: MoneyRmb = Field(
        0.0, ge=0.0, description="Value of the incentive (gift cost, expected prize, or coupon face value), RMB."
    )
    coupon_threshold_rmb: MoneyRmb = Field(
        0.0, ge=0.0, description="For a coupon: the order value it needs (0 = no minimum), RMB."
    )

"""Who the members are: the day-0 base, scheduled entries and the heterogeneity of purchase rates,
dropout and order values (the "buy till you die" core)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from privsim.config.base import MIN_RMB, Count, Days, Factor, Model, MoneyRmb, PerYear, Share


class InitialGroup(Model):
    """A block of the member base present on day 0."""

    state: Literal["added", "customer", "silent"] = Field(
        description="State of these members on day 0 (churned members are not part of the base)."
    )
    tier: str = Field(description="Name of their tier; must be one of `tiers[].name`.")
    count: Count = Field(ge=0, description="Number of members in this block.")


class Entry(Model):
    """New customers who join on one day, their first purchase made that day."""

    day: Days = Field(ge=0, description="Day (0-based) they join and make their first purchase.")
    count: Count = Field(ge=0, description="Number of customers joining that day.")


class PurchaseRate(Model):
    """Gamma heterogeneity of the latent purchase rate across members."""

    mean_per_year: PerYear = Field(
        4.0, gt=0.0, description="Mean latent purchase rate across members, purchases per year, before modulation."
    )
    shape: Factor = Field(
        1.0,
        gt=0.0,
        description="Gamma shape r (dimensionless); smaller = more heterogeneous. "
        "The rate of member i is Gamma(shape, mean/shape).",
    )


class Dropout(Model):
    """Beta heterogeneity of the chance to stop buying after each purchase."""

    mean: Share = Field(0.15, description="Mean chance across members to drop out (turn silent) after a purchase.")
    concentration: Factor = Field(
        4.0, gt=0.0, description="Beta a + b (dimensionless); smaller = more heterogeneous. a = mean x concentration."
    )


class OrderValue(Model):
    """Gamma-Gamma heterogeneity of order value (list price, before discounts).

    In the Gamma-Gamma model's terms (Fader, Hardie & Lee 2005): an order is
    Gamma(p, nu_i) with p = 1 / cv_within**2, and nu_i ~ Gamma(q, gamma), so a
    member's mean order value p / nu_i is inverse-gamma across members with
    q = 2 + 1 / cv_across**2 and gamma = mean_rmb * (q - 1) / p.
    """

    mean_rmb: MoneyRmb = Field(300.0, ge=MIN_RMB, description="Mean order value at list price across members, RMB.")
    cv_across_members: Factor = Field(
        0.5, ge=0.0, description="Coefficient of variation of members' mean order value (dimensionless)."
    )
    cv_within_member: Factor = Field(
        0.3, ge=0.0, description="Coefficient of variation of one member's orders around their mean (dimensionless)."
    )


class Population(Model):
    """The member base on day 0 and how members differ."""

    initial: tuple[InitialGroup, ...] = Field((), description="Counts of members by state and tier on day 0.")
    entries: tuple[Entry, ...] = Field(
        (),
        description="Customers who join on a given day with their first purchase made that day "
        "(e.g. a brand's real customers on their first-purchase dates, from `privsim fit`).",
    )
    initial_last_purchase_within_days: Days = Field(
        180,
        ge=1,
        description="Initial customers and silent members last bought uniformly within this many days before day 0.",
    )
    purchase_rate: PurchaseRate = Field(PurchaseRate(), description="Latent purchase-rate distribution.")
    dropout_after_purchase: Dropout = Field(Dropout(), description="Dropout-chance distribution.")
    order_value: OrderValue = Field(OrderValue(), description="Order-value distribution.")
    gross_margin_share: Share = Field(
        0.5, description="Gross margin at list price: (list price - cost of goods) / list price."
    )

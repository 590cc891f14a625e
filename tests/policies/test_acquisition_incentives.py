"""The channels' acquisition incentives and the `incentives` policy: accounting and direction (tests/levers.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import FIXED_BASE, assert_positive, strategy
from levers import (
    ROOMY_ACCOUNTS,
    assert_binomial,
    assert_books,
    channel_incentive,
    metrics_of,
    paired,
    parse,
    run_world,
    total,
)
from privsim.scenario import Scenario


def incentive_scenario(kind: str = "none", value: float = 0.0, threshold: float = 0.0, **channel) -> Scenario:
    """The fixed base plus one channel of ~50 leads a day adding at 10 % without an incentive; room for all."""
    card = {
        "name": "card",
        "kind": "package_card",
        "leads_per_day": 50,
        "cost_per_lead_rmb": 0.5,
        "add_rate": 0.1,
        **channel_incentive(kind, value, threshold),
        **channel,
    }
    return parse(
        horizon_days=120,
        **{**FIXED_BASE, "channels": [card]},
        accounts=ROOMY_ACCOUNTS,
        strategies=[strategy("none", {"kind": "none"})],
    )


def add_rate_with(value: float, add_rate: float = 0.1, scale: float = 20.0) -> float:
    """behaviour.incentive: 1 - (1 - add_rate) x exp(-value / value_scale_rmb)."""
    return 1.0 - (1.0 - add_rate) * math.exp(-value / scale)


def test_gift_and_lottery_incentives_raise_adds_and_book_their_cost() -> None:
    # A 20 RMB gift or sure-win lottery prize raises the add rate from 0.1 to
    # 1 - 0.9 e^-1 = 0.669: the leads who are willing to add ~ Binomial(leads,
    # rate), 4-sd check. Each member who joins is paid the incentive; with
    # room for all and no transit loss every willing lead joins, so
    # incentive_cost_rmb = 20 x (leads - leads_declined), exact; without an
    # incentive, 0. Adds rise ~6.7-fold (observed over 12 replications ~600 vs
    # ~4000, paired sd 100), so 3 paired replications exclude 0 by > 10
    # half-widths.
    scenarios = {
        "none": incentive_scenario(),
        "gift": incentive_scenario("gift", 20.0),
        "lottery": incentive_scenario("lottery", 20.0),
    }
    added = {name: [] for name in scenarios}
    for rep in range(3):
        for name, scenario in scenarios.items():
            world, result = run_world(scenario, "none", rep)
            assert_books(world, result)
            leads, declined = total(result, "leads"), total(result, "leads_declined")
            willing = leads - declined
            assert_binomial(willing, leads, 0.1 if name == "none" else add_rate_with(20.0), f"{name}: willing leads")
            value = 0.0 if name == "none" else 20.0
            np.testing.assert_allclose(
                result.monthly["incentive_cost_rmb"],
                value * (result.monthly["leads"] - result.monthly["leads_declined"]),
            )
            assert total(result, "added") == total(result, "added.card") == willing
            assert total(result, "acquisition_cost_rmb") == pytest.approx(0.5 * leads)
            added[name].append(total(result, "added"))
    for name in ("gift", "lottery"):
        assert_positive(np.array(added[name]) - np.array(added["none"]), f"added, {name} - none")


def test_coupon_incentive_costs_only_when_used() -> None:
    # A 30 RMB first-order coupon with no minimum: no incentive cost is
    # booked (exact 0); the coupon raises adds like a gift of 30 (4-sd check
    # of the willing share); every new member's first order redeems it, so
    # coupons_used = first_orders.card (exact), and the discount booked is
    # min(30, order value) per coupon: at most 30 x coupons_used, and more
    # than 20 x coupons_used (orders average 300 at list price; observed
    # 30.0 per coupon: hardly an order is below 30).
    scenario = incentive_scenario("coupon", 30.0)
    world, result = run_world(scenario, "none")
    assert_books(world, result)
    assert total(result, "incentive_cost_rmb") == 0
    leads, willing = total(result, "leads"), total(result, "leads") - total(result, "leads_declined")
    assert_binomial(willing, leads, add_rate_with(30.0), "willing leads with a coupon")
    used = total(result, "coupons_used")
    assert used == total(result, "first_orders.card") > 0
    assert 20.0 * used < total(result, "discounts_rmb") <= 30.0 * used


def test_transit_loss_loses_willing_adds() -> None:
    # 90 % of the leads willing to add are lost in transit (e.g. through an
    # official account): leads_lost_in_transit ~ Binomial(willing, 0.9),
    # 4-sd check; the rest are added (room for all, exact); the gift is
    # paid per member who joined (incentive_cost_rmb = 20 x added, exact).
    scenario = incentive_scenario("gift", 20.0, transit_loss_share=0.9)
    for rep in range(2):
        world, result = run_world(scenario, "none", rep)
        assert_books(world, result)
        willing = total(result, "leads") - total(result, "leads_declined")
        lost = total(result, "leads_lost_in_transit")
        assert_binomial(lost, willing, 0.9, "lost in transit")
        assert total(result, "added") == willing - lost
        assert total(result, "incentive_cost_rmb") == pytest.approx(20.0 * total(result, "added"))


def incentives_policy_scenario() -> Scenario:
    """The incentive scenario's channel without an incentive; strategy "gift" gives its leads 20 RMB."""
    gift = {"kind": "incentives", "channels": {"card": {"kind": "gift", "value_rmb": 20.0}}}
    card = {"name": "card", "kind": "package_card", "leads_per_day": 50, "add_rate": 0.1}
    return parse(
        **{**FIXED_BASE, "channels": [card]},
        horizon_days=120,
        accounts=ROOMY_ACCOUNTS,
        strategies=[strategy("none", {"kind": "none"}), strategy("gift", gift)],
    )


def test_incentives_policy_replaces_the_channel_incentive() -> None:
    # The `incentives` policy gives the card channel's leads a 20 RMB gift
    # in one strategy of the scenario; the baseline keeps the channel's own
    # (none). The gift strategy books 20 x members who joined (exact) and adds
    # more (observed ~6.7-fold, paired sd ~100 on ~3400; 3 paired
    # replications exclude 0 by > 10 half-widths).
    scenario = incentives_policy_scenario()
    out = paired(
        {s: (scenario, s) for s in ("none", "gift")},
        3,
        metrics_of("leads", "leads_declined", "added", "incentive_cost_rmb"),
    )
    np.testing.assert_allclose(out["gift"][:, 3], 20.0 * out["gift"][:, 2])
    assert np.all(out["none"][:, 3] == 0)
    assert_positive(out["gift"][:, 2] - out["none"][:, 2], "added, gift policy - none")


def test_leads_are_common_to_the_strategies_of_a_replication() -> None:
    # Leads are the market, not the strategy: with common random numbers
    # (privsim.core.rng: "strategies compared on replication k differ only where
    # the policy made the member behave differently") both strategies of a
    # replication must see the same leads, day by day, hence month by month.
    scenario = incentives_policy_scenario()
    for rep in range(3):
        _, none = run_world(scenario, "none", rep)
        _, gift = run_world(scenario, "gift", rep)
        np.testing.assert_array_equal(gift.monthly["leads"], none.monthly["leads"], err_msg=f"replication {rep}")

"""The metrics added beside the headline ones (issue 27, slice A), each on a hand-computable case.

Each new metric sits beside an existing one whose definition it corrects;
the existing one is unchanged (the golden tables check that).
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers import small_scenario, strategy
from privsim import behaviour
from privsim.agents.members import NEVER, NO_END, Members, State
from privsim.results import replication_figures
from privsim.sim.calendar import run, simulate
from privsim.sim.ledger import Flow, base_value_rmb, buyers_mask, customers_mask, derived_flows, repurchase_rate
from privsim.sim.purchases import record_purchases
from privsim.sim.world import World


def test_repurchase_rate_counts_the_churned_as_not_repurchasing_the_retained_rate_leaves_them_out() -> None:
    # Reference day D = 10. Rows: 0 bought on day 3 and again on 15; 1 bought on day 5 only; 2 bought on
    # day 2 and churned on day 8; 3 bought on day 4, again on 12, then churned; 4 never bought; 5 bought
    # first on day 11. Retained base on D: rows 0, 1, 3 (2 had churned) -> 2 / 3. Every buyer by D:
    # rows 0, 1, 2, 3 -> 2 / 4 (row 2 counts as not repurchasing).
    m = Members(8)
    m.add(6)
    m.first_purchase_day[:6] = [3, 5, 2, 4, NEVER, 11]
    m.purchases[:6] = [1, 1, 1, 1, 0, 0]
    m.state[:6] = [State.CUSTOMER, State.CUSTOMER, State.CHURNED, State.CUSTOMER, State.ADDED, State.ADDED]
    on_day_d = customers_mask(m)
    # the rest of the window: rows 0 and 3 buy again (3 then churns), row 5 makes its first purchase
    m.last_purchase_day[:6] = [15, 5, 2, 12, NEVER, 11]
    m.purchases[:6] = [2, 1, 1, 2, 0, 1]
    m.state[3] = State.CHURNED
    m.state[5] = State.CUSTOMER
    assert on_day_d.tolist() == [True, True, False, True, False, False]
    assert buyers_mask(m, 10).tolist() == [True, True, True, True, False, False]
    assert repurchase_rate(on_day_d, m, 10) == pytest.approx(2 / 3)
    assert repurchase_rate(buyers_mask(m, 10), m, 10) == pytest.approx(2 / 4)
    assert np.isnan(repurchase_rate(buyers_mask(m, 1), m, 1))  # nobody had bought by day 1


def test_repurchase_rate_in_a_run_is_the_retained_rate_times_the_retained_share() -> None:
    # Every buyer churned by D is a non-repurchaser, so all-buyers = retained x customers(D) / buyers(D);
    # the small scenario's WeCom pool loses 35 % a year, so some buyers churn before D and the two differ.
    scenario = small_scenario(horizon_days=400, strategies=[strategy("none", {"kind": "none"})])
    world = World(scenario, scenario.strategies[0], 7, 0)
    result = run(world)
    day = world.ledger.repurchase_day
    customers = world.ledger.repurchase_base
    assert customers is not None
    buyers = buyers_mask(world.members, day)
    assert buyers[: len(customers)].sum() > customers.sum()
    expected = result.repurchase_rate_retained * customers.sum() / buyers.sum()
    assert result.repurchase_rate == pytest.approx(expected, rel=1e-12)
    assert result.repurchase_rate < result.repurchase_rate_retained
    figures = replication_figures(result)  # the tables' names read the result's fields
    assert figures["repurchase_rate"] == result.repurchase_rate
    assert figures["repurchase_rate_retained"] == result.repurchase_rate_retained


def test_gmv_as_paid_is_list_value_minus_every_discount_on_a_hand_computed_order() -> None:
    # One order of exactly 300 (no spread of order values) with 10 % off, a 50-off-200 coupon and a balance of
    # 100 of which 80 % was cash: 30 + 50 off, 100 of the remaining 220 from the balance, its bonus 20 a
    # discount. Paid: 300 - 30 - 50 - 20 = 200.
    scenario = small_scenario(
        population={"order_value": {"cv_across_members": 0.0, "cv_within_member": 0.0}},
        strategies=[strategy("none", {"kind": "none"})],
    )
    world = World(scenario, scenario.strategies[0], 7, 0)
    world.begin_day(0)
    m = world.members
    row = int(np.flatnonzero(m.state[: m.n] == State.ADDED)[0])
    m.coupon_value_rmb[row], m.coupon_threshold_rmb[row], m.coupon_until_day[row] = 50.0, 200.0, 10
    m.balance_rmb[row], m.balance_cash_share[row] = 100.0, 0.8
    record_purchases(world, np.array([row]), np.array([0.1]), 0, coupon_valid=np.array([True]))
    ledger = world.ledger
    assert ledger.total(Flow.GMV_LIST_RMB, 0) == pytest.approx(300.0)
    assert ledger.total(Flow.DISCOUNTS_RMB, 0) == pytest.approx(100.0)
    flows = {flow: np.array([ledger.total(flow, 0)]) for flow in Flow}
    assert derived_flows(flows, Flow.MEMBERSHIP_FEES_RMB)["gmv_rmb"][0] == pytest.approx(200.0)


def test_gmv_is_gmv_list_minus_discounts_every_month_with_every_kind_of_discount() -> None:
    # Percent-off sales, tier member discounts (nurture grants them), paid-membership discounts and coupons,
    # stored-value bonuses: GMV as paid is list GMV less the month's discounts, in the monthly table and in the
    # per-replication figures (repurchase_rate <= repurchase_rate_retained: the 400-day test above).
    scenario = small_scenario(
        horizon_days=200,
        strategies=[
            strategy(
                "all",
                {"kind": "nurture"},
                {"kind": "clearance", "discount_depth": 0.3, "every_days": 15},
                {"kind": "paid_membership", "monthly_coupon_rmb": 30},
                {"kind": "stored_value", "amount_rmb": 500, "bonus_rmb": 100, "offer_every_days": 30},
            )
        ],
    )
    result = simulate(scenario, scenario.strategies[0], 7, 0)
    monthly = result.monthly
    gmv_list, discounts, gmv = monthly["gmv_list_rmb"], monthly["discounts_rmb"], monthly["gmv_rmb"]
    assert np.all(discounts > 0) and np.all(gmv < gmv_list)
    np.testing.assert_allclose(gmv, gmv_list - discounts, rtol=1e-9)
    assert "gmv_paid_rmb" not in monthly and "net_sales_rmb" not in monthly  # the duplicates are gone
    np.testing.assert_allclose(monthly["gross_margin_rmb"], gmv - monthly["cogs_rmb"], rtol=1e-9)
    figures = replication_figures(result)
    assert figures["gmv_rmb"] == pytest.approx(figures["gmv_list_rmb"] - figures["discounts_rmb"], rel=1e-9)
    assert figures["aov_rmb"] == pytest.approx(figures["gmv_rmb"] / figures["orders"], rel=1e-12)
    assert monthly["stored_value_spent_rmb"].sum() > 0 and monthly["coupons_used"].sum() > 0


def test_membership_fee_is_earned_over_the_days_of_its_period() -> None:
    # 2025-01-01 is day 0. A 31-day membership for 310 bought on day 20 runs days 20 .. 50: 11 days of January
    # (110 earned) and 20 of February (200). Two 365-day ones for 365 bought on day 300 (28 October) of a
    # 365-day horizon: 4 days of October, 30 of November, 31 of December earned (1 RMB a day each), the
    # other 300 days of each are past the horizon.
    world = World(small_scenario(), small_scenario().strategies[0], 7, 0)
    ledger = world.ledger
    ledger.book_membership_fees(world.month_of_day, 20, 1, 310.0, 31)
    ledger.book_membership_fees(world.month_of_day, 300, 2, 365.0, 365)
    monthly = ledger.result(world.members).monthly
    booked, earned = monthly["membership_fees_rmb"], monthly["membership_fees_earned_rmb"]
    assert booked[0] == 310.0 and booked[9] == 730.0 and booked.sum() == 1040.0
    np.testing.assert_allclose(earned[:2], [110.0, 200.0])
    np.testing.assert_allclose(earned[9:], [8.0, 60.0, 62.0])
    assert earned[2:9].sum() == 0.0


@pytest.mark.parametrize(("duration", "renewal"), [(60, 0.0), (90, 0.6)])
def test_membership_fees_earned_never_run_ahead_of_fees_booked(duration: int, renewal: float) -> None:
    # Offers on days 0 and 100 of a 200-day run. 60-day memberships without renewals all end by day 159:
    # earned = booked at the end. 90-day ones renewed on days 90 and 180 run past the horizon: booked -
    # earned is the unearned rest of each running period, fee x (days past the horizon) / duration.
    fee = 199.0
    scenario = small_scenario(
        horizon_days=200,
        behaviour={"membership": {"renewal_at_fair_value": renewal, "takeup_at_fair_value": 0.5}},
        strategies=[
            strategy(
                "paid",
                {"kind": "paid_membership", "fee_rmb": fee, "duration_days": duration, "offer_every_days": 100},
            )
        ],
    )
    world = World(scenario, scenario.strategies[0], 7, 0)
    monthly = run(world).monthly
    booked, earned = np.cumsum(monthly["membership_fees_rmb"]), np.cumsum(monthly["membership_fees_earned_rmb"])
    assert booked[-1] > 10 * fee  # memberships were sold
    assert np.all(earned <= booked * (1 + 1e-12))
    paid_until = world.members.paid_until_day[: world.members.n]
    days_left = np.maximum(paid_until.astype(np.int64) - (scenario.horizon_days - 1), 0)
    deferred = fee * days_left.sum() / duration
    assert booked[-1] - earned[-1] == pytest.approx(deferred, rel=1e-9, abs=1e-6)
    if duration == 60:
        assert deferred == 0.0 and earned[-1] == pytest.approx(booked[-1], rel=1e-12)
    else:
        assert deferred > 0.0 and monthly["membership_renewals"].sum() > 0


@pytest.mark.parametrize(
    ("q", "d", "days", "has_bought", "expected"),
    [
        (0.01, 0.0, 365, True, 3.65),  # no dropout: q per day
        (0.01, 0.0, 365, False, 3.65),
        (0.3, 1.0, 2, True, 0.3 + 0.7 * 0.3),  # a customer's first purchase ends it: q + (1 - q) q
        (0.3, 1.0, 2, False, 0.6),  # a first purchase never does: q on each day
        (0.3, 0.5, 0, True, 0.0),  # no days left
        (1.0, 0.5, 3, True, 1.0 + 0.5 + 0.25),  # buys every day while alive, alive 1, 1/2, 1/4
    ],
)
def test_expected_purchases_on_hand_computed_cases(
    q: float, d: float, days: int, has_bought: bool, expected: float
) -> None:
    # the d -> 1 cap (1 - 1e-6) moves the has-not-bought case by about 1e-6 of a purchase
    got = behaviour.expected_purchases(np.array([q]), np.array([d]), np.array([days]), np.array([has_bought]))
    assert got[0] == pytest.approx(expected, rel=1e-5)


def test_expected_purchases_match_the_day_by_day_chain() -> None:
    # The same chain stepped day by day: never bought (a), alive customer (c); each day both buy with q,
    # a customer's purchase makes it silent with d. Tolerance: the d -> 1 cap, ~1e-6 of a purchase.
    rng = np.random.default_rng(3)
    q, d = rng.random(200) ** 3, rng.random(200)
    d[:20] = 1.0
    days = rng.integers(0, 400, 200)
    for bought in (True, False):
        a, c, total = np.full(200, float(not bought)), np.full(200, float(bought)), np.zeros(200)
        for k in range(400):
            total += np.where(k < days, q * (a + c), 0.0)
            a, c = a * (1 - q), c * (1 - q * d) + a * q
        got = behaviour.expected_purchases(q, d, days, np.full(200, bought))
        np.testing.assert_allclose(got, total, rtol=1e-9, atol=1e-5)


def test_end_base_value_on_a_hand_computed_base() -> None:
    # At trust = reference a member buys with q = 1 - exp(-rate) a day: rate = -log(0.99) gives q = 0.01.
    # Without dropout, over the next 365 days: a customer with no end expects 3.65 orders, one who deletes
    # the account in 100 days 1.0; a silent and a churned member none. Margin per order 200 x 0.55 = 110:
    # 3.65 x 110 + 1.0 x 110 = 511.5.
    scenario = small_scenario(channels=[], population={"gross_margin_share": 0.55})
    world = World(scenario, scenario.strategies[0], 7, 0)
    m, day = world.members, 40
    m.state[: m.n] = State.CHURNED
    rows = np.arange(4)
    m.state[rows] = [State.CUSTOMER, State.CUSTOMER, State.SILENT, State.CHURNED]
    m.rate_per_day[rows] = -np.log(0.99)
    m.trust[rows] = world.behaviour.trust.reference
    m.dropout_prob[rows] = 0.0
    m.order_value_mean_rmb[rows] = 200.0
    m.lifecycle_end_day[rows] = NO_END
    m.deletion_day[rows] = [NO_END, day + 100, NO_END, NO_END]
    assert base_value_rmb(world, day) == pytest.approx(511.5, rel=1e-5)  # float32 rate and trust


def test_end_base_value_is_taken_at_the_end_and_added_to_profit() -> None:
    scenario = small_scenario(horizon_days=120)
    world = World(scenario, scenario.strategies[0], 7, 0)
    result = run(world)
    figures = replication_figures(result)
    assert result.end_base_value_rmb == base_value_rmb(world, scenario.horizon_days - 1) > 0
    assert figures["end_base_value_rmb"] == result.end_base_value_rmb
    assert figures["profit_plus_end_base_rmb"] == figures["profit_rmb"] + result.end_base_value_rmb

"""The `promo_calendar` lever: accounting and direction (the kinds of test: tests/levers.py)."""

from __future__ import annotations

import numpy as np

from helpers import FIXED_BASE, Probe, assert_positive, strategy
from levers import (
    ROOMY_ACCOUNTS,
    SALE,
    assert_books,
    parse,
    run_world,
    total,
)
from privsim.agents.members import REFERRAL_CHANNEL, State
from privsim.scenario import Scenario
from privsim.sim.world import World

BEFORE, PREWARM, SALE_DAYS, AFTER = range(38, 52), range(52, 59), range(59, 62), range(62, 92)


def promo_scenario(promo: dict | None = None, **params) -> Scenario:
    policy = {"kind": "promo_calendar", "sales": [SALE], **params}
    return parse(
        horizon_days=120,
        **FIXED_BASE,
        accounts=ROOMY_ACCOUNTS,
        behaviour={"promo": promo or {}},
        strategies=[strategy("promo", policy)],
    )


class OrdersPerDay:
    """Probe: orders of each day (members whose last purchase was that day, counted the day after;
    one order per member and day at most). ``finish(world)`` counts the last day."""

    def __init__(self, horizon: int) -> None:
        self.orders = np.zeros(horizon, dtype=np.int64)
        self.probe = Probe(self.look)

    def look(self, world: World) -> None:
        if world.day > 0:
            self.orders[world.day - 1] = self.count(world, world.day - 1)

    def finish(self, world: World) -> np.ndarray:
        self.orders[-1] = self.count(world, len(self.orders) - 1)
        return self.orders

    @staticmethod
    def count(world: World, day: int) -> int:
        m = world.members
        return int((m.last_purchase_day[: m.n] == day).sum())


def promo_orders(scenario: Scenario, reps: int) -> np.ndarray:
    """Orders per day, [replication, day], each replication's total checked against the orders flow."""
    out = []
    for rep in range(reps):
        counter = OrdersPerDay(scenario.horizon_days)
        world, result = run_world(scenario, "promo", rep, [counter.probe])
        assert_books(world, result)
        out.append(counter.finish(world))
        assert out[-1].sum() == total(result, "orders")
    return np.array(out)


def window(orders: np.ndarray, days: range) -> np.ndarray:
    """Mean orders per day over ``days``, per replication."""
    return orders[:, list(days)].mean(axis=1)


def test_promo_orders_spike_in_the_sale() -> None:
    # During the sale members get 20 % off, a reminder and no wait: the
    # model's hazard multiplier is 0.8 ** -2.5 x 1.5 = 2.6 over the days
    # before the pre-warm. Observed over 12 replications: ~55 vs ~23 orders
    # a day (ratio 2.43, sd 0.24, lowest 2.07). 3 replications: the ratio
    # must exceed 1.5 in each (~4 sd below what was seen), and the days
    # after the sale (stockpiling) stay below the sale (observed ratio 0.31,
    # sd 0.03).
    orders = promo_orders(promo_scenario(), 3)
    before, sale = window(orders, BEFORE), window(orders, SALE_DAYS)
    assert np.all(sale > 1.5 * before), (sale, before)
    assert np.all(window(orders, AFTER) < sale)


def test_promo_prewarm_pulls_purchases_into_the_sale() -> None:
    # Announced members wait for the sale: in the pre-warm their hazard is
    # multiplied by 1 - anticipation_suppression. 0.5 vs 0 (all else equal,
    # same streams). Observed over 12 replications: pre-warm orders ~9.6 vs
    # ~19.1 a day (paired difference ~9.6, sd ~1.4; ratio 0.50, sd 0.06,
    # highest 0.58). 4 replications: the CI excludes 0 by > 4 half-widths,
    # and the 0.5 run stays below 0.75 of the other in each (4 sd).
    waiting = promo_orders(promo_scenario({"anticipation_suppression": 0.5}), 4)
    eager = promo_orders(promo_scenario({"anticipation_suppression": 0.0}), 4)
    assert_positive(window(eager, PREWARM) - window(waiting, PREWARM), "pre-warm orders a day, s = 0 - 0.5")
    assert np.all(window(waiting, PREWARM) < 0.75 * window(eager, PREWARM))
    # before the announcement nothing differs (same streams): exactly equal
    np.testing.assert_array_equal(waiting[:, :52], eager[:, :52])


def test_promo_stockpiling_lowers_orders_after_the_sale() -> None:
    # Who buys in the sale stocks up: for 30 days their hazard is multiplied
    # by 1 - stockpile_suppression. 0.9 vs 0. Observed over 12 replications:
    # orders in the 30 days after ~16.3 vs ~17.9 a day (paired difference
    # ~1.6, sd ~0.22). 4 replications: the CI (half-width ~0.34) excludes 0
    # by > 4 half-widths.
    stocked = promo_orders(promo_scenario({"stockpile_suppression": 0.9}), 4)
    free = promo_orders(promo_scenario({"stockpile_suppression": 0.0}), 4)
    assert_positive(window(free, AFTER) - window(stocked, AFTER), "orders a day after the sale, s = 0 - 0.9")
    np.testing.assert_array_equal(stocked[:, :60], free[:, :60])  # the same until the day after the first sale day


def test_promo_fission_after_the_sale() -> None:
    # With fission_after, the day after the sale (day 62) the customers who
    # bought in the last 30 days are asked to invite friends: referral_asked
    # is their number (counted by a probe that day, exact), all referral
    # flows fall in March (day 62 is 3 March), and every invitee joined on
    # day 62. Without it, no referral at all.
    scenario = promo_scenario(fission_after=True)
    asked = [0]

    def look(world: World) -> None:
        if world.day == 62:
            m = world.members
            asked[0] = int(((m.state[: m.n] == State.CUSTOMER) & (62 - m.last_purchase_day[: m.n] < 30)).sum())

    world, result = run_world(scenario, "promo", 0, [Probe(look)])
    assert_books(world, result)
    mo = result.monthly
    assert total(result, "referral_asked") == asked[0] > 0
    for flow in ("referral_asked", "referral_invitations", "referral_joined"):
        assert mo[flow][2] == total(result, flow) > 0, flow
    m = world.members
    referred = m.channel[: m.n] == REFERRAL_CHANNEL
    assert referred.sum() == total(result, "referral_joined") + total(result, "referral_fake")
    assert np.all(m.joined_day[: m.n][referred] == 62)
    _, plain = run_world(promo_scenario(), "promo", 0)
    assert total(plain, "referral_asked") == 0 == total(plain, "referral_joined")

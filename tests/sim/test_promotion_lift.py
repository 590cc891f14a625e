"""The promotion lift: fixed per valid offer, or growing with the offer's depth; a message's reminder
(behaviour.contact.reminder_lift, offer_lift_depth_scale, message_lift)."""

from __future__ import annotations

import numpy as np

import privsim
from helpers import FIXED_BASE, SEED, assert_positive, scenario_dict, strategy
from privsim import behaviour
from privsim.sim.calendar import simulate

VALID = np.array([True, True, True, False, False])
DEPTH = np.array([0.01, 0.1, 0.3, 0.0, 0.0], dtype=np.float32)
CONTACTED = np.array([False, False, False, True, False])


def lifts(**contact: object) -> np.ndarray:
    b = privsim.parse_scenario(scenario_dict(behaviour={"contact": contact})).behaviour
    return np.expm1(behaviour.promotion_log_lift(VALID, DEPTH, CONTACTED, b).astype(np.float64))


def test_without_a_depth_scale_every_valid_offer_lifts_alike_and_a_message_alone_does_nothing() -> None:
    np.testing.assert_allclose(lifts(), [0.5, 0.5, 0.5, 0.0, 0.0], rtol=1e-6)


def test_with_a_depth_scale_the_lift_grows_with_depth_and_saturates_at_the_reminder_lift() -> None:
    got = lifts(offer_lift_depth_scale=0.1, message_lift=0.05)
    expected = [0.5 * (1 - np.exp(-0.1)), 0.5 * (1 - np.exp(-1.0)), 0.5 * (1 - np.exp(-3.0)), 0.05, 0.0]
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    assert got[0] < got[1] < got[2] < 0.5


def orders(depth: float, replication: int) -> float:
    """Orders over 8 weeks of weekly 3-day offers of ``depth`` to the fixed base of 3,000."""
    policy = {"kind": "clearance", "discount_depth": depth}
    data = scenario_dict(
        horizon_days=56,
        **FIXED_BASE,
        behaviour={"contact": {"offer_lift_depth_scale": 0.1}},
        strategies=[strategy("s", policy)],
    )
    scenario = privsim.parse_scenario(data)
    return float(simulate(scenario, scenario.strategies[0], SEED, replication).monthly["orders"].sum())


def test_with_a_depth_scale_deeper_offers_lift_orders_more() -> None:
    # Same members and uniforms in each replication (paired). With the depth scale, a 1 % offer lifts the
    # hazard by 5 %, a 10 % one by 32 % (and its price by 30 %), a 30 % one by 48 % (and its price by 144 %):
    # over 8 replications the means are ~1,300, ~1,480 and ~2,090 orders, each step 7 to 27 paired standard
    # deviations (~25 orders) above 0.
    by_depth = {d: np.array([orders(d, rep) for rep in range(8)]) for d in (0.01, 0.1, 0.3)}
    assert_positive(by_depth[0.1] - by_depth[0.01], "orders, 10 % offers - 1 % offers")
    assert_positive(by_depth[0.3] - by_depth[0.1], "orders, 30 % offers - 10 % offers")

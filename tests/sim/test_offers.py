"""Offers' effects: the promotion lift, fixed per valid offer or growing with the offer's depth, and a
message's reminder (behaviour.contact.reminder_lift, offer_lift_depth_scale, message_lift); a coupon's
habituation and trust loss (behaviour.discount.coupons_count_as_discounts); a service label on a sales
contact (behaviour.trust.gain_from_service_with_offer)."""

from __future__ import annotations

import numpy as np
import pytest

import privsim
from helpers import FIXED_BASE, SEED, assert_positive, scenario_dict, strategy
from privsim import behaviour
from privsim.policies.actions import Contacts
from privsim.sim.calendar import simulate
from privsim.sim.handlers import contacts
from privsim.sim.world import World

VALID = np.array([True, True, True, False, False])
DEPTH = np.array([0.01, 0.1, 0.3, 0.0, 0.0], dtype=np.float32)
CONTACTED = np.array([False, False, False, True, False])


def lifts(**contact: object) -> np.ndarray:
    b = privsim.parse_scenario(scenario_dict(behaviour={"contact": contact})).behaviour
    return np.expm1(behaviour.promotion_log_lift(VALID, DEPTH, CONTACTED, b).astype(np.float64))


def test_without_a_depth_scale_every_valid_offer_lifts_alike_and_a_message_alone_does_nothing() -> None:
    np.testing.assert_allclose(
        lifts(offer_lift_depth_scale=None, message_lift=0.0), [0.5, 0.5, 0.5, 0.0, 0.0], rtol=1e-6
    )


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


def deliver_coupon(counts: bool) -> tuple[World, np.ndarray, np.ndarray]:
    """A World of the fixed base after a broadcast of a 120-off-300 coupon to every member (trust 0.3, no
    reference discount before), and the members' coupon depth and rows."""
    data = scenario_dict(**FIXED_BASE, behaviour={"discount": {"coupons_count_as_discounts": counts}})
    scenario = privsim.parse_scenario(data)
    world = World(scenario, scenario.strategies[0], SEED, 0)
    m = world.members
    rows = np.arange(m.n)
    m.fatigue[rows] = 0.0  # no spam loss, no blocking
    contacts.deliver(
        world,
        Contacts(rows, "broadcast", coupon_value_rmb=120.0, coupon_threshold_rmb=300.0, coupon_window_days=7),
    )
    depth = behaviour.coupon_depth(np.float32(120.0), np.float32(300.0), m.order_value_mean_rmb[rows])
    return world, depth, rows


def test_a_coupon_habituates_and_erodes_trust_as_a_percent_off_offer_of_its_depth_when_it_counts() -> None:
    # 120 off 300 is a 40 % discount to a member whose usual order is at most 300 RMB, less above.
    world, depth, rows = deliver_coupon(True)
    m = world.members
    assert depth.max() == pytest.approx(0.4) and depth.min() < 0.25
    np.testing.assert_allclose(m.reference_discount[rows], 0.3 * depth, rtol=1e-5)  # habituation_rate 0.3
    loss = np.minimum(1.0, 0.3 * np.maximum(0.0, depth - 0.25))  # loss_per_deep_discount 0.3 past 0.25
    np.testing.assert_allclose(m.trust[rows], 0.3 * (1.0 - loss), rtol=1e-5)
    untouched, _, _ = deliver_coupon(False)
    assert np.all(untouched.members.reference_discount[rows] == 0.0)
    assert np.all(untouched.members.trust[rows] == np.float32(0.3))


def trust_after_service_contact(coupon_rmb: float, with_offer_gains: bool) -> np.ndarray:
    """Members' trust after a personal service contact carrying a coupon of ``coupon_rmb`` (0: none)."""
    data = scenario_dict(
        **FIXED_BASE,
        behaviour={"trust": {"gain_from_service_with_offer": with_offer_gains}},
        staff={"count": 1, "personal_contacts_per_person_per_day": 100},
    )
    scenario = privsim.parse_scenario(data)
    world = World(scenario, scenario.strategies[0], SEED, 0)
    rows = np.arange(50)
    world.members.fatigue[rows] = 0.0
    coupon = {"coupon_value_rmb": coupon_rmb, "coupon_threshold_rmb": 1000.0, "coupon_window_days": 7}
    contacts.deliver(world, Contacts(rows, "personal", service=True, **(coupon if coupon_rmb else {})))
    return world.members.trust[rows]


def test_a_sales_contact_labelled_service_raises_trust_only_when_the_label_decides() -> None:
    # trust 0.3 moves 0.06 of the way to 1 on a service contact: 0.342. A small coupon (10 off 1,000) has no
    # trust loss of its own (not deep), so any gain comes from the service label alone.
    care = trust_after_service_contact(0.0, with_offer_gains=False)
    np.testing.assert_allclose(care, 0.342, rtol=1e-5)  # care without an offer raises trust under both rules
    np.testing.assert_allclose(trust_after_service_contact(10.0, with_offer_gains=True), 0.342, rtol=1e-5)
    np.testing.assert_allclose(trust_after_service_contact(10.0, with_offer_gains=False), 0.3, rtol=1e-5)

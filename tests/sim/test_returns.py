"""Returns and cancellations (privsim.sim.returns): accounting and direction.

Returns are off by default; these tests turn them on with
``behaviour.returns`` and compare scenarios that differ in one delivery
setting, replication by replication on the same random streams (seed 12345,
paired 95 % Student-t intervals; tests/levers.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers import FIXED_BASE, SEED, assert_positive, strategy
from levers import ROOMY_ACCOUNTS, assert_books, paired, parse, run_world, stored_value, total
from privsim.sim.calendar import run
from privsim.sim.ledger import ReplicationResult
from privsim.sim.world import World

#: Returns on: 5 % of orders come back however fast they arrive, and each day beyond 2 adds a hazard of 0.15.
RETURNS = {"base_prob": 0.05, "patient_days": 2.0, "delay_hazard_per_day": 0.15}


def returns_scenario(*strategies: dict, delivery: dict | None = None, tiers: list | None = None, horizon: int = 180):
    extra = {"tiers": tiers} if tiers else {}
    return parse(
        horizon_days=horizon,
        **FIXED_BASE,
        accounts=ROOMY_ACCOUNTS,
        behaviour={"returns": RETURNS},
        delivery=delivery or {},
        strategies=list(strategies) or [strategy("none", {"kind": "none"})],
        **extra,
    )


def assert_return_books(result: ReplicationResult) -> None:
    """Returns never exceed orders (cumulatively: a return is booked after its order, possibly a month later),
    returned list GMV never exceeds list GMV, refunds never exceed GMV as paid, and the net-of-returns metrics are as
    defined in privsim.metrics."""
    mo = result.monthly
    assert np.all(np.cumsum(mo["returns"]) <= np.cumsum(mo["orders"]))
    assert np.all(np.cumsum(mo["returned_gmv_list_rmb"]) <= np.cumsum(mo["gmv_list_rmb"]) + 1e-6)
    assert np.all(np.cumsum(mo["refunds_rmb"]) <= np.cumsum(mo["gmv_rmb"]) + 1e-6)
    assert np.all(mo["refunds_rmb"] <= mo["returned_gmv_list_rmb"] + 1e-6)
    np.testing.assert_allclose(mo["gmv_net_of_returns_rmb"], mo["gmv_rmb"] - mo["refunds_rmb"])
    np.testing.assert_allclose(mo["gmv_list_net_of_returns_rmb"], mo["gmv_list_rmb"] - mo["returned_gmv_list_rmb"])
    np.testing.assert_allclose(
        mo["profit_net_of_returns_rmb"], mo["profit_rmb"] - mo["refunds_rmb"] + mo["returned_cogs_rmb"]
    )
    tiers = [v for k, v in mo.items() if k.startswith("by_tier.returned_gmv_list_rmb.")]
    np.testing.assert_allclose(sum(tiers), mo["returned_gmv_list_rmb"], rtol=1e-9, atol=1e-6)


def return_share(world, result: ReplicationResult) -> float:
    assert_return_books(result)
    return total(result, "returns") / total(result, "orders")


def test_returns_off_by_default_book_nothing() -> None:
    # The default behaviour.returns (both rates 0) returns no order: every
    # returns flow is exactly 0 and the net-of-returns metrics equal the gross ones.
    scenario = parse(horizon_days=90, **FIXED_BASE)
    world, result = run_world(scenario, "none")
    assert not world.returns_on and not world.pending_returns
    for name in ("returns", "returned_gmv_list_rmb", "refunds_rmb", "stored_value_refunded_rmb", "returned_cogs_rmb"):
        assert total(result, name) == 0.0, name
    for name in ("gmv", "gmv_list", "profit"):
        np.testing.assert_array_equal(result.monthly[f"{name}_net_of_returns_rmb"], result.monthly[f"{name}_rmb"])


def test_slower_delivery_more_returns() -> None:
    # Mean delivery 2 vs 6 days (shape 4): the return chance rises from ~10 %
    # to ~40 % of orders (p(d) over the Gamma; returns due after the horizon
    # are not booked, which lowers both a little). Observed over 4
    # replications: return shares 0.091-0.100 vs 0.394-0.402, paired sd
    # ~0.005, so 3 replications exclude 0 by > 50 half-widths.
    cases = {
        f"{mean:g} days": (returns_scenario(delivery={"mean_days": mean, "priority_mean_days": mean}), "none")
        for mean in (2.0, 6.0)
    }
    shares = paired(cases, 3, return_share)
    assert_positive(shares["6 days"] - shares["2 days"], "return share, 6-day - 2-day delivery")


def test_priority_shipping_fewer_returns_for_its_tier() -> None:
    # The vip tier (100 members) ships with priority (mean 1 day instead of
    # 6): its share of GMV returned falls; the other tiers' delivery is
    # unchanged. Observed over 4 replications: vip returned-GMV shares
    # 0.36-0.49 vs 0.01-0.09 (paired differences 0.28-0.45, sd ~0.07); 3
    # replications exclude 0 by ~2 half-widths (few vip orders: a wide spread).
    base_tiers = parse(**FIXED_BASE).model_dump()["tiers"]
    priority = [dict(t, priority_shipping=t["name"] == "vip") for t in base_tiers]
    delivery = {"mean_days": 6.0, "priority_mean_days": 1.0}
    cases = {
        "standard": (returns_scenario(delivery=delivery), "none"),
        "priority": (returns_scenario(delivery=delivery, tiers=priority), "none"),
    }

    def vip_share(world, result) -> float:
        assert_return_books(result)
        return total(result, "by_tier.returned_gmv_list_rmb.vip") / total(result, "by_tier.gmv_list_rmb.vip")

    shares = paired(cases, 3, vip_share)
    assert_positive(shares["standard"] - shares["priority"], "vip returned share")


def test_returned_orders_count_toward_no_tier_and_refund_stored_value() -> None:
    # Every order comes back (base_prob 1): no member's tier progress grows,
    # so nobody is promoted; and stored value is conserved: the balances at
    # the end equal what was loaded (500 + 100 bonus per top-up) minus what
    # orders spent plus what returns refunded (float32 balances: 1e-5
    # relative, far above their rounding). Returns due after the horizon are
    # still pending: settled + pending = every order.
    scenario = parse(
        horizon_days=120,
        **FIXED_BASE,
        accounts=ROOMY_ACCOUNTS,
        behaviour={"returns": {"base_prob": 1.0}, "stored_value": {"takeup_at_reference_bonus": 0.3}},
        strategies=[strategy("sv", stored_value())],
    )
    world = World(scenario, scenario.strategy("sv"), SEED, 0)
    m = world.members
    progress, tier = m.tier_purchases[: m.n].copy(), m.tier[: m.n].copy()
    result = run(world)
    assert_books(world, result)
    assert_return_books(result)
    assert total(result, "orders") > 0 and total(result, "stored_value_refunded_rmb") > 0
    assert np.all(m.tier_purchases[: m.n] <= progress) and np.all(m.tier[: m.n] <= tier)
    pending = sum(len(p.rows) for day in world.pending_returns.values() for p in day)
    assert total(result, "returns") + pending == total(result, "orders")
    pending_refund = sum(float(p.from_balance_rmb.sum()) for day in world.pending_returns.values() for p in day)
    loaded = 600.0 * total(result, "topups")
    spent, refunded = total(result, "stored_value_spent_rmb"), total(result, "stored_value_refunded_rmb")
    assert spent > refunded > 0
    assert float(m.balance_rmb[: m.n].astype(float).sum()) == pytest.approx(loaded - spent + refunded, rel=1e-5)
    assert spent == pytest.approx(refunded + pending_refund, rel=1e-9)  # every order returned

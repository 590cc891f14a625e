"""Trust's effects relative to the member's own baseline (behaviour.trust.effects_relative_to)."""

from __future__ import annotations

import numpy as np

import privsim
from helpers import FIXED_BASE, SEED, assert_positive, scenario_dict
from privsim.sim.calendar import simulate
from privsim.sim.world import World


def low_trust_pool(effects_relative_to: str, trust_offset: float, **trust: object) -> dict:
    """FIXED_BASE with every member on the wecom pool, whose trust offset is ``trust_offset``; strategy none."""
    data = scenario_dict(
        **FIXED_BASE,
        behaviour={"trust": {"effects_relative_to": effects_relative_to, "gain_per_purchase": 0.0, **trust}},
    )
    data["accounts"][0]["count"] = 0
    data["accounts"][1]["trust_offset"] = trust_offset
    return data


def orders(data: dict, replication: int) -> float:
    scenario = privsim.parse_scenario(data)
    return float(simulate(scenario, scenario.strategies[0], SEED, replication).monthly["orders"].sum())


def test_trust_for_effects_reads_the_members_own_baseline_as_the_reference() -> None:
    for mode, expected in (("reference", 0.15), ("baseline", 0.35)):
        scenario = privsim.parse_scenario(low_trust_pool(mode, -0.2))
        world = World(scenario, scenario.strategies[0], SEED, 0)
        rows = np.arange(world.members.n)
        np.testing.assert_allclose(world.trust_baseline(rows), 0.1, atol=1e-6)  # initial 0.3 + offset -0.2
        world.members.trust[rows] = 0.15  # 0.05 above the baseline
        np.testing.assert_allclose(world.trust_for_effects(rows), expected, atol=1e-6)


def test_relative_to_the_baseline_a_pools_trust_offset_alone_changes_nothing() -> None:
    # Without gains or losses (strategy none, gain_per_purchase 0) every member's trust stays at its baseline,
    # which reads as the reference: a low-trust pool then buys exactly as a pool without offset (same draws).
    for replication in range(2):
        assert orders(low_trust_pool("baseline", -0.2), replication) == orders(
            low_trust_pool("baseline", 0.0), replication
        )


def test_relative_to_the_reference_a_low_trust_pool_buys_less() -> None:
    # Against the fixed reference, a pool 0.2 below it buys at exp(-1.5 x 0.2) = 0.74 times the rate and drops
    # out more: over 6 paired replications (same members and uniforms) orders fall by ~20 %, far outside noise.
    diffs = [
        orders(low_trust_pool("reference", 0.0), rep) - orders(low_trust_pool("reference", -0.2), rep)
        for rep in range(6)
    ]
    assert_positive(diffs, "orders, no offset - low-trust pool")


def test_state_dependence_raises_repeat_purchases_relative_to_the_baseline() -> None:
    # The explicit state-dependence setting (a trust gain per purchase) raises each buyer's trust above its
    # baseline, so its purchase hazard rises and its dropout chance falls: more orders than the BTYD process
    # without it, in every one of 6 paired replications.
    def with_gain(gain: float, rep: int) -> float:
        return orders(low_trust_pool("baseline", 0.0, gain_per_purchase=gain), rep)

    assert_positive([with_gain(0.1, rep) - with_gain(0.0, rep) for rep in range(6)], "orders, gain 0.1 - gain 0")

"""The `winback` lever: accounting and direction (the kinds of test: tests/levers.py)."""

from __future__ import annotations

import numpy as np

from helpers import Probe, strategy
from levers import (
    WINBACK_DAYS,
    assert_binomial,
    assert_books,
    parse,
    run_world,
    total,
    winback,
)
from privsim.agents.members import State
from privsim.scenario import Scenario
from privsim.sim.world import World


def winback_scenario(*strategies: dict, reactivation: float = 0.01) -> Scenario:
    """The default base (with 500 silent members), no acquisition, 180 days."""
    return parse(
        horizon_days=180,
        channels=[],
        behaviour={"silent_reactivation_prob_per_offer": reactivation},
        strategies=list(strategies),
    )


def winback_targets(world: World, min_purchases: int, inactive_days: int) -> np.ndarray:
    """Members the operator can see as lapsed: customers or silent, min_purchases+, none for inactive_days."""
    m, n, day = world.members, world.members.n, world.day
    return np.flatnonzero(
        np.isin(m.state[:n], (State.CUSTOMER, State.SILENT))
        & (m.purchases[:n] >= min_purchases)
        & (day - m.last_purchase_day[:n] >= inactive_days)
    )


def initial_rows(scenario: Scenario, state: str) -> np.ndarray:
    """Rows of the day-0 base in ``state`` (the base is created block by block, in the order listed)."""
    edges = np.cumsum([0] + [g.count for g in scenario.population.initial])
    return np.concatenate(
        [np.arange(edges[i], edges[i + 1]) for i, g in enumerate(scenario.population.initial) if g.state == state]
    )


def test_winback_targets_lapsed_buyers_only() -> None:
    # On each round a probe (after the round, before the day's purchases; no
    # other contact) finds the members contacted that day. By broadcast they
    # are exactly the members with 2+ purchases and none for 60 days. The
    # check can fail: each round there are lapsed members with one purchase
    # and recent buyers with 2+ (both must be left out). By staff in person
    # (100 contacts a day) the most valuable targets come first: no target
    # left out spent more than one contacted.
    scenario = winback_scenario(strategy("broadcast", winback()), strategy("personal", winback(mode="personal")))
    for name in ("broadcast", "personal"):
        rounds = [0]

        def look(world: World, name: str = name, rounds: list = rounds) -> None:
            if world.day not in WINBACK_DAYS:
                return
            m = world.members
            contacted = np.flatnonzero(m.last_contact_day[: m.n] == world.day)
            targets = winback_targets(world, 2, 60)
            lapsed_once = winback_targets(world, 1, 60)
            recent = np.flatnonzero((m.purchases[: m.n] >= 2) & (world.day - m.last_purchase_day[: m.n] < 60))
            assert len(np.setdiff1d(lapsed_once, targets)) > 0 and len(recent) > 0
            if name == "broadcast":
                np.testing.assert_array_equal(contacted, targets)
            else:
                assert len(contacted) == min(100, len(targets)) and np.all(np.isin(contacted, targets))
                left = np.setdiff1d(targets, contacted)
                if len(left):
                    assert m.spend_rmb[left].max() <= m.spend_rmb[contacted].min()
            rounds[0] += 1

        world, result = run_world(scenario, name, 0, [Probe(look)])
        assert_books(world, result)
        assert rounds[0] == len(WINBACK_DAYS)


def test_winback_reactivates_silent_members() -> None:
    # Targets with one purchase and none for 60 days include the day-0 silent
    # members; each offer brings a silent member back with
    # silent_reactivation_prob_per_offer. A probe tracks who was silent
    # before each round: reactivations = silent members who received the
    # offer and are customers again (exact), ~ Binomial(silent contacted,
    # 0.2) (4-sd check); with probability 0, no reactivation (exact).
    for prob in (0.2, 0.0):
        scenario = winback_scenario(strategy("winback", winback(min_purchases=1)), reactivation=prob)
        counts = {"silent_contacted": 0, "back": 0}
        silent_before = [initial_rows(scenario, "silent")]  # before the day-0 round: the day-0 silent block

        def look(world: World, counts: dict = counts, silent_before: list = silent_before) -> None:
            m = world.members
            if world.day in WINBACK_DAYS:
                was = silent_before[0]
                contacted = was[m.last_contact_day[was] == world.day]
                counts["silent_contacted"] += len(contacted)
                counts["back"] += int((m.state[contacted] == State.CUSTOMER).sum())
            silent_before[0] = np.flatnonzero(m.state[: m.n] == State.SILENT)

        world, result = run_world(scenario, "winback", 0, [Probe(look)])
        assert_books(world, result)
        assert counts["silent_contacted"] > 300
        assert total(result, "reactivations") == counts["back"]
        if prob > 0:
            assert_binomial(counts["back"], counts["silent_contacted"], prob, "reactivated")
        else:
            assert counts["back"] == 0

"""Mechanism directions: each lever moves its outcome the way the model says.

Every test compares two strategies in a controlled scenario (usually no
acquisition, so the member base is fixed) with a fixed seed. Replication k
of both strategies uses the same random streams (common random numbers), so
we look at the *paired* difference per replication and require its two-sided
95 % Student-t interval to exclude 0 in the expected direction. Where the
effect is large we also require a ratio with a margin; each test says in a
comment how many replications it uses, what run-to-run spread was observed
(seed 12345) and why the margin is safe.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

import privsim
from helpers import FIXED_BASE, SEED, assert_positive, scenario_dict, strategy
from privsim.agents.members import ChurnReason, State
from privsim.policies.none import NoPolicy
from privsim.policies.view import PolicyView
from privsim.runner import run_scenario
from privsim.scenario import Scenario, Strategy
from privsim.sim.calendar import run
from privsim.sim.world import World


def clearance(depth: float, every_days: int = 14, window: int = 3) -> dict:
    return {"kind": "clearance", "discount_depth": depth, "every_days": every_days, "offer_window_days": window}


def paired_worlds(
    scenario: Scenario, a: Strategy, b: Strategy, replications: int, measure: Callable[[World], float]
) -> tuple[np.ndarray, np.ndarray]:
    """``measure`` of the finished World of strategies a and b, replication by replication (same streams)."""
    out_a, out_b = [], []
    for rep in range(replications):
        for strat, out in ((a, out_a), (b, out_b)):
            world = World(scenario, strat, SEED, rep)
            run(world)
            out.append(measure(world))
    return np.array(out_a), np.array(out_b)


def figures(scenario: Scenario, replications: int) -> dict[str, dict[str, np.ndarray]]:
    """metric → strategy → per-replication figures (array over replications) of a run."""
    run = run_scenario(scenario, replications=replications, seed=SEED, jobs=1)
    wide = run.tables.replications.pivot_table(index=["metric", "replication"], columns="strategy", values="value")
    return {metric: {s: wide.loc[metric, s].to_numpy() for s in wide.columns} for metric in wide.index.levels[0]}


# -- (a), (b) discount depth ----------------------------------------------------------------------


class OrdersPerDay:
    """A do-nothing probe policy that records each day's orders.

    It uses only the public policy interface: ``daily`` runs before the
    day's purchases, so on day d it counts the members whose last purchase
    was on day d - 1 (one order per member and day at most, and
    ``last_purchase_day`` is set on every purchase).
    """

    def __init__(self, horizon_days: int) -> None:
        self.orders = np.zeros(horizon_days, dtype=np.int64)

    def event_days(self, horizon_days: int) -> Sequence[int]:
        return ()

    def on_event(self, view: PolicyView, rng: np.random.Generator) -> list:
        return []

    def daily(self, view: PolicyView, rng: np.random.Generator) -> list:
        if view.day > 0:
            self.orders[view.day - 1] = self.count(view, view.day - 1)
        return []

    def __getattr__(self, name: str):
        """Every other policy hook: the do-nothing default of the `none` policy."""
        return getattr(NoPolicy(kind="none"), name)

    @staticmethod
    def count(world: World | PolicyView, day: int) -> int:
        m = world.members
        return int((m.last_purchase_day[: m.n] == day).sum())


def _discount_scenario(horizon: int = 182) -> Scenario:
    # Trust loss on deep offers and habituation off: only the price effect differs.
    return privsim.parse_scenario(
        scenario_dict(
            horizon_days=horizon,
            **FIXED_BASE,
            behaviour={"trust": {"loss_per_deep_discount": 0.0}, "discount": {"habituation_rate": 0.0}},
            strategies=[strategy("shallow", clearance(0.1)), strategy("deep", clearance(0.4))],
        )
    )


def test_deeper_discount_raises_orders_in_the_offer_window() -> None:
    scenario = _discount_scenario()
    every, window = 14, 3
    in_window = (np.arange(scenario.horizon_days) % every) < window
    # 5 replications: over 12 replications (seed 12345) in-window orders were
    # ~4020 (deep) vs ~1630 (shallow); the paired difference ~+2390 had a sd of
    # ~45, so with 5 replications the 95 % CI half-width is 2.78 x 45 / sqrt 5
    # ~ 56, ~40 half-widths away from 0. The model's price multiplier in the
    # window is (0.6 / 0.9) ** -2.5 = 2.76; the observed ratio was 2.38-2.56
    # (sd ~0.06), so requiring > 1.5 in every replication leaves > 10 sd.
    # Outside the window prices are equal: the ratio was 0.93-1.00, well under 1.2.
    reps = 5
    window_orders = {"shallow": [], "deep": []}
    off_window_orders = {"shallow": [], "deep": []}
    for rep in range(reps):
        for s in scenario.strategies:
            probe = OrdersPerDay(scenario.horizon_days)
            strat = Strategy.model_construct(name=s.name, description="", policies=(*s.policies, probe))
            world = World(scenario, strat, SEED, rep)
            result = run(world)
            probe.orders[-1] = probe.count(world, scenario.horizon_days - 1)
            assert probe.orders.sum() == result.monthly["orders"].sum()  # the probe sees every order
            window_orders[s.name].append(probe.orders[in_window].sum())
            off_window_orders[s.name].append(probe.orders[~in_window].sum())
    deep, shallow = np.array(window_orders["deep"]), np.array(window_orders["shallow"])
    assert_positive(deep - shallow, "orders in the offer window, deep - shallow")
    assert np.all(deep / shallow > 1.5), (deep, shallow)
    # outside the window the price is the same: the ratio must be far smaller than inside
    off = np.array(off_window_orders["deep"]) / np.array(off_window_orders["shallow"])
    assert np.all(off < 1.2), off


def test_deeper_discount_lowers_margin_per_order() -> None:
    # 5 replications: over 12 replications gross margin per order was ~97 RMB
    # (deep) vs ~155 RMB (shallow), paired difference ~57 RMB with sd ~1.9, so
    # the CI (half-width ~2.4) excludes 0 by > 20 half-widths. By construction
    # (margin share 0.55 at list price) a window order earns 0.45 of list at
    # 10 % off and 0.15 at 40 % off; the deep/shallow ratio was 0.63 (sd
    # 0.009), so the required < 0.8 leaves ~18 sd.
    fig = figures(_discount_scenario(), replications=5)
    per_order = {s: fig["gross_margin_rmb"][s] / fig["orders"][s] for s in ("deep", "shallow")}
    assert_positive(per_order["shallow"] - per_order["deep"], "gross margin per order, shallow - deep")
    assert np.all(per_order["deep"] < 0.8 * per_order["shallow"]), per_order
    # discounts never exceed GMV and grow with depth
    assert_positive(fig["discounts_rmb"]["deep"] - fig["discounts_rmb"]["shallow"], "discounts, deep - shallow")


# -- (c) contact frequency -------------------------------------------------------------------------


def test_frequent_contact_raises_fatigue_and_blocking() -> None:
    # A 20 % offer (below the deep-discount threshold, so no trust loss)
    # broadcast every 3 vs every 14 days. With a 7-day fatigue half-life a
    # broadcast every 14 days decays to 0.25 before the next one, so fatigue
    # peaks at 1 / (1 - 0.25) = 1.33 < threshold 1.5: blocking is impossible.
    # Every 3 days it climbs to ~3.9, so members block. 4 replications: over 12
    # replications ~2070 of 3000 members blocked every 3 days (sd ~16) and
    # exactly 0 every 14 days, so the CI excludes 0 by > 100 half-widths. Mean
    # fatigue at the end (2.89 vs 0.60) is the same in every replication
    # (everyone reachable gets the same broadcasts), so its CI is a point.
    data = scenario_dict(
        horizon_days=120,
        **FIXED_BASE,
        strategies=[
            strategy("every14", clearance(0.2, every_days=14)),
            strategy("every3", clearance(0.2, every_days=3)),
        ],
    )
    scenario = privsim.parse_scenario(data)
    rare, often = scenario.strategies

    def blocked_and_fatigue(world: World) -> tuple[float, float]:
        m = world.members
        alive = m.state[: m.n] != State.CHURNED
        return float((m.churn_reason[: m.n] == ChurnReason.BLOCKED).sum()), float(m.fatigue[: m.n][alive].mean())

    pairs_rare, pairs_often = paired_worlds(scenario, rare, often, 4, blocked_and_fatigue)
    blocked_rare, fatigue_rare = pairs_rare[:, 0], pairs_rare[:, 1]
    blocked_often, fatigue_often = pairs_often[:, 0], pairs_often[:, 1]
    assert np.all(blocked_rare == 0), blocked_rare
    assert_positive(blocked_often - blocked_rare, "blocked members, every 3 - every 14 days")
    assert_positive(fatigue_often - fatigue_rare, "mean fatigue at the end, every 3 - every 14 days")
    # the same through the runner's metric
    fig = figures(scenario, replications=4)
    assert_positive(fig["churned_blocked"]["every3"] - fig["churned_blocked"]["every14"], "churned_blocked")
    np.testing.assert_array_equal(fig["churned_blocked"]["every3"], blocked_often)


# -- (d) lifecycle length --------------------------------------------------------------------------


def test_longer_lifecycle_raises_gmv_and_lowers_lifecycle_churn() -> None:
    # No acquisition and no contact: the initial base is uniformly part-way
    # through its need, so within a 365-day horizon a 365-day tenure ends
    # everyone's need, a 1095-day tenure only about a third. Members who stay
    # keep buying, so GMV is higher and lifecycle churn lower with the longer
    # tenure. Observed over 12 replications: churned_lifecycle ~2920 vs ~970
    # (paired sd ~27), GMV ratio 1.57-1.65 (paired GMV difference ~720k RMB,
    # sd ~23k). With 4 replications both CIs exclude 0 by > 30 half-widths;
    # the margins (long-tenure churn < half the base, expected ~1/3; GMV ratio
    # > 1.3) are > 10 sd from what was observed.
    def run(tenure: int) -> dict[str, dict[str, np.ndarray]]:
        data = scenario_dict(horizon_days=366, **FIXED_BASE, lifecycle={"tenure_days": tenure, "spread_share": 0.5})
        return figures(privsim.parse_scenario(data), replications=4)

    short, long = run(365), run(1095)
    gmv_s, gmv_l = short["gmv_list_rmb"]["none"], long["gmv_list_rmb"]["none"]
    churn_s, churn_l = short["churned_lifecycle"]["none"], long["churned_lifecycle"]["none"]
    assert_positive(gmv_l - gmv_s, "GMV, tenure 1095 - 365 days")
    assert_positive(churn_s - churn_l, "lifecycle churn, tenure 365 - 1095 days")
    assert np.all(gmv_l > 1.3 * gmv_s), (gmv_l, gmv_s)
    base = sum(g["count"] for g in FIXED_BASE["population"]["initial"])
    # with a 365-day tenure every initial need ends by day 365 (ceil of uniform(0, 365)): all churn
    assert np.all(churn_s + short["churned_deleted"]["none"] == base), churn_s
    assert np.all(churn_l < 0.5 * base), churn_l


# -- (e) trust ----------------------------------------------------------------------------------


def test_nurture_follow_ups_raise_customers_trust() -> None:
    # Nurture with no offers (depth 0) and no tier benefits: what remains are
    # the staff's service contacts (follow-ups after purchases, welcomes, and
    # periodic personal contacts), each moving trust 6 % of the way to 1.
    # Staff capacity (3 x 200 contacts a day) covers every follow-up.
    # Observed over 12 replications: mean trust of customers ~0.446 vs ~0.346,
    # paired difference 0.100 with sd 0.0023; with 4 replications the CI
    # excludes 0 by ~50 half-widths, and the required margin of 0.05 in every
    # replication is ~20 sd below the observed difference.
    nurture = {
        "kind": "nurture",
        "offer_depth": 0.0,
        "welcome_offer_depth": 0.0,
        "grant_tier_benefits": False,
    }
    data = scenario_dict(
        horizon_days=240,
        **FIXED_BASE,
        staff={"count": 3, "personal_contacts_per_person_per_day": 200},
        strategies=[strategy("none", {"kind": "none"}), strategy("nurture", nurture)],
    )
    scenario = privsim.parse_scenario(data)

    def customers_trust(world: World) -> float:
        m = world.members
        customers = m.state[: m.n] == State.CUSTOMER
        return float(m.trust[: m.n][customers].mean())

    none, nurtured = paired_worlds(scenario, *scenario.strategies, 4, customers_trust)
    assert_positive(nurtured - none, "mean trust of customers, nurture - none")
    assert np.all(nurtured > none + 0.05), (nurtured, none)


# -- (f) tier benefits -----------------------------------------------------------------------------


def test_tier_member_discount_only_with_tier_benefits() -> None:
    # Nurture without offers, with and without tier benefits. Without them no
    # order is discounted at all: discounts are exactly 0 (deterministic). With
    # them, members of the "member" (3 %) and "vip" (8 %) tiers get their
    # discount on every order, so discounts are > 0 and at most 8 % of GMV.
    # 3 replications suffice: the "false" side is exactly 0 in each (the
    # "true" side's discount share was 1.1-1.3 % of GMV over 12 replications).
    def nurture(benefits: bool) -> dict:
        return {"kind": "nurture", "offer_depth": 0.0, "welcome_offer_depth": 0.0, "grant_tier_benefits": benefits}

    data = scenario_dict(
        horizon_days=180,
        **FIXED_BASE,
        strategies=[strategy("no_benefits", nurture(False)), strategy("benefits", nurture(True))],
    )
    fig = figures(privsim.parse_scenario(data), replications=3)
    disc, gmv = fig["discounts_rmb"], fig["gmv_list_rmb"]
    assert np.all(disc["no_benefits"] == 0), disc["no_benefits"]
    assert np.all(disc["benefits"] > 0), disc["benefits"]
    assert np.all(disc["benefits"] <= 0.08 * gmv["benefits"] + 1e-6)
    # With a 10 % offer on top, benefits still add discounts: the discount share
    # of GMV was 3.7 % vs 2.6 %, paired difference 0.0115 with sd 0.0015 over 12
    # replications; with 5 the CI half-width is ~0.0019, ~6 half-widths from 0.
    with_offer = scenario_dict(
        horizon_days=180,
        **FIXED_BASE,
        strategies=[
            strategy("no_benefits", {**nurture(False), "offer_depth": 0.1}),
            strategy("benefits", {**nurture(True), "offer_depth": 0.1}),
        ],
    )
    fig = figures(privsim.parse_scenario(with_offer), replications=5)
    share = {s: fig["discounts_rmb"][s] / fig["gmv_list_rmb"][s] for s in ("benefits", "no_benefits")}
    assert_positive(share["benefits"] - share["no_benefits"], "discount share of GMV, benefits - none")

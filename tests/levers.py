"""Shared by the lever tests (tests/policies/test_<lever>.py): accounting, direction, bad parameters.

For each lever (referral, brand_swap, groups, koc_programme, paid_membership,
stored_value, channel_routing, the channels' acquisition incentives,
promo_calendar, tier_coupons, winback) three kinds of test:

- accounting: what the lever books (costs, revenues, flows) equals what an
  independent count of the world says, and members are conserved
  (:func:`assert_books`, applied to every run it is given);
- direction: in a controlled scenario (usually a fixed base of 3000 members
  and no acquisition, so differences come from the lever alone) the lever
  moves its outcome the way the model says. Strategies are compared
  replication by replication on the same random streams (seed 12345), and
  the paired difference's two-sided 95 % Student-t interval must exclude 0;
  where an outcome is a binomial count, it must lie within 4 binomial
  standard deviations of its expectation (a false alarm rate of ~6e-5 per
  check). Each test says how many replications it uses and what spread
  was observed over 12 replications;
- bad parameters: the scenario is rejected with a ScenarioError naming the
  field (``strategies[i].policies[j].<field>``).

Independent counts come from *probes*: do-nothing policies appended to a
strategy whose ``daily`` (run in every tick after the day's timed events and
acquisition, before the day's purchases) records what it sees, and from
spies wrapped around the engine's booking functions (``monkeypatch``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pytest
from pydantic import BaseModel

import privsim
from helpers import scenario_dict, watched_world
from privsim.agents.groups import KocStatus
from privsim.agents.members import State
from privsim.config.operations import Channel
from privsim.policies.base import Policy
from privsim.policies.view import PolicyView
from privsim.scenario import Scenario, Strategy
from privsim.sim import purchases
from privsim.sim.calendar import run
from privsim.sim.ledger import CHURN_FLOW, COSTS, Flow, ReplicationResult, Stock
from privsim.sim.world import World

#: Accounts with room for everyone who wants to join on any day (no leads over capacity).
ROOMY_ACCOUNTS = [
    {"name": "personal", "kind": "personal_wechat", "count": 2, "daily_add_cap": 50000, "members_per_account": 100000},
    {"name": "wecom", "kind": "wecom", "count": 1, "daily_add_cap": 50000, "members_per_account": 100000},
]


# ---------------------------------------------------------------------------------------------------
# Running, probing, checking


class Recording:
    """Wraps a policy: the same actions, and every action it returns on a timed event is kept in ``events``."""

    def __init__(self, inner: Policy) -> None:
        self.inner = inner
        self.events: list[tuple[int, list]] = []
        self.active_at_event: dict[int, set] = {}  # KOCs active when the event's actions are applied

    def on_event(self, view: PolicyView, rng: np.random.Generator) -> list:
        actions = self.inner.on_event(view, rng)
        self.events.append((view.day, list(actions)))
        kocs = view.kocs
        active = np.flatnonzero(kocs.status == KocStatus.ACTIVE)
        self.active_at_event[view.day] = set(active.tolist()) if len(kocs) else set()
        return actions

    def __getattr__(self, name: str):
        return getattr(self.inner, name)


def run_world(
    scenario: Scenario, name: str, rep: int = 0, probes: Sequence = (), wrap: Callable | None = None
) -> tuple[World, ReplicationResult]:
    """Run replication ``rep`` of strategy ``name`` with ``probes`` appended (``wrap`` maps each policy)."""
    s = scenario.strategy(name)
    policies = tuple(wrap(p) if wrap else p for p in s.policies)
    strat = Strategy.model_construct(name=s.name, description="", policies=(*policies, *probes))
    world = watched_world(scenario, strat, rep)
    return world, run(world)


def total(result: ReplicationResult, metric: str) -> float:
    return float(result.monthly[metric].sum())


def parse(**overrides) -> Scenario:
    return privsim.parse_scenario(scenario_dict(**overrides))


def assert_binomial(count: float, n: float, p: float, what: str) -> None:
    """``count`` is within 4 standard deviations of a Binomial(n, p) mean (false alarm ~6e-5)."""
    sd = math.sqrt(n * p * (1.0 - p))
    assert abs(count - n * p) <= 4.0 * sd, f"{what}: {count} vs {n} x {p} = {n * p:.1f} (4 sd = {4 * sd:.1f})"


def paired(
    cases: dict[str, tuple[Scenario, str]], reps: int, measure: Callable[[World, ReplicationResult], object]
) -> dict[str, np.ndarray]:
    """``measure`` of each case (scenario, strategy name), replication by replication on the same streams
    (an array over replications; a tuple-valued measure gives one column per element)."""
    out: dict[str, list[float]] = {label: [] for label in cases}
    for rep in range(reps):
        for label, (scenario, name) in cases.items():
            world, result = run_world(scenario, name, rep)
            assert_books(world, result)
            out[label].append(measure(world, result))
    return {label: np.array(values) for label, values in out.items()}


def metric(name: str) -> Callable[[World, ReplicationResult], float]:
    return lambda world, result: total(result, name)


def metrics_of(*names: str) -> Callable[[World, ReplicationResult], tuple[float, ...]]:
    return lambda world, result: tuple(total(result, name) for name in names)


def assert_books(world: World, result: ReplicationResult) -> None:
    """The accounting invariants every replication must satisfy, month by month.

    - members are conserved: rows = initial base + cumulative ``added``, and
      the state stocks sum to the rows at every month end; ``members_churned``
      is the cumulative sum of the churn flows, which split into lost, ended
      and fake members (each stock the cumulative sum of its flow); the
      reachable members split into the tiers;
    - GMV as paid: ``gmv = gmv_list - discounts``; profit: ``gmv + membership fees (received or earned, as
      costs.membership_fee_recognition says) - (cogs + sum of COSTS) =
      profit``; the repurchase rate over every buyer is at most the retained-only one;
    - no flow and no stock is negative; the breakdowns by account pool and
      by tier (where reported) add up to their totals;
    - the account and group tables agree with the member rows: each account's
      occupancy and each group's size is its count of members not churned,
      no group holds more than its size.
    """
    mo = result.monthly
    scenario = world.scenario
    base = sum(g.count for g in scenario.population.initial)
    m = world.members
    assert m.n == base + mo["added"].sum()
    rows_by_month = base + np.cumsum(mo["added"])
    states = mo["members_added"] + mo["members_customer"] + mo["members_silent"] + mo["members_churned"]
    np.testing.assert_array_equal(states, rows_by_month)
    churned = sum(mo[f] for f in CHURN_FLOW.values())
    np.testing.assert_array_equal(mo["members_churned"], np.cumsum(churned))
    # the churned split into lost, ended and fake members, as flows and as stocks
    np.testing.assert_array_equal(mo["churned_lost"] + mo["churned_ended"] + mo["churned_fake"], churned)
    for flow, stock in (
        ("churned_lost", "members_lost"),
        ("churned_ended", "members_ended"),
        ("churned_fake", "members_fake_gone"),
    ):
        np.testing.assert_array_equal(mo[stock], np.cumsum(mo[flow]), err_msg=stock)
    reachable = mo["members_added"] + mo["members_customer"] + mo["members_silent"]
    np.testing.assert_array_equal(mo["members_reachable"], reachable)
    np.testing.assert_array_equal(sum(mo[f"tier.{t.name}"] for t in scenario.tiers), reachable)
    # breakdowns by account pool and tier, when the engine reports them, add up to the totals
    for prefix, whole in (
        ("by_pool.members.", reachable),
        ("by_pool.added.", mo["added"]),
        ("by_pool.churned.", churned),
        ("by_pool.first_orders.", mo["first_orders"]),
        ("by_tier.gmv_list_rmb.", mo["gmv_list_rmb"]),
    ):
        parts = [v for k, v in mo.items() if k.startswith(prefix)]
        if parts:
            np.testing.assert_allclose(sum(parts), whole, rtol=1e-9, atol=1e-6, err_msg=prefix)
    costs = sum(mo[c] for c in COSTS)
    np.testing.assert_allclose(mo["gmv_rmb"], mo["gmv_list_rmb"] - mo["discounts_rmb"], rtol=1e-9, atol=1e-6)
    fees = (
        "membership_fees_earned_rmb"
        if scenario.costs.membership_fee_recognition == "over_term"
        else "membership_fees_rmb"
    )
    profit = mo["gmv_rmb"] + mo[fees] - (mo["cogs_rmb"] + costs)
    np.testing.assert_allclose(mo["profit_rmb"], profit, rtol=1e-9, atol=1e-6)
    if not np.isnan(result.repurchase_rate):
        assert result.repurchase_rate <= result.repurchase_rate_retained, (
            result.repurchase_rate,
            result.repurchase_rate_retained,
        )
    for name in (*Flow, *Stock):
        assert np.all(mo[name] >= 0), (name, mo[name])
    n = m.n
    alive = m.state[:n] != State.CHURNED
    occupancy = np.bincount(m.account[:n][alive], minlength=len(world.accounts.occupancy))
    np.testing.assert_array_equal(world.accounts.occupancy, occupancy)
    if len(world.groups):
        in_group = alive & (m.group[:n] >= 0)
        sizes = np.bincount(m.group[:n][in_group], minlength=len(world.groups))
        np.testing.assert_array_equal(world.groups.size, sizes)
        assert np.all(world.groups.size <= world.groups.capacity)
    assert np.all(m.group[:n][~alive] == -1)  # churned members left their group


def scenario_error(data: dict) -> privsim.ScenarioError:
    with pytest.raises(privsim.ScenarioError) as info:
        privsim.parse_scenario(data)
    return info.value


def channel_incentive(kind: str, value_rmb: float, threshold_rmb: float = 0.0) -> dict:
    """Channel fields giving leads an incentive, as the Channel model spells them (a nested
    ``incentive:`` model, or the flat ``incentive`` / ``incentive_value_rmb`` fields)."""
    annotation = Channel.model_fields["incentive"].annotation
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return {"incentive": {"kind": kind, "value_rmb": value_rmb, "coupon_threshold_rmb": threshold_rmb}}
    return {"incentive": kind, "incentive_value_rmb": value_rmb, "coupon_threshold_rmb": threshold_rmb}


def referral(
    value_rmb: float = 50.0,
    kind: str = "physical",
    steps: Sequence[tuple[int, float]] = ((3, 30.0), (15, 150.0)),
    **params,
) -> dict:
    reward = {"kind": kind, "value_rmb": value_rmb, "steps": [{"invites": n, "cost_rmb": c} for n, c in steps]}
    return {"kind": "referral", "every_days": 30, "min_tier": 1, "reward": reward, **params}


SWAP_DAYS = (10, 40, 70)


def brand_swap(mechanic: str = "lottery", **params) -> dict:
    return {
        "kind": "brand_swap",
        "days": list(SWAP_DAYS),
        "pool_size": 20000,
        "overlap_share": 0.25,
        "mechanic": mechanic,
        **params,
    }


def groups(**params) -> dict:
    return {"kind": "groups", "group_size": 20, "high_group_size": 10, "staff_posts_per_day": 1.0, **params}


def koc_programme(**params) -> dict:
    return {
        "kind": "koc_programme",
        "target_kocs": 10,
        "standby_share": 0.3,
        "min_purchases_per_year": 15,
        "min_spend_per_year_rmb": 5000,
        "groups_per_koc": 3,
        "fee_per_month_rmb": 300,
        "rotation_days": 60,
        "awards_per_month": 3,
        "award_cost_rmb": 500,
        "first_day": 30,
        **params,
    }


def paid_membership(**params) -> dict:
    return {
        "kind": "paid_membership",
        "fee_rmb": 99.0,
        "duration_days": 90,
        "member_discount": 0.05,
        "monthly_coupon_rmb": 20.0,
        "offer_every_days": 30,
        **params,
    }


def spy_purchases(monkeypatch: pytest.MonkeyPatch, before: Callable, after: Callable) -> None:
    """Wrap purchases.record_purchases: ``before(world, buyers, percent)`` and ``after(world, buyers, state)``
    around each call (``state`` is what ``before`` returned)."""
    original = purchases.record_purchases

    def spy(world, buyers, percent, *args, **kwargs):
        state = before(world, np.asarray(buyers), np.asarray(percent))
        original(world, buyers, percent, *args, **kwargs)
        after(world, np.asarray(buyers), state)

    monkeypatch.setattr(purchases, "record_purchases", spy)


def stored_value(**params) -> dict:
    return {
        "kind": "stored_value",
        "amount_rmb": 500.0,
        "bonus_rmb": 100.0,
        "offer_every_days": 30,
        "min_purchases": 1,
        **params,
    }


def routing(*pools: str, **params) -> dict:
    return {"kind": "channel_routing", "new_members_to": list(pools), **params}


def pool_of(world: World, rows: np.ndarray | slice) -> np.ndarray:
    return world.accounts.pool[world.members.account[rows]]


#: A 3-day sale from 1 March 2025 (day 59), announced 7 days ahead (day 52).
SALE = {"name": "march", "month": 3, "day": 1, "days": 3, "discount_depth": 0.2, "prewarm_days": 7}


TIER_COUPONS = [
    {"tier": 1, "value_rmb": 20.0, "threshold_rmb": 300.0},
    {"tier": 2, "value_rmb": 40.0, "threshold_rmb": 500.0},
    {"tier": 3, "value_rmb": 80.0, "threshold_rmb": 1000.0},
]


WINBACK_DAYS = range(0, 180, 30)


def winback(**params) -> dict:
    return {
        "kind": "winback",
        "inactive_days": 60,
        "min_purchases": 2,
        "offer_depth": 0.2,
        "every_days": 30,
        "mode": "broadcast",
        **params,
    }

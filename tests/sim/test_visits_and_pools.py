"""Shop visits (``behaviour.visit``) and finite addressable pools (``channels[i].addressable_customers``).

Visits. A member who may buy (added or customer) visits the shop on a day
when the day's purchase uniform ``u`` is below
``1 - (1 - min(1, k p)) (1 - c prompted)`` (``k`` = unprompted visits per
order, ``c`` = click chance per prompt, ``p`` the purchase probability); she
buys when ``u < p``. So visits are measurement only: the purchase uniform
and everything else are unchanged whatever ``k`` and ``c`` are. The tests
pin the default (only buyers visit), the unprompted share ``1 - 1/k``, the
invariance of every other metric, and -- with ``c = 1``, where every
prompted member visits -- the exact count of prompted members, taken by a
probe policy that looks at the world before the day's purchases.

Pools. A channel with ``addressable_customers`` brings at most that many
members ever: its leads are capped at the customers not yet added, and
``coverage.<channel>`` (members from it not churned / addressable) is
reported at month end; the calibration measure ``channel_coverage_share``
reads it and ``check_benchmarks`` refuses it on an unlimited channel.

Statistical checks use seed 12345 and say why their tolerance is what it
is; most checks here are exact.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import privsim
from helpers import FIXED_BASE, SEED, Probe, assert_positive, scenario_dict, strategy, watched_world
from privsim import behaviour
from privsim.agents.members import State
from privsim.calibration.cases import check_benchmarks
from privsim.calibration.measures import RunView, Window, measure
from privsim.calibration.registry import Benchmark
from privsim.cli import app
from privsim.config.behaviour import Behaviour
from privsim.core.errors import ScenarioError
from privsim.runner import run_scenario
from privsim.scenario import Scenario, Strategy
from privsim.sim import calendar
from privsim.sim.ledger import ReplicationResult
from privsim.sim.world import World

VISIT_FLOWS = ("visits", "unpaid_visits")


# ---------------------------------------------------------------------------------------------------
# Helpers


def visit(k: float, c: float) -> dict:
    """``behaviour`` overrides for ``unprompted_visits_per_order = k`` and ``click_prob_per_prompt = c``."""
    return {"visit": {"unprompted_visits_per_order": k, "click_prob_per_prompt": c}}


def clearance(depth: float = 0.2, every_days: int = 7) -> dict:
    return {"kind": "clearance", "discount_depth": depth, "every_days": every_days, "offer_window_days": 3}


def wide(run, metrics: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """The run's timeseries of ``metrics``, one column per metric, indexed by strategy, replication, month."""
    ts = run.tables.timeseries
    return ts[ts["metric"].isin(metrics)].pivot_table(
        index=["strategy", "replication", "month"], columns="metric", values="value"
    )


def series(run, metric: str, strategy_name: str = "none", replication: int = 0) -> np.ndarray:
    """Monthly values of one metric of one strategy and replication."""
    ts = run.tables.timeseries
    rows = ts[(ts["metric"] == metric) & (ts["strategy"] == strategy_name) & (ts["replication"] == replication)]
    return rows.sort_values("month")["value"].to_numpy(dtype=float)


def run(data: dict, replications: int = 1, **kwargs):
    return run_scenario(privsim.parse_scenario(data), replications=replications, command=[], **kwargs)


class PromptedCount:
    """Counts, day by day, the members who may buy and are prompted, and how many of them bought that day.

    ``prompted(world)`` is a bool mask over member rows of who is prompted
    today (known before the day's purchases). A row may buy today when it is
    added or customer and has not bought yet today (the engine's rule).
    Whether it bought is read the next day (``last_purchase_day == day``),
    and for the last day after the run.
    """

    def __init__(self, prompted: Callable[[World], np.ndarray]) -> None:
        self.prompted = prompted
        self.by_month: dict[int, list[int]] = {}  # month -> [prompted who may buy, of them bought]
        self._pending: tuple[int, int, np.ndarray] | None = None

    def look(self, world: World) -> None:
        self.settle(world)
        m, n, day = world.members, world.members.n, world.day
        state = m.state[:n]
        may_buy = ((state == State.ADDED) | (state == State.CUSTOMER)) & (m.last_purchase_day[:n] < day)
        rows = np.flatnonzero(may_buy & self.prompted(world))
        self._pending = (day, world.month, rows)

    def settle(self, world: World) -> None:
        if self._pending is None:
            return
        day, month, rows = self._pending
        bought = int((world.members.last_purchase_day[rows] == day).sum())
        counts = self.by_month.setdefault(month, [0, 0])
        counts[0] += len(rows)
        counts[1] += bought
        self._pending = None

    def months(self, n_months: int) -> tuple[np.ndarray, np.ndarray]:
        out = np.zeros((2, n_months))
        for month, (prompted, bought) in self.by_month.items():
            out[:, month] = prompted, bought
        return out[0], out[1]


def run_with_probe(
    scenario: Scenario, name: str, look: Callable[[World], None], rep: int = 0
) -> tuple[World, ReplicationResult]:
    s = scenario.strategy(name)
    strat = Strategy.model_construct(name=s.name, description="", policies=(*s.policies, Probe(look)))
    world = watched_world(scenario, strat, rep)
    return world, calendar.run(world)


#: One account pool with room for everyone and no churn of its own (no deletions, no bans).
ROOMY_NO_CHURN = [
    {
        "name": "personal",
        "kind": "personal_wechat",
        "count": 1,
        "daily_add_cap": 100000,
        "members_per_account": 100000,
        "member_churn_rate_per_year": 0.0,
    }
]


def pool_scenario(addressable: int | None = 200, **overrides) -> dict:
    """A 150-day scenario with a finite channel ``vip`` (40 leads a day, half add) and an unlimited ``sms``."""
    vip = {"name": "vip", "kind": "store_qr", "leads_per_day": 40, "cost_per_lead_rmb": 1.0, "add_rate": 0.5}
    if addressable is not None:
        vip["addressable_customers"] = addressable
    sms = {"name": "sms", "kind": "sms", "leads_per_day": 20, "cost_per_lead_rmb": 0.05, "add_rate": 0.05}
    return scenario_dict(**{"horizon_days": 150, "channels": [vip, sms], **overrides})


# ---------------------------------------------------------------------------------------------------
# Visits: defaults and the unprompted share


def test_visit_defaults_are_only_buyers_visit() -> None:
    b = privsim.parse_scenario(scenario_dict()).behaviour.visit
    assert (b.unprompted_visits_per_order, b.click_prob_per_prompt) == (1.0, 0.0)


def test_by_default_every_visit_is_an_order_and_none_is_unpaid() -> None:
    # No scheduled entries: every order is made in the daily purchases, so
    # with k = 1 and c = 0 a member visits exactly when she buys, even on the
    # clearance strategy's broadcast days (prompts do not count with c = 0).
    # Exact, month by month.
    data = scenario_dict(
        horizon_days=180, strategies=[strategy("none", {"kind": "none"}), strategy("clearance", clearance())]
    )
    assert not data["population"].get("entries")
    table = wide(run(data, replications=2), ["orders", *VISIT_FLOWS])
    assert (table["orders"] > 0).all()
    np.testing.assert_array_equal(table["visits"], table["orders"])
    np.testing.assert_array_equal(table["unpaid_visits"], 0)


def test_orders_of_scheduled_entries_are_not_visits() -> None:
    # Entries join with their first order on their entry day, outside the
    # daily purchases: with the default behaviour, orders - visits is
    # exactly the number of entries of the month (day 10 is in January,
    # day 40 in February).
    data = scenario_dict(
        horizon_days=90, population={"entries": [{"day": 10, "count": 500}, {"day": 40, "count": 300}]}
    )
    result = run(data)
    orders, visits = series(result, "orders"), series(result, "visits")
    np.testing.assert_array_equal(orders - visits, [500, 300, 0])
    np.testing.assert_array_equal(series(result, "unpaid_visits"), 0)


def test_unprompted_browsing_k_4_leaves_three_visits_in_four_unpaid() -> None:
    # k = 4, c = 0, no contacts: a member visits when u < min(1, 4p) and buys
    # when u < p. With the small scenario's purchase probabilities (mean ~3 a
    # year, so p ~ 0.01 a day; 4p > 1 would need a daily rate ~35 times the
    # mean, chance ~e^-35 for the exponential rates) the cap never binds, so
    # given a visit the order is Bernoulli(1/4) and unpaid visits are
    # Binomial(visits, 3/4). The unpaid share must lie within 4 binomial
    # standard deviations of 0.75 (~0.01 for ~25000 visits a replication;
    # false alarm ~6e-5 per check).
    data = scenario_dict(horizon_days=365, behaviour=visit(4.0, 0.0))
    table = wide(run(data, replications=2), ["orders", *VISIT_FLOWS])
    assert (table["unpaid_visits"] > 0).all()
    assert (table["visits"] >= table["orders"]).all()
    np.testing.assert_array_equal(table["visits"] - table["unpaid_visits"], table["orders"])
    totals = table.groupby(level="replication").sum()
    for rep, row in totals.iterrows():
        share = row["unpaid_visits"] / row["visits"]
        sd = np.sqrt(0.75 * 0.25 / row["visits"])
        assert abs(share - 0.75) <= 4 * sd, f"replication {rep}: unpaid share {share:.4f}, 4 sd = {4 * sd:.4f}"


def test_visit_parameters_change_nothing_but_visits() -> None:
    # The purchase uniform is the same whatever k and c: every other metric
    # (orders, GMV, members per state, churn, costs ...) is identical, value
    # for value, on a strategy without contacts and on one that broadcasts.
    strategies = [strategy("none", {"kind": "none"}), strategy("clearance", clearance())]
    plain = run(scenario_dict(horizon_days=120, strategies=strategies, behaviour=visit(1.0, 0.0)))
    browsing = run(scenario_dict(horizon_days=120, strategies=strategies, behaviour=visit(5.0, 0.3)))
    key = ["strategy", "replication", "month", "metric"]
    a = plain.tables.timeseries.set_index(key)["value"]
    b = browsing.tables.timeseries.set_index(key)["value"]
    assert a.index.equals(b.index)
    other = ~a.index.get_level_values("metric").isin(VISIT_FLOWS)
    for metric in ("orders", "gmv_rmb", "members_added", "members_customer", "members_silent", "members_churned"):
        assert metric in set(a.index.get_level_values("metric")[other])
    pd.testing.assert_series_equal(a[other], b[other])
    ra = plain.tables.replications.set_index(["strategy", "replication", "metric"])["value"]
    rb = browsing.tables.replications.set_index(["strategy", "replication", "metric"])["value"]
    keep = ~ra.index.get_level_values("metric").isin(VISIT_FLOWS)
    pd.testing.assert_series_equal(ra[keep], rb[keep])
    # ... and the visits did change (the comparison is not vacuous)
    assert (a.xs("unpaid_visits", level="metric") == 0).all()
    assert (b.xs("unpaid_visits", level="metric") > 0).all()


# ---------------------------------------------------------------------------------------------------
# Visits: prompts (contacts and group posts)


def test_broadcast_prompts_clicks_and_only_with_a_click_chance() -> None:
    # k = 1: without prompts only buyers visit. With c = 0.2 the clearance
    # broadcasts (every 7 days, to every reachable member) bring visits
    # without orders; the none strategy prompts nobody, so its unpaid visits
    # are exactly 0. 3 paired replications: each broadcast reaches ~2000
    # members who may buy, so ~400 unpaid visits a broadcast, >5000 over the
    # 90 days, against exactly 0: the interval excludes 0 by far.
    strategies = [strategy("none", {"kind": "none"}), strategy("clearance", clearance())]
    clicking = run(scenario_dict(horizon_days=90, **FIXED_BASE, strategies=strategies, behaviour=visit(1.0, 0.2)), 3)
    unpaid = {
        s: np.array([series(clicking, "visits", s, r).sum() - series(clicking, "orders", s, r).sum() for r in range(3)])
        for s in ("none", "clearance")
    }
    np.testing.assert_array_equal(unpaid["none"], 0)
    assert_positive(unpaid["clearance"] - unpaid["none"], "visits - orders, clearance - none (c = 0.2)")
    # with c = 0 the same broadcasts bring no visit without an order
    silent = run(scenario_dict(horizon_days=90, **FIXED_BASE, strategies=strategies, behaviour=visit(1.0, 0.0)), 2)
    table = wide(silent, ["orders", *VISIT_FLOWS])
    np.testing.assert_array_equal(table["unpaid_visits"], 0)
    np.testing.assert_array_equal(table["visits"], table["orders"])


def check_prompted_accounting(result: ReplicationResult, counter: PromptedCount, world: World) -> None:
    """With k = 1 and c = 1: unpaid visits = prompted members who may buy - those of them who bought, monthly."""
    counter.settle(world)  # the last day's buyers
    n_months = len(result.monthly["visits"])
    prompted, prompted_bought = counter.months(n_months)
    unpaid = result.monthly["unpaid_visits"]
    assert prompted.sum() > 1000, prompted  # the check is not vacuous
    np.testing.assert_array_equal(unpaid, prompted - prompted_bought)
    np.testing.assert_array_equal(result.monthly["visits"] - unpaid, result.monthly["orders"])


def test_a_contacted_member_who_may_buy_visits_for_sure_with_c_1() -> None:
    # c = 1: every member contacted today who may buy visits (paid or not),
    # the others only when they buy (k = 1). Silent members are contacted by
    # the broadcasts too but may not buy, so they do not visit. Exact.
    data = scenario_dict(
        horizon_days=60, **FIXED_BASE, behaviour=visit(1.0, 1.0), strategies=[strategy("clearance", clearance())]
    )
    scenario = privsim.parse_scenario(data)
    counter = PromptedCount(lambda w: w.members.last_contact_day[: w.members.n] == w.day)
    world, result = run_with_probe(scenario, "clearance", counter.look)
    silent_contacted = world.members.state[: world.members.n] == State.SILENT
    assert silent_contacted.any(), "some broadcast recipients should have dropped out (the check covers them)"
    check_prompted_accounting(result, counter, world)


def test_a_group_post_is_a_prompt() -> None:
    # The groups strategy contacts nobody; its groups post every day
    # (staff_posts_per_day = 1), so with c = 1 every member in a group who
    # may buy visits every day. Exact, as above.
    groups = {"kind": "groups", "group_size": 50, "high_group_size": 20, "staff_posts_per_day": 1.0}
    data = scenario_dict(
        horizon_days=60, **FIXED_BASE, behaviour=visit(1.0, 1.0), strategies=[strategy("groups", groups)]
    )
    scenario = privsim.parse_scenario(data)
    counter = PromptedCount(lambda w: w.members.group[: w.members.n] >= 0)
    world, result = run_with_probe(scenario, "groups", counter.look)
    assert result.monthly["personal_contacts"].sum() == 0 and result.monthly["broadcasts"].sum() == 0
    check_prompted_accounting(result, counter, world)


def test_visit_probability_is_never_below_the_purchase_probability() -> None:
    # The docstring of visit_probability: "It is never below p, so a member
    # who buys has visited: the engine tests both against the same uniform".
    # Purchase probabilities and uniforms are float32 in the engine.
    p = np.linspace(1e-4, 0.5, 5001, dtype=np.float32)
    for k, c in ((1.0, 0.0), (1.0, 0.2), (4.0, 0.0)):
        b = Behaviour.model_validate({"visit": {"unprompted_visits_per_order": k, "click_prob_per_prompt": c}})
        for prompted in (False, True):
            v = behaviour.visit_probability(p, np.full(len(p), prompted), b)
            assert np.all(v >= p), f"k={k}, c={c}, prompted={prompted}: {int((v < p).sum())} of {len(p)} below p"


# ---------------------------------------------------------------------------------------------------
# Bad input


BAD_INPUT = {
    "visits_per_order_below_1": (
        {"behaviour": visit(0.5, 0.0)},
        "behaviour.visit.unprompted_visits_per_order",
        0.5,
        "must be between 1.0 and 100.0",
    ),
    "click_prob_above_1": (
        {"behaviour": visit(1.0, 1.5)},
        "behaviour.visit.click_prob_per_prompt",
        1.5,
        "must be between 0.0 and 1.0",
    ),
    "addressable_customers_0": (
        {"channels": [{"name": "vip", "leads_per_day": 5, "add_rate": 0.5, "addressable_customers": 0}]},
        "channels[0].addressable_customers",
        0,
        "must be between 1 and 10000000",
    ),
    "addressable_customers_not_integer": (
        {"channels": [{"name": "vip", "leads_per_day": 5, "add_rate": 0.5, "addressable_customers": 2.5}]},
        "channels[0].addressable_customers",
        2.5,
        "integer",
    ),
}


@pytest.mark.parametrize("overrides, field, value, allowed", BAD_INPUT.values(), ids=list(BAD_INPUT))
def test_bad_visit_and_pool_parameters_are_rejected_with_the_field(overrides, field, value, allowed) -> None:
    with pytest.raises(ScenarioError) as info:
        privsim.parse_scenario(scenario_dict(**overrides), "brand.yaml")
    err = info.value
    assert (err.source, err.field, err.value) == ("brand.yaml", field, value)
    assert str(err).startswith(f"brand.yaml: {field} = {value} — "), str(err)
    assert allowed in err.allowed, err.allowed
    assert "\n" not in str(err)


@pytest.mark.parametrize("overrides, field, value, allowed", BAD_INPUT.values(), ids=list(BAD_INPUT))
def test_bad_visit_and_pool_parameters_exit_2_in_the_cli(overrides, field, value, allowed, tmp_path: Path) -> None:
    path = tmp_path / "brand.yaml"
    path.write_text(yaml.safe_dump(scenario_dict(**overrides), sort_keys=False), encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 2, (result.output, result.exception)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {path}: {field} = {value} — "), lines[0]
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------------------------------------------
# Finite addressable pools


def test_a_finite_pool_is_used_up_and_then_brings_no_leads() -> None:
    # 200 addressable customers, 40 leads a day when none is added yet: each
    # customer not yet added is approached 40 / 200 = 0.2 times a day and half
    # of the approaches add, so the ones left decay as exp(-0.1 t). Expected
    # leads: 400 (1 - e^-3.1) = 382 in January (31 days), 400 (e^-12 - e^-15)
    # = 0.0025 in the fifth month; 200 e^-15 = 6e-5 customers left at day 150.
    # Accounts have room for all and nobody churns. The unlimited sms channel
    # goes on.
    result = run(pool_scenario(accounts=ROOMY_NO_CHURN), replications=2)
    for rep in range(2):
        leads, added = series(result, "leads.vip", replication=rep), series(result, "added.vip", replication=rep)
        assert added.sum() == 200, added
        assert abs(leads[0] - 382) < 4 * np.sqrt(382), leads  # 4 Poisson standard deviations
        assert np.all(np.diff(leads) <= 0), leads  # 382, ~17, ~0.8, ...: leads fall as the pool is covered
        assert leads[4] == 0 and added[4] == 0, (leads, added)
        assert np.all(series(result, "leads.sms", replication=rep) > 0)
        # once the pool is used up the only acquisition cost is sms's 0.05 RMB a lead
        np.testing.assert_allclose(
            series(result, "acquisition_cost_rmb", replication=rep)[4:],
            0.05 * series(result, "leads.sms", replication=rep)[4:],
        )
        # without churn coverage is the cumulative adds / 200, ending at 1
        coverage = series(result, "coverage.vip", replication=rep)
        np.testing.assert_allclose(coverage, np.cumsum(added) / 200)
        assert coverage[-1] == 1.0 and np.all(np.diff(coverage) >= 0)
    metrics = set(result.tables.timeseries["metric"])
    assert "coverage.vip" in metrics and "coverage.sms" not in metrics


def test_a_pool_limited_by_account_room_never_exceeds_its_size() -> None:
    # The accounts add only 8 members a day in all (both channels share the
    # room): the pool of 200 is not used up in January, its leads go on while
    # it lasts, and the total added through it never exceeds 200.
    tight = [{**ROOMY_NO_CHURN[0], "daily_add_cap": 8}]
    result = run(pool_scenario(accounts=tight))
    added, leads = series(result, "added.vip"), series(result, "leads.vip")
    assert added[0] < 200 and leads[1] > 0, (added, leads)
    assert np.all(np.cumsum(added) <= 200), added
    assert added.sum() == 200  # 150 days x 8 a day leave room for all of them eventually
    assert series(result, "leads_over_capacity").sum() > 0  # room was what limited the adds


def test_coverage_counts_the_pool_members_not_churned() -> None:
    # With the small scenario's accounts members delete the brand account
    # (5 % and 35 % a year), so coverage falls below cumulative adds / 200.
    # At the end of the run it is the count of members from the channel who
    # are not churned, read from the world, / 200 exactly.
    scenario = privsim.parse_scenario(pool_scenario(horizon_days=365))
    world = World(scenario, scenario.strategy("none"), SEED, 0)
    result = calendar.run(world)
    m = world.members
    vip = [c.name for c in scenario.channels].index("vip")
    from_vip = (m.channel[: m.n] == vip) & (m.state[: m.n] != State.CHURNED)
    coverage = result.monthly["coverage.vip"]
    assert coverage[-1] == from_vip.sum() / 200
    cumulative = np.cumsum(result.monthly["added.vip"]) / 200
    assert np.all((coverage >= 0) & (coverage <= cumulative) & (coverage <= 1))
    assert coverage[-1] < cumulative[-1], "someone from the pool should have churned in a year"


def test_no_coverage_metric_without_a_finite_channel() -> None:
    result = run(pool_scenario(addressable=None, horizon_days=60))
    assert not any(str(name).startswith("coverage.") for name in set(result.tables.timeseries["metric"]))


def test_a_huge_pool_is_the_same_as_an_unlimited_channel() -> None:
    # With 10**7 addressable customers (the most a channel may have) the lead
    # rate is scaled by 1 - added / 10**7 > 0.9996: a Poisson draw changes only
    # where it falls on a boundary, so monthly leads and adds agree within
    # 0.5 % (observed at most 0.17 %: one add in ~600) and the metrics are the
    # same but for the added coverage (observed at most 3e-4).
    strategies = [strategy("none", {"kind": "none"}), strategy("clearance", clearance())]
    unlimited = run(pool_scenario(addressable=None, strategies=strategies), replications=2)
    huge = run(pool_scenario(addressable=10**7, strategies=strategies), replications=2)
    key = ["strategy", "replication", "month", "metric"]
    a = unlimited.tables.timeseries.set_index(key)["value"]
    b = huge.tables.timeseries.set_index(key)["value"]
    extra = b.index.get_level_values("metric").str.startswith("coverage.")
    assert set(b.index.get_level_values("metric")[extra]) == {"coverage.vip"}
    assert b[extra].max() < 1e-3
    assert a.index.equals(b[~extra].index)
    for metric in ("leads.vip", "added.vip"):
        np.testing.assert_allclose(b.xs(metric, level="metric"), a.xs(metric, level="metric"), rtol=0.005)
    assert a.xs("leads.vip", level="metric").sum() > 0


def test_coverage_per_replication_is_the_last_month_end_value() -> None:
    result = run(pool_scenario(accounts=ROOMY_NO_CHURN))
    reps = result.tables.replications
    value = reps[(reps["metric"] == "coverage.vip") & (reps["strategy"] == "none")]["value"].to_numpy()
    np.testing.assert_array_equal(value, [series(result, "coverage.vip")[-1]])


# ---------------------------------------------------------------------------------------------------
# Calibration: the measure and the benchmark check


def coverage_benchmark(argument: str | None, **fields) -> Benchmark:
    return Benchmark.model_validate(
        {
            "id": "SYNTH-COVER",
            "case": "SYNTH",
            "use": "holdout",
            "reported": "40%",
            "low": 0.4,
            "high": 0.4,
            "measure": "channel_coverage_share",
            "argument": argument,
            "strategy": "none",
            "months": [0, 2],
            **fields,
        }
    )


def test_channel_coverage_share_is_the_month_end_coverage_unscaled() -> None:
    # A share: the sampling fraction (which scales counts) must not scale it.
    result = run(pool_scenario(horizon_days=120), replications=2)
    for fraction in (1.0, 0.1):
        view = RunView(result.tables, fraction)
        for last in (0, 2):
            values = measure(view, "channel_coverage_share", "none", Window(0, last), "vip")
            expected = [series(result, "coverage.vip", replication=r)[last] for r in range(2)]
            np.testing.assert_array_equal(values, expected)
            assert np.all((values > 0) & (values <= 1))
    with pytest.raises(KeyError, match=r"coverage\.sms"):
        measure(RunView(result.tables), "channel_coverage_share", "none", Window(0, 2), "sms")


def test_check_benchmarks_needs_a_finite_channel_for_coverage() -> None:
    scenario = privsim.parse_scenario(pool_scenario(horizon_days=120))
    check_benchmarks("reg.yaml", [coverage_benchmark("vip")], scenario)  # accepted
    for argument in ("sms", "nope", None):
        with pytest.raises(ScenarioError) as info:
            check_benchmarks("reg.yaml", [coverage_benchmark(argument)], scenario)
        err = info.value
        assert (err.source, err.field, err.value) == ("reg.yaml", "benchmarks[SYNTH-COVER].argument", argument)
        assert "addressable_customers" in err.allowed and "vip" in err.allowed, err.allowed
    unlimited = privsim.parse_scenario(pool_scenario(addressable=None, horizon_days=120))
    with pytest.raises(ScenarioError, match=r"benchmarks\[SYNTH-COVER\]\.argument = 'vip' — .*has none"):
        check_benchmarks("reg.yaml", [coverage_benchmark("vip")], unlimited)
    # other measures do not care about finite channels
    check_benchmarks("reg.yaml", [coverage_benchmark(None, measure="gmv_per_month_rmb")], unlimited)


def test_validate_refuses_a_coverage_benchmark_on_an_unlimited_channel(tmp_path: Path) -> None:
    (tmp_path / "synth.yaml").write_text(
        yaml.safe_dump(pool_scenario(horizon_days=120), sort_keys=False), encoding="utf-8"
    )
    registry = tmp_path / "benchmarks.yaml"
    case = {
        "id": "SYNTH",
        "source": "synthetic",
        "scenario": "synth.yaml",
        "calibrated": "synth.calibrated.yaml",
        "replications": 1,
    }
    bench = coverage_benchmark("sms").model_dump(mode="json")
    registry.write_text(yaml.safe_dump({"cases": [case], "benchmarks": [bench]}, sort_keys=False), encoding="utf-8")
    before = sorted(p.name for p in tmp_path.iterdir())
    result = CliRunner().invoke(
        app, ["validate", "--registry", str(registry), "--out", str(tmp_path / "V.md"), "-j", "1"]
    )
    assert result.exit_code == 2, (result.output, result.exception)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {registry}"), lines[0]
    assert "benchmarks[SYNTH-COVER].argument = 'sms'" in lines[0] and "addressable_customers" in lines[0], lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == before

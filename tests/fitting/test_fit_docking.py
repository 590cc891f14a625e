"""Docking: the simulator, run on a population block from ``privsim fit``, reproduces the fit's forecast.

A synthetic BG/NBD log (4,000 customers, 78 weeks from 2024-01-01) is
fitted with calibration to 2024-12-31, a month end. The scenario is built
from the fit document alone (:func:`privsim.fitting.scenario_block.docking_scenario`:
the population block, the cohort entering on its first-purchase days, and
the default behaviour, which is neutral to it: trust acting only relative to
each member's own baseline, no trust gain per purchase, no offers, no
contacts, no deletions).
Forty replications of the engine are compared with the analytic forecast
``C(D) = sum_i E[X((D - d_i) / 7)]`` (:mod:`privsim.fitting.forecast`) of
the fitted BG/NBD: the repeat purchases over the holdout (2025-01-01 ..
2025-06-29), cumulated to each month end.

If this fails, the simulator's behaviour core and the fitted model differ.

An entrant makes no other order on its entry day (one order per member
and day, as the fit merges same-day orders); the test at the end pins it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import privsim
from privsim.fitting import bgnbd, fitfile, forecast, orders, scenario_block
from privsim.fitting.synthetic import simulate_orders
from privsim.sim.calendar import simulate

CALIBRATION_END = dt.date(2024, 12, 31)
REPLICATIONS = 40


@pytest.fixture(scope="module")
def document() -> dict:
    log = orders.clean_orders(simulate_orders(4000, 78, 3), orders.Columns(), "<docking log>")
    return fitfile.fit_order_log(log, log.day_of(CALIBRATION_END))


def _scenario(document: dict, **overrides) -> privsim.Scenario:
    sim = document["simulator"]
    data = scenario_block.docking_scenario(
        dt.date.fromisoformat(sim["start_date"]), sim["horizon_days"], sim["population"], seed=7
    )
    return privsim.parse_scenario({**data, **overrides}, "<docking scenario>")


def _month_ends(scenario: privsim.Scenario) -> np.ndarray:
    """Last simulated day of each calendar month of the scenario."""
    month = scenario.month_of_day()
    return np.flatnonzero(np.r_[month[1:] != month[:-1], True])


def _simulated_cumulative_repeats(scenario: privsim.Scenario) -> np.ndarray:
    """[replication, month] cumulative repeat purchases (orders - first_orders) at month ends."""
    runs = []
    for k in range(REPLICATIONS):
        monthly = simulate(scenario, scenario.strategies[0], scenario.seed, k).monthly
        runs.append(np.cumsum(monthly["orders"] - monthly["first_orders"]))
    return np.array(runs)


def test_population_block_converts_the_fit_exactly(document):
    bg = document["models"]["bgnbd"]["params"]
    gg = document["models"]["gammagamma"]["params"]
    pop = document["simulator"]["population"]
    assert "gammagamma_for_simulator" not in document["models"]  # q > 2 here: the block is the free fit
    assert pop["purchase_rate"]["shape"] == bg["r"]
    assert pop["purchase_rate"]["mean_per_year"] == pytest.approx(bg["r"] / bg["alpha"] * 365 / 7, rel=1e-12)
    assert pop["dropout_after_purchase"]["mean"] == pytest.approx(bg["a"] / (bg["a"] + bg["b"]), rel=1e-12)
    assert pop["dropout_after_purchase"]["concentration"] == pytest.approx(bg["a"] + bg["b"], rel=1e-12)
    assert pop["order_value"]["mean_rmb"] == pytest.approx(gg["p"] * gg["gamma"] / (gg["q"] - 1), rel=1e-12)
    assert pop["order_value"]["cv_across_members"] == pytest.approx((gg["q"] - 2) ** -0.5, rel=1e-12)
    assert pop["order_value"]["cv_within_member"] == pytest.approx(gg["p"] ** -0.5, rel=1e-12)
    assert sum(e["count"] for e in pop["entries"]) == document["data"]["cohort_customers"] == 4000
    scenario = _scenario(document)
    assert scenario.start_date == dt.date(2024, 1, 1) and scenario.horizon_days == 78 * 7


@pytest.mark.slow
def test_simulator_reproduces_the_analytic_holdout_forecast(document):
    scenario = _scenario(document)
    ends = _month_ends(scenario)
    cal = document["periods"]["calibration_end_day"]
    assert cal in ends
    sims = _simulated_cumulative_repeats(scenario)
    holdout = ends >= cal
    sims = sims[:, holdout] - sims[:, holdout][:, :1]  # repeat purchases since the calibration end
    params = np.array(list(document["models"]["bgnbd"]["params"].values()))
    cohort = document["cohort"]
    expected = forecast.cumulative_expected(
        lambda t: bgnbd.expected_repeat(params, t), cohort["first_purchase_day"], cohort["count"], ends[holdout]
    )
    expected = expected - expected[0]
    mean = sims.mean(axis=0)
    standard_error = sims.std(axis=0, ddof=1) / np.sqrt(REPLICATIONS)
    # Tolerance = sampling noise + daily discretisation:
    # - noise: 3 standard errors of the mean of the replications (their own sd / sqrt(40));
    # - discretisation: the engine allows one purchase a day with p = 1 - exp(-lambda_day) < lambda_day,
    #   a relative deficit of at most lambda_day / 2 per purchase; averaged over customers (purchase-
    #   weighted, high-rate customers drop out sooner) it is at most E[lambda^2] / (2 E[lambda]) =
    #   (r + 1) / (2 alpha_day), alpha_day = 7 alpha. Here about 1.2 %; the exact discrete-time
    #   expectation (by Monte Carlo over lambda, p) is 0.5 % below the continuous one over this holdout,
    #   and the mean of these 40 replications is within 0.1 % of it.
    r, alpha = params[0], params[1]
    discretisation = (r + 1) / (2 * 7 * alpha)
    tolerance = 3 * standard_error + discretisation * expected
    gap = mean - expected
    report = "; ".join(
        f"day {d}: sim {s:.0f} vs {e:.0f} (tol {t:.0f})"
        for d, s, e, t in zip(ends[holdout], mean, expected, tolerance, strict=True)
    )
    assert np.all(np.abs(gap[1:]) <= tolerance[1:]), report
    assert expected[-1] > 2000  # a holdout with substance: over 2,000 repeat purchases expected


def test_entrants_do_not_buy_again_on_their_entry_day():
    # Customers buying 5 times a day on average would, on a day they may buy, buy with p = 1 - e^-5.
    data = scenario_block.docking_scenario(
        dt.date(2025, 1, 1),
        1,
        {
            "purchase_rate": {"mean_per_year": 5 * 365, "shape": 50.0},
            "entries": [{"day": 0, "count": 1000}],
        },
    )
    scenario = privsim.parse_scenario(data)
    monthly = simulate(scenario, scenario.strategies[0], 0, 0).monthly
    assert monthly["first_orders"][0] == 1000
    assert monthly["orders"][0] - monthly["first_orders"][0] == 0


def test_order_values_too_heavy_tailed_for_the_simulator_use_its_limit():
    # q = 1.8: members' mean order values have infinite variance, which cv_across_members cannot express.
    from privsim.fitting import gammagamma
    from privsim.fitting.synthetic import TrueParams

    frame = simulate_orders(4000, 78, 2, TrueParams(q=1.8, gamma=150.0))
    document = fitfile.fit_order_log(orders.clean_orders(frame, orders.Columns(), "<heavy>"), 7 * 52 - 1)
    free = document["models"]["gammagamma"]["params"]
    limited = document["models"]["gammagamma_for_simulator"]
    assert free["q"] < gammagamma.Q_MIN
    assert limited["params"]["q"] == gammagamma.Q_MIN and limited["se"]["q"] is None
    assert limited["loglik"] <= document["models"]["gammagamma"]["loglik"]
    order_value = document["simulator"]["population"]["order_value"]
    assert order_value["cv_across_members"] == pytest.approx(gammagamma.CV_ACROSS_MAX)
    assert order_value["cv_within_member"] == pytest.approx(limited["params"]["p"] ** -0.5)
    _scenario(document)  # the block is valid

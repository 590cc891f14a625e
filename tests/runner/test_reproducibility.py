"""Reproducibility: the same scenario and seed give byte-identical results.

- two runs of the same scenario and seed write identical CSV files, and
  their manifests differ only in the times;
- ``jobs=1`` and ``jobs=2`` give identical tables (streams are keyed by
  (seed, replication), not by worker or completion order);
- another seed gives different numbers;
- common random numbers: two strategies with the same policies (different
  names) see the same random streams, so every paired difference is exactly 0.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import privsim
from helpers import scenario_dict, strategy
from privsim.runner import Run, run_scenario

TABLE_FILES = ("summary.csv", "differences.csv", "replications.csv", "timeseries.csv", "cohorts.csv")
#: Manifest keys that record when the run happened (the only ones allowed to differ).
TIME_KEYS = {"started_at", "finished_at", "elapsed_seconds"}
REPLICATIONS = 3


def _scenario_and_text() -> tuple[privsim.Scenario, str]:
    data = scenario_dict(
        horizon_days=200,
        strategies=[
            strategy("none", {"kind": "none"}),
            strategy("clearance", {"kind": "clearance", "discount_depth": 0.4, "every_days": 7}),
        ],
    )
    return privsim.parse_scenario(data), json.dumps(data, sort_keys=True)


@pytest.fixture(scope="module")
def scenario_and_text() -> tuple[privsim.Scenario, str]:
    return _scenario_and_text()


@pytest.fixture(scope="module")
def first_run(scenario_and_text) -> Run:
    scenario, text = scenario_and_text
    return run_scenario(scenario, text, replications=REPLICATIONS, jobs=1)


def test_same_seed_writes_identical_files(scenario_and_text, first_run: Run, tmp_path: Path) -> None:
    scenario, text = scenario_and_text
    second = run_scenario(scenario, text, replications=REPLICATIONS, jobs=1)
    a, b = first_run.write(tmp_path / "a"), second.write(tmp_path / "b")
    for name in TABLE_FILES:
        data_a, data_b = (a / name).read_bytes(), (b / name).read_bytes()
        assert len(data_a) > 100, f"{name} is (nearly) empty"
        assert data_a == data_b, f"{name} differs between two runs with the same seed"
    assert (a / "scenario.yaml").read_bytes() == (b / "scenario.yaml").read_bytes()

    man_a = json.loads((a / "manifest.json").read_text(encoding="utf-8"))
    man_b = json.loads((b / "manifest.json").read_text(encoding="utf-8"))
    assert set(man_a) >= TIME_KEYS, "manifest lost its time keys: update TIME_KEYS"
    assert set(man_a) == set(man_b)
    strip = lambda man: {k: v for k, v in man.items() if k not in TIME_KEYS}  # noqa: E731
    assert strip(man_a) == strip(man_b)
    assert man_a["seed"] == scenario.seed and man_a["replications"] == REPLICATIONS
    assert man_a["strategies"] == ["none", "clearance"]


def test_jobs_do_not_change_results(scenario_and_text, first_run: Run) -> None:
    scenario, text = scenario_and_text
    parallel = run_scenario(scenario, text, replications=REPLICATIONS, jobs=2)
    for name in ("summary", "differences", "replications", "timeseries", "cohorts"):
        pd.testing.assert_frame_equal(
            getattr(first_run.tables, name), getattr(parallel.tables, name), check_exact=True, obj=name
        )


def test_another_seed_gives_other_numbers(scenario_and_text, first_run: Run) -> None:
    scenario, text = scenario_and_text
    other = run_scenario(scenario, text, replications=REPLICATIONS, seed=scenario.seed + 1, jobs=1)
    a = first_run.tables.replications.set_index(["strategy", "replication", "metric"])["value"]
    b = other.tables.replications.set_index(["strategy", "replication", "metric"])["value"]
    assert a.index.equals(b.index)
    for metric in ("orders", "gmv_rmb", "leads", "churned_deleted"):
        va, vb = a.xs(metric, level="metric").to_numpy(), b.xs(metric, level="metric").to_numpy()
        assert not np.array_equal(va, vb), f"{metric} identical under another seed"
    # replications of one run differ from each other too (independent streams)
    orders = a.xs(("none", "orders"), level=("strategy", "metric")).to_numpy()
    assert len(set(orders)) == REPLICATIONS


def test_common_random_numbers_make_identical_strategies_pair_to_zero() -> None:
    nurture = {"kind": "nurture", "offer_every_days": 20, "offer_depth": 0.15}
    clearance = {"kind": "clearance", "discount_depth": 0.3, "every_days": 10}
    data = scenario_dict(
        horizon_days=200,
        strategies=[strategy("a", nurture, clearance), strategy("b", nurture, clearance)],
    )
    run = run_scenario(privsim.parse_scenario(data), replications=REPLICATIONS, jobs=1)
    diff = run.tables.differences
    assert set(diff["strategy"]) == {"b"} and set(diff["baseline"]) == {"a"}
    finite = diff[diff["n"] > 0]
    assert len(finite) > 20
    # every metric's paired difference is exactly zero in every replication
    assert (finite["mean"] == 0).all(), finite[finite["mean"] != 0]
    assert (finite["sd"] == 0).all()
    assert (finite["ci_low"] == 0).all() and (finite["ci_high"] == 0).all()
    reps = run.tables.replications.pivot_table(
        index=["metric", "replication"], columns="strategy", values="value", dropna=False
    )
    both = reps.dropna()
    assert len(both) > 20
    np.testing.assert_array_equal(both["a"].to_numpy(), both["b"].to_numpy())
    assert reps.loc["orders", "a"].sum() > 0

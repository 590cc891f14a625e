"""The data behind the figures of :mod:`privsim.reporting.plots`: tables a test or a notebook can check.

Each is computed from a results folder's tables alone; means and 95 %
confidence intervals are over replications, as in the summary table
(:func:`privsim.results.t_interval`).
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from privsim.core.errors import PrivsimError
from privsim.results import Results, t_interval

#: Funnel steps: per-channel metric prefix → bar label.
FUNNEL_STEPS = {
    "leads": "leads (people reached)",
    "added": "added (members)",
    "first_orders": "first purchase (members)",
    "repeat_orders": "repeat purchases (orders)",
}


def monthly_mean_ci(results: Results, metric: str) -> pd.DataFrame:
    """``strategy, month, month_start, mean, ci_low, ci_high, n`` of a metric over replications."""
    ts = results.timeseries
    rows = ts[ts["metric"] == metric]
    if rows.empty:
        raise PrivsimError(f"{results.path}: timeseries.csv has no metric {metric!r}")
    return mean_ci(rows, ["strategy", "month", "month_start"], "value")


def pooled_retention(results: Results) -> pd.DataFrame:
    """``strategy, months_since_join, mean, ci_low, ci_high, n``: active ÷ joined over all cohorts, per replication."""
    pooled = results.cohorts.groupby(["strategy", "replication", "months_since_join"], sort=False)[
        ["active", "cohort_size"]
    ].sum()
    pooled["retention"] = pooled["active"] / pooled["cohort_size"]
    return mean_ci(pooled.reset_index(), ["strategy", "months_since_join"], "retention")


def funnel_table(results: Results) -> pd.DataFrame:
    """``strategy, channel, step, mean, ci_low, ci_high, n``: funnel totals over the horizon.

    Per channel from the ``<step>.<channel>`` flows when every step is there
    for a channel; otherwise one channel ``all`` from the totals (the
    ``repeat_orders`` step is ``orders - first_orders``).
    """
    reps = results.replications
    metrics = set(reps["metric"])
    channels = [m.removeprefix("leads.") for m in reps["metric"].unique() if m.startswith("leads.")]
    channels = [c for c in channels if all(f"{step}.{c}" in metrics for step in FUNNEL_STEPS)]
    if channels:
        split = reps["metric"].str.partition(".")
        rows = reps.assign(step=split[0], channel=split[2])
        rows = rows[rows["step"].isin(list(FUNNEL_STEPS)) & rows["channel"].isin(channels)]
    else:
        needed = {"leads", "added", "first_orders", "orders"}
        if not needed <= metrics:
            raise PrivsimError(f"{results.path}: replications.csv lacks {', '.join(sorted(needed - metrics))}")
        wide = reps[reps["metric"].isin(list(needed))].pivot_table(
            index=["strategy", "replication"], columns="metric", values="value"
        )
        wide["repeat_orders"] = wide["orders"] - wide["first_orders"]
        rows = (
            cast(pd.Series, wide[list(FUNNEL_STEPS)].stack())
            .rename("value")
            .reset_index()
            .rename(columns={"metric": "step"})
        )
        rows["channel"] = "all"
    return mean_ci(rows, ["strategy", "channel", "step"], "value")


def monthly_means(results: Results, strategy: str, metrics: list[str]) -> pd.DataFrame:
    """Month × metric table of means over replications (index: month_start)."""
    ts = results.timeseries
    rows = ts[(ts["strategy"] == strategy) & ts["metric"].isin(metrics)]
    missing = set(metrics) - set(rows["metric"])
    if missing:
        raise PrivsimError(f"{results.path}: timeseries.csv has no {', '.join(sorted(missing))} for {strategy}")
    return rows.pivot_table(index="month_start", columns="metric", values="value", aggfunc="mean")[metrics]


def tier_shares(results: Results, strategy: str, tiers: list[str]) -> pd.DataFrame:
    """Month × tier: each tier's share of the reachable members, averaged over replications."""
    ts = results.timeseries
    rows = ts[(ts["strategy"] == strategy) & ts["metric"].isin(tiers)]
    counts = rows.pivot_table(index=["replication", "month_start"], columns="metric", values="value")[tiers]
    with np.errstate(invalid="ignore", divide="ignore"):
        return counts.div(counts.sum(axis=1), axis=0).groupby(level="month_start").mean()


def mean_ci(rows: pd.DataFrame, keys: list[str], column: str) -> pd.DataFrame:
    """Mean and 95 % t-interval (as in the summary table) of ``column`` per ``keys``, over replications."""
    out = [(*key, *t_interval(group[column].to_numpy())) for key, group in rows.groupby(keys, sort=True)]
    return pd.DataFrame(out, columns=[*keys, "mean", "ci_low", "ci_high", "sd", "n"]).drop(columns="sd")

"""Measures: how a simulated run is read to compare it with a reported figure.

Every measure takes a run's tables, a strategy, a window of months and
(for some) an argument, and returns one value per replication. A window
``(first, last)`` covers calendar months ``first .. last`` of the horizon
(0-based, inclusive). *Flows* are summed over the window's months; a
*stock at the window's end* is the month-end value of month ``last``; a
*stock at the window's start* is the month-end value of month ``first``
(so flows "during the window" for such measures are months
``first + 1 .. last``); a *mean stock* averages the month-end values of the
window's months. Counts of members and money are scaled by
``1 / sampling_fraction`` where a case runs a sample of its members; shares
and ratios are not.

Measures (the argument, if any, in brackets):

The GMV measures read ``gmv_list_rmb`` (list price, before discounts) and
the repurchase measures ``repurchase_rate_retained`` (see :data:`GMV` and
:data:`REPURCHASE_RATE`).

gmv_per_month_rmb
    Mean monthly ``gmv_list_rmb`` over the window (scaled).
gmv_per_member_year_rmb
    ``gmv_list_rmb`` over the window x 12 / months, divided by the mean
    ``members_reachable`` (scale cancels).
profit_share
    ``profit_rmb / gmv_list_rmb`` over the window.
repurchase_rate
    The replication's ``repurchase_rate_retained`` (see privsim.metrics; the
    window is not used: the reference day is ``horizon - 366``).
members_reachable_end, active_members_end, silent_members_end
    Members not churned; of them, active (bought in the last 90 days); and
    the rest (``members_reachable - active_members``), at the window's end (scaled).
lost_or_silent_share
    ``1 - active_members(end) / members_reachable(start)``: the share of
    the members at the window's start who, at its end, are churned, inactive
    for 90 days, or were replaced by newcomers who are not active either.
churn_share
    Members churned (all reasons) during the window / ``members_reachable`` at its start.
churn_rate_per_year_by_pool [pool]
    ``by_pool.churned`` over the window / mean ``by_pool.members`` x 12 / months.
first_order_conversion_by_pool [pool]
    ``by_pool.first_orders / by_pool.added`` over the window.
visit_unpaid_share
    ``unpaid_visits / visits`` over the window (shop visits without an order).
add_rate [channel, optional]
    ``added / leads`` over the window (of one channel when given).
channel_coverage_share [channel]
    ``coverage.<channel>`` at the window's end: the share of a channel's
    addressable customers who are members (see privsim.metrics).
swap_join_share
    ``swap_joined / swap_contacts`` over the window.
referral_cac_rmb
    ``referral_reward_cost_rmb / referral_joined`` over the window.
paid_member_share
    ``paid_members / members_reachable`` at the window's end.
paid_spend_ratio
    GMV (list price: ``gmv_paid_members_rmb`` and the rest of
    ``gmv_list_rmb``) per paid member-month / per other member-month over the
    window (member-months from month-end stocks).
paid_orders_per_month
    ``orders_paid_members`` / paid member-months over the window.
tier_gmv_share [tier]
    ``by_tier.gmv_list_rmb.<tier> / gmv_list_rmb`` over the window.
gmv_per_month_ratio
    ``gmv_per_month_rmb`` of the strategy / that of the benchmark's
    ``versus`` strategy, replication by replication (paired).
members_in_groups_share
    ``members_in_groups / members_reachable`` at the window's end.
paid_members_in_groups_share
    ``paid_members_in_groups / paid_members`` at the window's end.
active_365_end
    Members who bought within the last 365 days at the window's end (scaled).
swap_new_members_max
    The largest monthly ``swap_joined + swap_friends_joined`` in the window
    (the new members one swap brought "in one go", scaled).
paid_lift_quick_second_purchase
    ``buyers_quick_second_paid / buyers_quick_second - buyers_other_paid /
    buyers_other`` at the window's end: how much likelier members who bought
    again within 30 days of their first purchase (made during the run) are
    to have held a paid membership than the other first-time buyers.
repurchase_rate_difference
    ``repurchase_rate_retained`` of the strategy minus that of ``versus``, paired by replication.
koc_active_end
    Active KOCs at the window's end (scaled).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from privsim.results import RunTables

# The cases were calibrated on GMV at list price and on the retained-only repurchase rate (the metrics named
# gmv_rmb and repurchase_rate before issue 27 made those names GMV as paid and the rate over every buyer), so
# the measures read these metrics and every case's measured values stay as they were. A measure is re-specified
# only by the calibration issue's rule, not by renaming a metric.
#: The GMV every GMV measure reads: list price, before discounts.
GMV = "gmv_list_rmb"
#: The repurchase rate the repurchase measures read: retained-only (customers not churned on the reference day).
REPURCHASE_RATE = "repurchase_rate_retained"


@dataclass(frozen=True)
class Window:
    """Calendar months ``first .. last`` (0-based, inclusive)."""

    first: int
    last: int

    @property
    def months(self) -> int:
        return self.last - self.first + 1


class RunView:
    """A run's timeseries as [replication, month] arrays per (strategy, metric), counts scaled."""

    def __init__(self, tables: RunTables, sampling_fraction: float = 1.0) -> None:
        self.tables = tables
        self.scale = 1.0 / sampling_fraction
        ts = tables.timeseries
        self._wide = {
            key: group.pivot(index="replication", columns="month", values="value")
            for key, group in ts.groupby(["strategy", "metric"], sort=False)
        }

    def series(self, strategy: str, metric: str) -> np.ndarray:
        """[replication, month] values of ``metric`` (KeyError naming what exists when absent)."""
        try:
            return self._wide[(strategy, metric)].to_numpy(dtype=float)
        except KeyError:
            raise KeyError(f"the run has no metric {metric!r} for strategy {strategy!r}") from None

    def flow(self, strategy: str, metric: str, window: Window, skip_first: bool = False) -> np.ndarray:
        """Sum over the window's months, per replication."""
        first = window.first + 1 if skip_first else window.first
        return self.series(strategy, metric)[:, first : window.last + 1].sum(axis=1)

    def at(self, strategy: str, metric: str, month: int) -> np.ndarray:
        """Month-end value, per replication."""
        return self.series(strategy, metric)[:, month]

    def mean_stock(self, strategy: str, metric: str, window: Window) -> np.ndarray:
        return self.series(strategy, metric)[:, window.first : window.last + 1].mean(axis=1)

    def replication_value(self, strategy: str, metric: str) -> np.ndarray:
        table = self.tables.replications
        rows = table[(table["strategy"] == strategy) & (table["metric"] == metric)]
        return rows.sort_values("replication")["value"].to_numpy(dtype=float)


Measure = Callable[[RunView, str, Window, "str | None", "str | None"], np.ndarray]


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), np.nan)


def gmv_per_month_rmb(run: RunView, strategy: str, window: Window, argument=None, versus=None) -> np.ndarray:
    return run.flow(strategy, GMV, window) / window.months * run.scale


def gmv_per_member_year_rmb(run: RunView, strategy: str, window: Window, argument=None, versus=None) -> np.ndarray:
    yearly = run.flow(strategy, GMV, window) * 12.0 / window.months
    return _ratio(yearly, run.mean_stock(strategy, "members_reachable", window))


def profit_share(run: RunView, strategy: str, window: Window, argument=None, versus=None) -> np.ndarray:
    return _ratio(run.flow(strategy, "profit_rmb", window), run.flow(strategy, GMV, window))


def repurchase_rate(run: RunView, strategy: str, window: Window, argument=None, versus=None) -> np.ndarray:
    return run.replication_value(strategy, REPURCHASE_RATE)


def members_reachable_end(run: RunView, strategy: str, window: Window, argument=None, versus=None) -> np.ndarray:
    return run.at(strategy, "members_reachable", window.last) * run.scale


def active_members_end(run: RunView, strategy: str, window: Window, argument=None, versus=None) -> np.ndarray:
    return run.at(strategy, "active_members", window.last) * run.scale


def silent_members_end(run: RunView, strategy: str, window: Window, argument=None, versus=None) -> np.ndarray:
    reachable = run.at(strategy, "members_reachable", window.last)
    return (reachable - run.at(strategy, "active_members", window.last)) * run.scale


def lost_or_silent_share(run: RunView, strategy: str, window: Window, argument=None, versus=None) -> np.ndarray:
    start = run.at(strategy, "members_reachable", window.first)
    return 1.0 - _ratio(run.at(strategy, "active_members", window.last), start)


def churn_share(run: RunView, strategy: str, window: Window, argument=None, versus=None) -> np.ndarray:
    churned = functools.reduce(
        operator.add,
        (
            run.flow(strategy, f"churned_{reason}", window, skip_first=True)
            for reason in ("blocked", "deleted", "lifecycle", "banned")
        ),
    )
    return _ratio(churned, run.at(strategy, "members_reachable", window.first))


def churn_rate_per_year_by_pool(run: RunView, strategy: str, window: Window, argument=None, versus=None) -> np.ndarray:
    churned = run.flow(strategy, f"by_pool.churned.{argument}", window)
    members = run.mean_stock(strategy, f"by_pool.members.{argument}", window)
    return _ratio(churned * 12.0 / window.months, members)


def first_order_conversion_by_pool(
    run: RunView, strategy: str, window: Window, argument=None, versus=None
) -> np.ndarray:
    return _ratio(
        run.flow(strategy, f"by_pool.first_orders.{argument}", window),
        run.flow(strategy, f"by_pool.added.{argument}", window),
    )


def visit_unpaid_share(run: RunView, strategy: str, window: Window, argument=None, versus=None) -> np.ndarray:
    return _ratio(run.flow(strategy, "unpaid_visits", window), run.flow(strategy, "visits", window))


def add_rate(run: RunView, strategy: str, window: Window, argument=None, versus=None) -> np.ndarray:
    suffix = f".{argument}" if argument else ""
    return _ratio(run.flow(strategy, f"added{suffix}", window), run.flow(strategy, f"leads{suffix}", window))


def channel_coverage_share(run: RunView, strategy: str, window: Window, argument=None, versus=None) -> np.ndarray:
    return run.at(strategy, f"coverage.{argument}", window.last)


def swap_join_share(run: RunView, strategy: str, window: Window, argument=None, versus=None) -> np.ndarray:
    return _ratio(run.flow(strategy, "swap_joined", window), run.flow(strategy, "swap_contacts", window))


def referral_cac_rmb(run: RunView, strategy: str, window: Window, argument=None, versus=None) -> np.ndarray:
    return _ratio(run.flow(strategy, "referral_reward_cost_rmb", window), run.flow(strategy, "referral_joined", window))


def paid_member_share(run: RunView, strategy: str, window: Window, argument=None, versus=None) -> np.ndarray:
    return _ratio(run.at(strategy, "paid_members", window.last), run.at(strategy, "members_reachable", window.last))


def paid_spend_ratio(run: RunView, strategy: str, window: Window, argument=None, versus=None) -> np.ndarray:
    paid_gmv = run.flow(strategy, "gmv_paid_members_rmb", window)
    paid_months = run.flow(strategy, "paid_members", window)
    other_gmv = run.flow(strategy, GMV, window) - paid_gmv
    other_months = run.flow(strategy, "members_reachable", window) - paid_months
    return _ratio(_ratio(paid_gmv, paid_months), _ratio(other_gmv, other_months))


def paid_orders_per_month(run: RunView, strategy: str, window: Window, argument=None, versus=None) -> np.ndarray:
    return _ratio(run.flow(strategy, "orders_paid_members", window), run.flow(strategy, "paid_members", window))


def tier_gmv_share(run: RunView, strategy: str, window: Window, argument=None, versus=None) -> np.ndarray:
    return _ratio(run.flow(strategy, f"by_tier.{GMV}.{argument}", window), run.flow(strategy, GMV, window))


def gmv_per_month_ratio(run: RunView, strategy: str, window: Window, argument=None, versus=None) -> np.ndarray:
    if versus is None:
        raise ValueError("gmv_per_month_ratio needs the benchmark's `versus` strategy")
    return _ratio(run.flow(strategy, GMV, window), run.flow(versus, GMV, window))


def members_in_groups_share(run: RunView, strategy: str, window: Window, argument=None, versus=None) -> np.ndarray:
    return _ratio(
        run.at(strategy, "members_in_groups", window.last), run.at(strategy, "members_reachable", window.last)
    )


def paid_members_in_groups_share(run: RunView, strategy: str, window: Window, argument=None, versus=None) -> np.ndarray:
    return _ratio(
        run.at(strategy, "paid_members_in_groups", window.last), run.at(strategy, "paid_members", window.last)
    )


def active_365_end(run: RunView, strategy: str, window: Window, argument=None, versus=None) -> np.ndarray:
    return run.at(strategy, "active_members_365", window.last) * run.scale


def swap_new_members_max(run: RunView, strategy: str, window: Window, argument=None, versus=None) -> np.ndarray:
    monthly = run.series(strategy, "swap_joined") + run.series(strategy, "swap_friends_joined")
    return monthly[:, window.first : window.last + 1].max(axis=1) * run.scale


def paid_lift_quick_second_purchase(
    run: RunView, strategy: str, window: Window, argument=None, versus=None
) -> np.ndarray:
    def paid_share(group: str) -> np.ndarray:
        return _ratio(
            run.at(strategy, f"buyers_{group}_paid", window.last), run.at(strategy, f"buyers_{group}", window.last)
        )

    return paid_share("quick_second") - paid_share("other")


def repurchase_rate_difference(run: RunView, strategy: str, window: Window, argument=None, versus=None) -> np.ndarray:
    if versus is None:
        raise ValueError("repurchase_rate_difference needs the benchmark's `versus` strategy")
    return run.replication_value(strategy, REPURCHASE_RATE) - run.replication_value(versus, REPURCHASE_RATE)


def koc_active_end(run: RunView, strategy: str, window: Window, argument=None, versus=None) -> np.ndarray:
    return run.at(strategy, "koc_active", window.last) * run.scale


#: name → measure; the registry's ``measure`` field must be one of these.
MEASURES: dict[str, Measure] = {
    f.__name__: f
    for f in (
        gmv_per_month_rmb,
        gmv_per_member_year_rmb,
        profit_share,
        repurchase_rate,
        members_reachable_end,
        active_members_end,
        silent_members_end,
        lost_or_silent_share,
        churn_share,
        churn_rate_per_year_by_pool,
        first_order_conversion_by_pool,
        visit_unpaid_share,
        add_rate,
        channel_coverage_share,
        swap_join_share,
        referral_cac_rmb,
        paid_member_share,
        paid_spend_ratio,
        paid_orders_per_month,
        tier_gmv_share,
        gmv_per_month_ratio,
        members_in_groups_share,
        paid_members_in_groups_share,
        active_365_end,
        swap_new_members_max,
        paid_lift_quick_second_purchase,
        repurchase_rate_difference,
        koc_active_end,
    )
}


#: Measures that need the benchmark's ``argument`` (a pool, tier or channel) or ``versus`` strategy.
NEEDS_ARGUMENT = frozenset(
    {"churn_rate_per_year_by_pool", "first_order_conversion_by_pool", "tier_gmv_share", "channel_coverage_share"}
)
NEEDS_VERSUS = frozenset({"gmv_per_month_ratio", "repurchase_rate_difference"})


def measure(run: RunView, name: str, strategy: str, window: Window, argument=None, versus=None) -> np.ndarray:
    """Per-replication values of measure ``name``."""
    return np.asarray(MEASURES[name](run, strategy, window, argument, versus), dtype=float)


__all__ = ["MEASURES", "NEEDS_ARGUMENT", "NEEDS_VERSUS", "RunView", "Window", "measure"]
